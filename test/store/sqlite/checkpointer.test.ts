/**
 * WAL checkpoints on a worker thread (src/store/sqlite/checkpointer.ts). What must hold: once
 * enough records were written, the WAL's pages reach the database file without the writer
 * checkpointing; before that no thread is started; and closing stops the worker's connection, so
 * that the writer, closed last, checkpoints the WAL and removes it.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { Checkpointer } from '../../../src/store/sqlite/checkpointer.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { PET, petDataset, recordRow, rid } from '../store.contract.js';
import { pollUntil } from '../../helpers/poll.js';
import { tempDir } from '../../helpers/test-server.js';

const { dir, cleanup } = tempDir('ghl-objects-checkpointer-');
after(cleanup);
let n = 0;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const ROWS = 400;

/** A WAL database whose writer never checkpoints, holding ROWS rows of 2 KB, all of them still in the WAL. */
function walOnly(): { path: string; writer: Database.Database; emptySize: number } {
  const path = join(dir, `c-${++n}.db`);
  const writer = new Database(path);
  open.push(writer);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec('CREATE TABLE t (v TEXT)');
  writer.pragma('wal_checkpoint(TRUNCATE)');
  const emptySize = statSync(path).size;
  const insert = writer.prepare('INSERT INTO t (v) VALUES (?)');
  writer.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(String(i).padEnd(2_000, '.'));
  })();
  assert.equal(statSync(path).size, emptySize, 'the rows are in the WAL only');
  return { path, writer, emptySize };
}

/** Waits (10 s at most) until the database file itself holds the rows. */
async function copiedToFile(path: string): Promise<void> {
  const polled = await pollUntil(async () => statSync(path).size, (size) => size >= ROWS * 2_000, { timeoutMs: 10_000 });
  assert.ok(polled.done, `the database file is still ${polled.value} bytes`);
}

test('after enough record writes the worker copies the WAL into the database file, the writer idle', async () => {
  const { path } = walOnly();
  const checkpoints = new Checkpointer(path, { startAfterWrites: 100, intervalMs: 5 });
  open.push(checkpoints);
  checkpoints.written(60);
  checkpoints.written(60);
  await copiedToFile(path);
  const reader = new Database(path, { readonly: true });
  open.push(reader);
  assert.equal(reader.prepare('SELECT count(*) FROM t').pluck().get(), ROWS);
});

test('fewer writes than startAfterWrites start no worker: the WAL stays where it is', async () => {
  const { path, emptySize } = walOnly();
  const checkpoints = new Checkpointer(path, { startAfterWrites: 100, intervalMs: 5 });
  open.push(checkpoints);
  checkpoints.written(99);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(statSync(path).size, emptySize);
});

test('close() closes the worker connection: the writer, closed after it, removes the WAL', async () => {
  const { path, writer } = walOnly();
  const checkpoints = new Checkpointer(path, { startAfterWrites: 1, intervalMs: 5 });
  checkpoints.written(1);
  await copiedToFile(path);
  await checkpoints.close();
  writer.close();
  assert.equal(existsSync(`${path}-wal`), false, 'a connection still open would have kept the WAL');
});

test('an in-memory database gets no worker, and closes at once', async () => {
  const checkpoints = new Checkpointer(':memory:', { startAfterWrites: 1, intervalMs: 5 });
  checkpoints.written(10);
  await checkpoints.close();
});

test('the store starts the worker after its record writes and stops it on close', async () => {
  const path = join(dir, `s-${++n}.db`);
  const store = openSqliteStore(path);
  await store.loadDataset(petDataset([]), { reset: false });
  // 2,000 writes start the worker (CHECKPOINTER_DEFAULTS), in batches as a busy server sends them.
  const batch = (b: number) => Promise.all(Array.from({ length: 100 }, (_, i) => store.insertRecord(recordRow(PET, rid(1 + b * 100 + i), { name: `pet ${b}-${i}` }), [])));
  for (let b = 0; b < 24; b++) await batch(b);
  // Time for the worker to open its connection, then writes for it to checkpoint.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await batch(24);
  await store.close();
  assert.equal(existsSync(`${path}-wal`), false, 'the worker connection was closed before the writer');
  const reader = new Database(path, { readonly: true });
  open.push(reader);
  assert.equal(reader.prepare('SELECT count(*) FROM records').pluck().get(), 2_500);
});
