import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GroupCommit, type GroupCommitOptions } from '../../../src/store/sqlite/group-commit.js';
import { tempDir } from '../../helpers/test-server.js';

const { dir, cleanup } = tempDir('ghl-objects-group-commit-');
after(cleanup);
let n = 0;

/** A WAL database file with one table whose `v` is unique, and a second connection to look from. */
function setup(): { db: Database.Database; other: Database.Database; path: string } {
  const path = join(dir, `g-${++n}.db`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT UNIQUE)');
  return { db, other: new Database(path, { timeout: 0 }), path };
}

const rows = (db: Database.Database) => db.prepare('SELECT k, v FROM t ORDER BY k').all();

test('writes queued in one turn share one transaction, and each settles with its own result', async () => {
  const { db, other } = setup();
  // What another connection sees right after the commit, and whether any write had settled by then.
  const atCommit: Array<{ rows: unknown[]; settled: number }> = [];
  let settled = 0;
  const writes = new GroupCommit(db, { committed: () => atCommit.push({ rows: rows(other), settled }) });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  // What another connection sees while each write runs: nothing committed yet, not even the
  // writes before it in the batch.
  const seen: unknown[][] = [];
  const results = await Promise.all(
    ['a', 'b', 'c'].map((k) =>
      writes
        .run(() => {
          seen.push(rows(other));
          return insert.run(k, `v-${k}`).changes;
        })
        .finally(() => settled++),
    ),
  );
  assert.deepEqual(results, [1, 1, 1]);
  assert.deepEqual(seen, [[], [], []]);
  assert.deepEqual(atCommit, [{ rows: [{ k: 'a', v: 'v-a' }, { k: 'b', v: 'v-b' }, { k: 'c', v: 'v-c' }], settled: 0 }], 'committed ran once, after the COMMIT, before any write settled');
  assert.deepEqual(rows(other), [{ k: 'a', v: 'v-a' }, { k: 'b', v: 'v-b' }, { k: 'c', v: 'v-c' }]);
  db.close();
  other.close();
});

test("a failing write is undone alone: the others in its batch are committed, it rejects with its own error", async () => {
  const { db, other } = setup();
  const writes = new GroupCommit(db, { committed: () => {} });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const outcomes = await Promise.allSettled([
    writes.run(() => insert.run('a', 'same')),
    writes.run(() => {
      // Two statements: the first is undone with the second's failure.
      insert.run('b', 'b-own');
      insert.run('b2', 'same');
    }),
    writes.run(() => {
      insert.run('c', 'c-own');
      throw new Error('refused by the caller');
    }),
    writes.run(() => insert.run('d', 'd-own')),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  assert.equal((outcomes[1] as PromiseRejectedResult).reason.code, 'SQLITE_CONSTRAINT_UNIQUE');
  assert.equal((outcomes[2] as PromiseRejectedResult).reason.message, 'refused by the caller');
  assert.deepEqual(rows(other), [{ k: 'a', v: 'same' }, { k: 'd', v: 'd-own' }]);
  db.close();
  other.close();
});

test('no write settles before its commit: when the commit cannot happen, every write of the batch rejects and nothing is stored', async () => {
  const { db, other, path } = setup();
  let commits = 0;
  const writes = new GroupCommit(db, { committed: () => commits++ });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const locker = new Database(path);
  locker.exec('BEGIN IMMEDIATE'); // another connection holds the write lock
  db.pragma('busy_timeout = 0');
  const outcomes = await Promise.allSettled([writes.run(() => insert.run('a', '1')), writes.run(() => insert.run('b', '2'))]);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
  assert.equal((outcomes[0] as PromiseRejectedResult).reason.code, 'SQLITE_BUSY');
  assert.equal(commits, 0, 'committed does not run for a batch that was not committed');
  locker.exec('ROLLBACK');
  assert.deepEqual(rows(other), []);
  // The queue is usable again afterwards.
  assert.equal((await writes.run(() => insert.run('c', '3'))).changes, 1);
  assert.deepEqual(rows(other), [{ k: 'c', v: '3' }]);
  for (const d of [db, other, locker]) d.close();
});

test('writes queued in different turns get different transactions', async () => {
  const { db, other } = setup();
  const writes = new GroupCommit(db, { committed: () => {} });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  await writes.run(() => insert.run('a', '1'));
  assert.deepEqual(rows(other), [{ k: 'a', v: '1' }], 'visible to another connection once settled');
  let seen: unknown[] = [];
  await writes.run(() => {
    seen = rows(other);
    insert.run('b', '2');
  });
  assert.deepEqual(seen, [{ k: 'a', v: '1' }], 'the first was committed before the second ran');
  db.close();
  other.close();
});

test('a batch in which no write fails runs each write once, with no savepoint to undo it by', async () => {
  const { db, other } = setup();
  const writes = new GroupCommit(db, { committed: () => {} });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const runs = { a: 0, b: 0 };
  await Promise.all((['a', 'b'] as const).map((k) => writes.run(() => (runs[k]++, insert.run(k, k)))));
  assert.deepEqual(runs, { a: 1, b: 1 });
  assert.deepEqual(rows(other), [{ k: 'a', v: 'a' }, { k: 'b', v: 'b' }]);
  db.close();
  other.close();
});

test('when a write fails, its batch runs again with a savepoint each: the others run twice, and what they wrote is there once', async () => {
  const { db, other } = setup();
  const writes = new GroupCommit(db, { committed: () => {} });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  // Each run of a write adds a row of its own, so a first run's leftovers would show.
  const runs = { a: 0, b: 0, c: 0 };
  const outcomes = await Promise.allSettled([
    writes.run(() => insert.run(`a${++runs.a}`, 'a')),
    writes.run(() => insert.run(`b${++runs.b}`, 'a')),
    writes.run(() => insert.run(`c${++runs.c}`, 'c')),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(runs, { a: 2, b: 2, c: 1 }, 'the failure came before c ran the first time');
  assert.deepEqual(rows(other), [{ k: 'a2', v: 'a' }, { k: 'c1', v: 'c' }]);
  db.close();
  other.close();
});

/** One turn of the event loop. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Queues one write a turn, `count` of them (or while `more` says so), the way requests that
 * keep coming in do; resolves with every write's settling.
 */
async function oneATurn(writes: GroupCommit, insert: Database.Statement, more: (i: number) => boolean): Promise<void> {
  const settled: Array<Promise<unknown>> = [];
  for (let i = 0; more(i); i++) {
    settled.push(writes.run(() => insert.run(`k${i}`, `v${i}`)));
    await turn();
  }
  await Promise.all(settled);
}

/** A GroupCommit that records the size of each batch it commits. */
function counting(db: Database.Database, options?: GroupCommitOptions): { writes: GroupCommit; batches: number[] } {
  const batches: number[] = [];
  return { writes: new GroupCommit(db, { committed: (n) => batches.push(n) }, options), batches };
}

test('writes that keep coming, one a turn, join the batch until a turn brings none', async () => {
  const { db, other } = setup();
  const { writes, batches } = counting(db);
  await oneATurn(writes, db.prepare('INSERT INTO t (k, v) VALUES (?, ?)'), (i) => i < 5);
  assert.deepEqual(batches, [5]);
  assert.equal(rows(other).length, 5);
  db.close();
  other.close();
});

test('a lone write is committed after one turn that brings nothing new, not after the longest wait', async () => {
  const { db, other } = setup();
  const { writes, batches } = counting(db, { maxWrites: 500, maxWaitMs: 60_000 });
  void writes.run(() => db.prepare("INSERT INTO t (k, v) VALUES ('a', '1')").run());
  // The turn that saw it queued, the one that brought nothing more, and one to spare.
  for (let i = 0; i < 3; i++) await turn();
  assert.deepEqual(batches, [1]);
  assert.deepEqual(rows(other), [{ k: 'a', v: '1' }]);
  db.close();
  other.close();
});

test('a batch runs once it holds maxWrites writes, whatever keeps coming', async () => {
  const { db, other } = setup();
  const { writes, batches } = counting(db, { maxWrites: 5, maxWaitMs: 60_000 });
  await oneATurn(writes, db.prepare('INSERT INTO t (k, v) VALUES (?, ?)'), (i) => i < 12);
  assert.deepEqual(batches, [5, 5, 2]);
  assert.equal(rows(other).length, 12);
  db.close();
  other.close();
});

test('a batch runs once its first write has waited maxWaitMs, whatever keeps coming', async () => {
  const { db, other } = setup();
  const { writes, batches } = counting(db, { maxWrites: Number.MAX_SAFE_INTEGER, maxWaitMs: 5 });
  const until = performance.now() + 60;
  await oneATurn(writes, db.prepare('INSERT INTO t (k, v) VALUES (?, ?)'), () => performance.now() < until);
  // Writes came for 60 ms without a turn that brought none: only the wait cut the batches.
  assert.ok(batches.length >= 2, `batches: ${batches.join(', ')}`);
  assert.equal(rows(other).length, batches.reduce((a, b) => a + b, 0));
  db.close();
  other.close();
});

test('drain runs a waiting batch at once: its writes are committed and settle before the connection closes', async () => {
  const { db, other } = setup();
  const { writes, batches } = counting(db);
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const settled = [writes.run(() => insert.run('a', '1').changes), writes.run(() => insert.run('b', '2').changes)];
  writes.drain();
  assert.deepEqual(batches, [2], 'committed within the call');
  assert.deepEqual(rows(other), [{ k: 'a', v: '1' }, { k: 'b', v: '2' }]);
  db.close();
  assert.deepEqual(await Promise.all(settled), [1, 1]);
  other.close();
});

test('after a drain, the cut that was coming runs no empty batch', async () => {
  const { db, other } = setup();
  const { writes, batches } = counting(db);
  void writes.run(() => db.prepare("INSERT INTO t (k, v) VALUES ('a', '1')").run());
  writes.drain();
  for (let i = 0; i < 3; i++) await turn();
  assert.deepEqual(batches, [1]);
  db.close();
  other.close();
});
