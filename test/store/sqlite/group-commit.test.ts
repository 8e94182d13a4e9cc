import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GroupCommit } from '../../../src/store/sqlite/group-commit.js';
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
  const writes = new GroupCommit(db, () => atCommit.push({ rows: rows(other), settled }));
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
  assert.deepEqual(atCommit, [{ rows: [{ k: 'a', v: 'v-a' }, { k: 'b', v: 'v-b' }, { k: 'c', v: 'v-c' }], settled: 0 }], 'afterCommit ran once, after the COMMIT, before any write settled');
  assert.deepEqual(rows(other), [{ k: 'a', v: 'v-a' }, { k: 'b', v: 'v-b' }, { k: 'c', v: 'v-c' }]);
  db.close();
  other.close();
});

test("a failing write is undone alone: the others in its batch are committed, it rejects with its own error", async () => {
  const { db, other } = setup();
  const writes = new GroupCommit(db, () => {});
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
  const writes = new GroupCommit(db, () => commits++);
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const locker = new Database(path);
  locker.exec('BEGIN IMMEDIATE'); // another connection holds the write lock
  db.pragma('busy_timeout = 0');
  const outcomes = await Promise.allSettled([writes.run(() => insert.run('a', '1')), writes.run(() => insert.run('b', '2'))]);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
  assert.equal((outcomes[0] as PromiseRejectedResult).reason.code, 'SQLITE_BUSY');
  assert.equal(commits, 0, 'afterCommit does not run for a batch that was not committed');
  locker.exec('ROLLBACK');
  assert.deepEqual(rows(other), []);
  // The queue is usable again afterwards.
  assert.equal((await writes.run(() => insert.run('c', '3'))).changes, 1);
  assert.deepEqual(rows(other), [{ k: 'c', v: '3' }]);
  for (const d of [db, other, locker]) d.close();
});

test('writes queued in different turns get different transactions', async () => {
  const { db, other } = setup();
  const writes = new GroupCommit(db, () => {});
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
  const writes = new GroupCommit(db, () => {});
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
  const writes = new GroupCommit(db, () => {});
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
