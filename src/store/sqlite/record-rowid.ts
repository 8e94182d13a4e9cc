/**
 * The rowid a record is stored under, derived from its id, so that a read by id can go straight to
 * the row instead of first walking the id index.
 *
 * Why: at 1,000,000 records the id index (about 40 MiB) does not fit in the reads' page cache, and
 * its walk was 2 of the 5 µs of a point read: one more cold page per read. The walk of the table
 * by rowid is the one left.
 *
 * The rowid is the id's 4-byte seconds and the low 20 bits of its 3-byte counter. So it is unique
 * among the ids one process makes in a second (up to a million of them), it ascends with creation
 * time (new rows are still appended to the table), and it stays below 2^52 (SQLite's own pick for
 * a taken rowid, the largest + 1, is still an exact JS number). The id's middle (5 random bytes)
 * is not read.
 *
 * It is only a hint. Two ids may share it (ids made by other processes, imported ids), and rows
 * stored before rowids were derived have others. So the id keeps its index, a row found by rowid
 * counts only if its id matches, and a record whose rowid was taken gets another one and is found
 * through the index.
 */
export function recordRowid(id: string): number | null {
  if (id.length !== 24) return null;
  // Number('0x…') is NaN for anything but hex digits (parseInt would stop at the first other one).
  const seconds = Number(`0x${id.slice(0, 8)}`);
  const counter = Number(`0x${id.slice(18)}`);
  if (Number.isNaN(seconds) || Number.isNaN(counter)) return null;
  return seconds * 0x100000 + (counter & 0xfffff);
}
