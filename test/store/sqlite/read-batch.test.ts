/**
 * Reads of records by id run after the turn that asked for them, together, in one read
 * transaction on a connection of their own (src/store/sqlite/read-batch.ts). What must hold: the
 * reads of a batch share one snapshot that ends with the batch, a read never misses a write
 * acknowledged before it was asked for, one failing read fails alone, closing runs what is
 * queued, and an in-memory database (which has no second connection) still reads.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { ReadBatch } from '../../../src/store/sqlite/read-batch.js';
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { PET, at, petDataset, recordRow, rid } from '../store.contract.js';
import { tempDir } from '../../helpers/test-server.js';

const { dir, cleanup } = tempDir('ghl-objects-read-batch-');
after(cleanup);
let n = 0;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const OPTIONS = { timeoutMs: 1000, cacheKiB: 1024 };

/** A WAL database file with one table of (k, v), a writer connection and a batch of reads on it. */
function setupTable(): { path: string; writer: Database.Database; reads: ReadBatch; valueOf: (k: string) => () => unknown } {
  const path = join(dir, `t-${++n}.db`);
  const writer = new Database(path);
  writer.pragma('journal_mode = WAL');
  writer.exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT); INSERT INTO t VALUES ('a', 'old'), ('b', 'old')`);
  const reads = new ReadBatch(path, writer, OPTIONS);
  open.push(writer, reads);
  const get = reads.db.prepare<[string], string>('SELECT v FROM t WHERE k = ?').pluck();
  return { path, writer, reads, valueOf: (k) => () => get.get(k) };
}

test('the reads asked for in one turn run after it, together, in one snapshot that ends with them', async () => {
  const { writer, reads, valueOf } = setupTable();
  const update = writer.prepare(`UPDATE t SET v = ? WHERE k = ?`);
  // Asked for now, run later: a commit made before the batch runs is seen by it.
  const first = reads.run(valueOf('a'));
  update.run('before the batch', 'a');
  const results = await Promise.all([
    first,
    // This read commits a change itself, from the writer, while the batch's transaction is open...
    reads.run(() => {
      const seen = valueOf('b')();
      update.run('during the batch', 'b');
      return seen;
    }),
    // ...which the next read of the same batch does not see: same snapshot.
    reads.run(valueOf('b')),
  ]);
  assert.deepEqual(results, ['before the batch', 'old', 'old']);
  // The batch's transaction has ended: a later batch sees the commit, and nothing holds back a checkpoint.
  assert.equal(reads.db.inTransaction, false);
  assert.equal(await reads.run(valueOf('b')), 'during the batch');
  assert.deepEqual(writer.pragma('wal_checkpoint(TRUNCATE)'), [{ busy: 0, log: 0, checkpointed: 0 }]);
});

test('a failing read rejects alone; the others of its batch answer', async () => {
  const { reads, valueOf } = setupTable();
  const outcomes = await Promise.allSettled([
    reads.run(valueOf('a')),
    reads.run(() => {
      throw new Error('refused');
    }),
    reads.run(() => reads.db.prepare('SELECT * FROM missing').get()),
    reads.run(valueOf('b')),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  assert.equal((outcomes[1] as PromiseRejectedResult).reason.message, 'refused');
  assert.match((outcomes[2] as PromiseRejectedResult).reason.message, /no such table/);
  assert.deepEqual([(outcomes[0] as PromiseFulfilledResult<unknown>).value, (outcomes[3] as PromiseFulfilledResult<unknown>).value], ['old', 'old']);
  assert.equal(reads.db.inTransaction, false);
});

test('closing runs the reads still queued, then closes the connection', async () => {
  const { reads, valueOf, path } = setupTable();
  const pending = reads.run(valueOf('a'));
  reads.close();
  open.splice(open.indexOf(reads), 1);
  assert.equal(await pending, 'old');
  assert.equal(reads.db.open, false);
  assert.equal(new Database(path, { readonly: true }).prepare('SELECT count(*) FROM t').pluck().get(), 2);
});

/** A store on a new file (or in memory) holding records 1 and 2. */
async function petStore(path = join(dir, `s-${++n}.db`)): Promise<SqliteStore> {
  const store = openSqliteStore(path);
  open.push(store);
  await store.loadDataset(petDataset([recordRow(PET, rid(1), { name: 'one' }), recordRow(PET, rid(2), { name: 'two' })]), { reset: false });
  return store;
}

const nameOf = async (store: SqliteStore, id: string) => {
  const raw = await store.getRecordRaw(PET, id);
  return raw && (JSON.parse(raw.propertiesJson) as { name: string }).name;
};

for (const where of ['a file', 'memory']) {
  test(`store in ${where}: a read sees every write acknowledged before it was asked for`, async () => {
    const store = await petStore(where === 'memory' ? ':memory:' : undefined);
    await store.updateRecord(PET, rid(1), (r) => ({ ...r, properties: { name: 'updated' }, updatedAt: at(5) }), []);
    assert.equal(await nameOf(store, rid(1)), 'updated');
    assert.equal(await store.deleteRecord(PET, rid(2)), true);
    assert.equal(await store.getRecordRaw(PET, rid(2)), undefined);
    await store.insertRecord(recordRow(PET, rid(3), { name: 'three' }), []);
    assert.equal(await nameOf(store, rid(3)), 'three');
    assert.ok(await store.deleteObject(PET));
    assert.equal(await store.getRecordRaw(PET, rid(1)), undefined);

    // Reads in flight with a write (not yet acknowledged) answer one state or the other; the read after it, the new one.
    await store.loadDataset(petDataset([recordRow(PET, rid(4), { name: 'four' })]), { reset: true });
    const [before, , alongside] = await Promise.all([
      nameOf(store, rid(4)),
      store.updateRecord(PET, rid(4), (r) => ({ ...r, properties: { name: 'four, updated' } }), []),
      nameOf(store, rid(4)),
    ]);
    for (const seen of [before, alongside]) assert.ok(seen === 'four' || seen === 'four, updated', String(seen));
    assert.equal(await nameOf(store, rid(4)), 'four, updated');
  });
}
