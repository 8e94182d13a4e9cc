/**
 * WAL checkpoints on a worker thread (src/store/sqlite/checkpointer.ts). What must hold: once
 * enough records were written, the WAL's pages reach the database file without the writer
 * checkpointing, and once the WAL has grown past a threshold the worker also syncs the file after
 * each checkpoint; before that no thread is started; closing stops the worker's connection, so that
 * the writer, closed last, checkpoints the WAL and removes it; and a kill -9 while it runs loses no
 * acknowledged write.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CHECKPOINTER_DEFAULTS, Checkpointer } from '../../../src/store/sqlite/checkpointer.js';
import { valuesTableName } from '../../../src/store/sqlite/object-values.js';
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

/** Adds ROWS rows of 2 KB in one transaction. */
function addRows(writer: Database.Database): void {
  const insert = writer.prepare('INSERT INTO t (v) VALUES (?)');
  writer.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(String(i).padEnd(2_000, '.'));
  })();
}

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
  addRows(writer);
  assert.equal(statSync(path).size, emptySize, 'the rows are in the WAL only');
  return { path, writer, emptySize };
}

/** Waits (10 s at most) until the database file itself holds `rows` rows. */
async function copiedToFile(path: string, rows = ROWS): Promise<void> {
  const polled = await pollUntil(async () => statSync(path).size, (size) => size >= rows * 2_000, { timeoutMs: 10_000 });
  assert.ok(polled.done, `the database file is still ${polled.value} bytes`);
}

test('after enough record writes the worker copies the WAL into the database file, the writer idle', async () => {
  const { path, writer } = walOnly();
  const checkpoints = new Checkpointer(path, { ...CHECKPOINTER_DEFAULTS, startAfterWrites: 100, intervalMs: 5 });
  open.push(checkpoints);
  checkpoints.written(60);
  checkpoints.written(60);
  await copiedToFile(path);
  // Idle now, the worker sleeps until the next commit wakes it.
  await new Promise((resolve) => setTimeout(resolve, 100));
  addRows(writer);
  checkpoints.written(1);
  await copiedToFile(path, 2 * ROWS);
  const reader = new Database(path, { readonly: true });
  open.push(reader);
  assert.equal(reader.prepare('SELECT count(*) FROM t').pluck().get(), 2 * ROWS);
});

/** Two checkpoints by a worker flushing from `flushFromFrames` on: its flush count after each. */
async function flushesAfterTwoCheckpoints(flushFromFrames: number): Promise<[number, number]> {
  const { path, writer } = walOnly();
  const checkpoints = new Checkpointer(path, { startAfterWrites: 1, intervalMs: 5, flushFromFrames });
  open.push(checkpoints);
  const counts: number[] = [];
  for (let pass = 1; pass <= 2; pass++) {
    if (pass > 1) addRows(writer);
    checkpoints.written(1);
    await copiedToFile(path, pass * ROWS);
    // The flush follows the copy in the same turn of the worker: a pass later it has been counted.
    const polled = await pollUntil(async () => checkpoints.flushes, (f) => f >= pass, { timeoutMs: 2_000 });
    counts.push(polled.value);
  }
  return counts as [number, number];
}

test('past flushFromFrames frames of WAL, the worker writes the database file out after each checkpoint', async () => {
  // ROWS rows of 2 KB are some 200 frames.
  assert.deepEqual(await flushesAfterTwoCheckpoints(1), [1, 2]);
});

test('below flushFromFrames, the worker leaves syncing the database file to SQLite', async () => {
  assert.deepEqual(await flushesAfterTwoCheckpoints(1_000_000), [0, 0]);
});

test('fewer writes than startAfterWrites start no worker: the WAL stays where it is', async () => {
  const { path, emptySize } = walOnly();
  const checkpoints = new Checkpointer(path, { ...CHECKPOINTER_DEFAULTS, startAfterWrites: 100, intervalMs: 5 });
  open.push(checkpoints);
  checkpoints.written(99);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(statSync(path).size, emptySize);
});

test('close() closes the worker connection: the writer, closed after it, removes the WAL', async () => {
  const { path, writer } = walOnly();
  const checkpoints = new Checkpointer(path, { ...CHECKPOINTER_DEFAULTS, startAfterWrites: 1, intervalMs: 5 });
  checkpoints.written(1);
  await copiedToFile(path);
  await checkpoints.close();
  writer.close();
  assert.equal(existsSync(`${path}-wal`), false, 'a connection still open would have kept the WAL');
});

test('an in-memory database gets no worker, and closes at once', async () => {
  const checkpoints = new Checkpointer(':memory:', { ...CHECKPOINTER_DEFAULTS, startAfterWrites: 1, intervalMs: 5 });
  checkpoints.written(10);
  await checkpoints.close();
});

test('the store starts the worker after its record writes and stops it on close', async () => {
  const path = join(dir, `s-${++n}.db`);
  const store = openSqliteStore(path);
  await store.loadDataset(petDataset([]), { reset: false });
  // Enough writes to start the worker, in batches as a busy server sends them.
  const batch = (b: number) => Promise.all(Array.from({ length: 100 }, (_, i) => store.insertRecord(recordRow(PET, rid(1 + b * 100 + i), { name: `pet ${b}-${i}` }), [])));
  const batches = Math.ceil(CHECKPOINTER_DEFAULTS.startAfterWrites / 100);
  for (let b = 0; b < batches; b++) await batch(b);
  // Time for the worker to open its connection, then writes for it to checkpoint.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await batch(batches);
  await store.close();
  assert.equal(existsSync(`${path}-wal`), false, 'the worker connection was closed before the writer');
  const reader = new Database(path, { readonly: true });
  open.push(reader);
  assert.equal(reader.prepare('SELECT count(*) FROM records').pluck().get(), (batches + 1) * 100);
});

/** Runs test/helpers/record-writer.ts on `path` until it has acknowledged `atLeast` records, then kills it (SIGKILL). */
function writeThenKill(path: string, atLeast: number): Promise<number> {
  const script = fileURLToPath(new URL('../../helpers/record-writer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let acked = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    for (const [, n] of chunk.toString().matchAll(/acked (\d+)/g)) acked = Math.max(acked, Number(n));
    if (acked >= atLeast) child.kill('SIGKILL');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && acked >= atLeast) resolve(acked);
      else reject(new Error(`the writer ended (${code ?? signal}) after ${acked} records: ${stderr}`));
    });
  });
}

test('a kill -9 while the worker checkpoints loses no acknowledged record, and leaves the file whole', async () => {
  const path = join(dir, `k-${++n}.db`);
  // Past the threshold the worker runs; 4,000 more writes give it time to checkpoint meanwhile.
  const acked = await writeThenKill(path, CHECKPOINTER_DEFAULTS.startAfterWrites + 4_000);
  const db = new Database(path);
  open.push(db);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const ids = new Set(db.prepare('SELECT id FROM records').pluck().all() as string[]);
  const missing = Array.from({ length: acked }, (_, i) => rid(i + 1)).filter((id) => !ids.has(id));
  assert.deepEqual(missing, [], `${missing.length} of ${acked} acknowledged records are missing`);
  // Whatever else is there is whole: its JSON parses, and its search row was written with it.
  for (const json of db.prepare('SELECT properties FROM records').pluck().all() as string[]) JSON.parse(json);
  assert.equal(db.prepare(`SELECT count(*) FROM "${valuesTableName(PET)}"`).pluck().get(), ids.size);
});
