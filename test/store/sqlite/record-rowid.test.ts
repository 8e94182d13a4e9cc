/**
 * Records are stored under a rowid derived from their id (src/store/sqlite/record-rowid.ts), and a
 * read by id tries that rowid before the id index. What must hold: the derived rowid is what new
 * rows get, and a read returns the record with that id whatever the rowids hold: a row of another
 * id at the derived rowid, a record that could not have its derived rowid, a row stored under an
 * older rowid.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { recordRowid } from '../../../src/store/sqlite/record-rowid.js';
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { PET, answeredRecord, petDataset, recordRow, rid } from '../store.contract.js';
import { tempDir } from '../../helpers/test-server.js';

const { dir, cleanup } = tempDir('ghl-objects-record-rowid-');
after(cleanup);
let n = 0;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** Two ids of one second and one counter value, made by different processes: one derived rowid. */
const MINE = '6650a1b2' + 'aaaaaaaaaa' + '0a0001';
const THEIRS = '6650a1b2' + 'bbbbbbbbbb' + '0a0001';

async function setup(): Promise<{ store: SqliteStore; path: string; raw: Database.Database }> {
  const path = join(dir, `r-${++n}.db`);
  const store = openSqliteStore(path);
  open.push(store);
  await store.loadDataset(petDataset([]), { reset: false });
  const raw = new Database(path);
  open.push(raw);
  return { store, path, raw };
}

const nameOf = async (store: SqliteStore, id: string) => {
  const record = await answeredRecord(store, PET, id);
  return record && { id: record.id, name: record.properties.name as string };
};

test('the rowid is the id\'s seconds and the low 20 bits of its counter', () => {
  assert.equal(recordRowid('6650a1b2aaaaaaaaaa0a0001'), 0x6650a1b2 * 2 ** 20 + 0xa0001);
  // The counter's high 4 bits are left out.
  assert.equal(recordRowid('6650a1b2aaaaaaaaaaf00001'), 0x6650a1b2 * 2 ** 20 + 1);
  assert.equal(recordRowid('000000000000000000000007'), 7);
  // The largest stays below 2^52, so the largest + 1 (SQLite's pick when the rowid is taken) is exact.
  assert.equal(recordRowid('ffffffffffffffffffffffff'), 2 ** 52 - 1);
  // A later second sorts after any counter of an earlier one: new rows are appended.
  assert.ok(recordRowid('6650a1b3000000000000000a')! > recordRowid('6650a1b2ffffffffffffffff')!);
});

test('a string of another length, or whose seconds or counter are not hex digits, has no rowid', () => {
  assert.equal(recordRowid(''), null);
  assert.equal(recordRowid('6650a1b2aaaaaaaaaa0a000'), null);
  assert.equal(recordRowid('6650a1b2aaaaaaaaaa0a00011'), null);
  assert.equal(recordRowid('6650a1bzaaaaaaaaaa0a0001'), null);
  assert.equal(recordRowid('6650a1b2aaaaaaaaaa0a00z1'), null);
  assert.equal(recordRowid('-650a1b2aaaaaaaaaa0a0001'), null);
});

test('a created record, and a loaded one, is stored under its derived rowid', async () => {
  const { store, raw } = await setup();
  const loadedId = '6650a1c0cccccccccc000042';
  await store.loadDataset(petDataset([recordRow(PET, loadedId, { name: 'loaded' })]), { reset: true });
  await store.insertRecord(recordRow(PET, MINE, { name: 'created' }), []);
  const rowidOf = raw.prepare<[string], number>('SELECT rowid FROM records WHERE id = ?').pluck();
  assert.equal(rowidOf.get(MINE), recordRowid(MINE));
  assert.equal(rowidOf.get(loadedId), recordRowid(loadedId));
  assert.deepEqual(await nameOf(store, loadedId), { id: loadedId, name: 'loaded' });
});

test('two ids with one derived rowid: the second gets another rowid, and each read finds its own record', async () => {
  const { store, raw } = await setup();
  await store.insertRecord(recordRow(PET, MINE, { name: 'mine' }), []);
  await store.insertRecord(recordRow(PET, THEIRS, { name: 'theirs' }), []);
  const rowidOf = raw.prepare<[string], number>('SELECT rowid FROM records WHERE id = ?').pluck();
  assert.equal(rowidOf.get(MINE), recordRowid(THEIRS));
  assert.notEqual(rowidOf.get(THEIRS), recordRowid(THEIRS));
  assert.deepEqual(await nameOf(store, MINE), { id: MINE, name: 'mine' });
  // The row at THEIRS's derived rowid is MINE's: the read must not take it.
  assert.deepEqual(await nameOf(store, THEIRS), { id: THEIRS, name: 'theirs' });

  // Once MINE is gone, its rowid is free; THEIRS is still found where it is.
  assert.equal(await store.deleteRecord(PET, MINE), true);
  assert.equal(await answeredRecord(store, PET, MINE), undefined);
  assert.deepEqual(await nameOf(store, THEIRS), { id: THEIRS, name: 'theirs' });
  // A record id that was taken stays taken, whatever rowid it would get.
  await assert.rejects(store.insertRecord(recordRow(PET, THEIRS, { name: 'again' }), []), { kind: 'conflict' });
});

test('a row stored under another rowid (a database written before rowids were derived) is found by its id', async () => {
  const { store, path, raw } = await setup();
  await store.insertRecord(recordRow(PET, rid(5), { name: 'old' }), []);
  await store.insertRecord(recordRow(PET, MINE, { name: 'mine' }), []);
  open.splice(open.indexOf(store), 1);
  await store.close();
  // As the records of an older database: rowids in insertion order, value rows following them.
  raw.exec(`UPDATE records SET rowid = 1 WHERE id = '${MINE}'`);
  const values = raw.prepare<[], string>(`SELECT name FROM sqlite_master WHERE name LIKE 'object_values_%' AND type = 'table'`).pluck().get();
  if (values) raw.exec(`UPDATE "${values}" SET rid = 1 WHERE id = '${MINE}'`);
  const reopened = openSqliteStore(path);
  open.push(reopened);
  assert.deepEqual(await nameOf(reopened, MINE), { id: MINE, name: 'mine' });
  assert.deepEqual(await nameOf(reopened, rid(5)), { id: rid(5), name: 'old' });
  // A record of another object, or none, at the derived rowid is not an answer.
  assert.equal(await answeredRecord(reopened, 'aaaaaaaaaaaaaaaaaaaa0999', MINE), undefined);
  assert.equal(await answeredRecord(reopened, PET, THEIRS), undefined);
});
