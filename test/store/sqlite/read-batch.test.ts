/**
 * Reads of records by id share one read transaction per turn of the event loop, on a connection
 * of their own (src/store/sqlite/read-batch.ts). What must hold: a read never misses a write that
 * was acknowledged before it, the snapshot never outlives its turn, and an in-memory database
 * (which has no second connection) still reads.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { PET, answeredRecord, at, petDataset, recordRow, rid } from '../store.contract.js';
import { tempDir } from '../../helpers/test-server.js';

const { dir, cleanup } = tempDir('ghl-objects-read-batch-');
after(cleanup);
let n = 0;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A store on a new file holding records 1 and 2, and a connection of the test's own to it. */
async function setup(path = join(dir, `r-${++n}.db`)): Promise<{ store: SqliteStore; other: Database.Database | undefined }> {
  const store = openSqliteStore(path);
  open.push(store);
  await store.loadDataset(petDataset([recordRow(PET, rid(1), { name: 'one' }), recordRow(PET, rid(2), { name: 'two' })]), { reset: false });
  if (path === ':memory:') return { store, other: undefined };
  const other = new Database(path);
  open.push(other);
  return { store, other };
}

const nameOf = async (store: SqliteStore, id: string) => (await answeredRecord(store, PET, id))?.properties.name;

test("the reads of one turn share a snapshot; the next turn's reads see what was committed meanwhile", async () => {
  const { store, other } = await setup();
  assert.equal(await nameOf(store, rid(1)), 'one');
  // Another process commits a change while this turn's snapshot is open.
  other!.prepare(`UPDATE records SET properties = '{"name":"changed"}' WHERE id = ?`).run(rid(1));
  assert.equal(await nameOf(store, rid(1)), 'one', 'same turn: same snapshot');
  await nextTurn();
  assert.equal(await nameOf(store, rid(1)), 'changed', 'a later turn opens a new snapshot');
});

test('a write the store acknowledged is seen by a read in the same turn, even when the turn had read before it', async () => {
  const { store } = await setup();
  // Each write is queued first, then a read opens the turn's snapshot before the write's commit
  // (which runs at the end of the turn); the read after the acknowledgement must see the write.
  const update = store.updateRecord(PET, rid(1), (r) => ({ ...r, properties: { name: 'updated' }, updatedAt: at(5) }), []);
  assert.equal(await nameOf(store, rid(1)), 'one');
  await update;
  assert.equal(await nameOf(store, rid(1)), 'updated');

  const remove = store.deleteRecord(PET, rid(2));
  assert.equal(await nameOf(store, rid(2)), 'two');
  assert.equal(await remove, true);
  assert.equal(await answeredRecord(store, PET, rid(2)), undefined);

  const insert = store.insertRecord(recordRow(PET, rid(3), { name: 'three' }), []);
  assert.equal(await answeredRecord(store, PET, rid(3)), undefined);
  await insert;
  assert.equal(await nameOf(store, rid(3)), 'three');

  // A schema change that removes records: deleting the object.
  assert.equal(await nameOf(store, rid(1)), 'updated');
  assert.ok(await store.deleteObject(PET));
  assert.equal(await answeredRecord(store, PET, rid(1)), undefined);

  // Loading a dataset over everything (a reset).
  await store.loadDataset(petDataset([recordRow(PET, rid(4), { name: 'four' })]), { reset: true });
  assert.equal(await nameOf(store, rid(4)), 'four');
});

test('the snapshot ends with its turn: it does not hold back a checkpoint', async () => {
  const { store, other } = await setup();
  assert.equal(await nameOf(store, rid(1)), 'one');
  other!.prepare(`UPDATE records SET properties = '{"name":"x"}' WHERE id = ?`).run(rid(2));
  // While the snapshot is open, the frame it may still need cannot be checkpointed away.
  const during = other!.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
  assert.equal(during[0]!.busy, 1);
  await nextTurn();
  const afterTurn = other!.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  assert.deepEqual(afterTurn, [{ busy: 0, log: 0, checkpointed: 0 }]);
});

test('an in-memory database reads on its one connection', async () => {
  const { store } = await setup(':memory:');
  assert.equal(await nameOf(store, rid(1)), 'one');
  await store.updateRecord(PET, rid(1), (r) => ({ ...r, properties: { name: 'updated' } }), []);
  assert.equal(await nameOf(store, rid(1)), 'updated');
});

test('closing the store with a snapshot open closes both connections', async () => {
  const path = join(dir, `r-${++n}.db`);
  const { store } = await setup(path);
  assert.equal(await nameOf(store, rid(1)), 'one');
  await store.close();
  open.splice(open.indexOf(store), 1);
  await nextTurn(); // the pending end of the turn finds nothing to end
  // No connection is left: another can take the database in exclusive mode.
  const solo = new Database(path);
  open.push(solo);
  solo.pragma('locking_mode = EXCLUSIVE');
  solo.exec('BEGIN EXCLUSIVE; COMMIT');
});
