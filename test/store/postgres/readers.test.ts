/**
 * The PostgreSQL store's pipelined readers (src/store/postgres/readers.ts), which carry record
 * reads: many reads in flight on few connections each get their own answer; a statement that
 * times out takes the reads queued behind it along at once (not one timeout after another); a
 * reader whose backend is terminated fails its reads as unavailable and the next reads succeed.
 *
 * Needs PostgreSQL (see test/helpers/postgres.ts): skipped with the reason when it is
 * unreachable, a failure when GHL_REQUIRE_POSTGRES=1.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type pg from 'pg';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../../src/store/postgres/postgres-store.js';
import { StoreError } from '../../../src/store/store.js';
import { postgresForTests } from '../../helpers/postgres.js';
import { PET, answeredRecord, petDataset, recordRow, rid } from '../store.contract.js';

const pgEnv = await postgresForTests('PostgreSQL readers');
const RECORDS = 300;

if (pgEnv) {
  const { admin } = pgEnv;
  const stores: PostgresStore[] = [];
  after(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
  });

  /** A store on a new schema holding RECORDS pet records. */
  async function storeWithRecords(options: Omit<PostgresStoreOptions, 'schema'> = {}): Promise<{ store: PostgresStore; schema: string }> {
    const schema = pgEnv!.newSchema();
    const store = await openPostgresStore(pgEnv!.url, { ...options, schema });
    stores.push(store);
    await store.loadDataset(
      petDataset(Array.from({ length: RECORDS }, (_, i) => recordRow(PET, rid(i), { name: `pet ${i}`, n: i }))),
      { reset: false },
    );
    return { store, schema };
  }

  /** Locks the schema's records table on a connection of its own: reads wait for it. */
  async function lockRecords(schema: string): Promise<pg.Client> {
    const locker = await pgEnv!.clientIn(schema);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
    return locker;
  }

  /** The store's backends waiting for the lock on the schema's records table. */
  async function waitingBackends(schema: string): Promise<number[]> {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT DISTINCT pid FROM pg_locks WHERE NOT granted AND relation = to_regclass($1)`,
      [`${pgEnv!.q(schema)}.records`],
    );
    return rows.map((r) => r.pid);
  }

  function assertUnavailable(result: PromiseSettledResult<unknown>, what: string): void {
    assert.equal(result.status, 'rejected', `${what} succeeded`);
    const err = (result as PromiseRejectedResult).reason as unknown;
    assert.ok(err instanceof StoreError && err.kind === 'unavailable', `${what}: ${String(err)}`);
  }

  describe('PostgreSQL readers', { concurrency: false }, () => {
    test('many reads at once each get their own record', async () => {
      const { store } = await storeWithRecords();
      const ids = Array.from({ length: RECORDS }, (_, i) => rid(i));
      const [raws, rows, missing] = await Promise.all([
        Promise.all(ids.map((id) => answeredRecord(store, PET, id))),
        Promise.all(ids.map((id) => store.getRecord(PET, id))),
        answeredRecord(store, PET, rid(RECORDS)),
      ]);
      for (const [i, raw] of raws.entries()) {
        assert.equal(raw?.id, rid(i));
        assert.deepEqual(raw?.properties, { name: `pet ${i}`, n: i });
      }
      for (const [i, row] of rows.entries()) assert.deepEqual(row?.properties, { name: `pet ${i}`, n: i });
      assert.equal(missing, undefined);
    });

    test('reads queued behind a statement that times out fail with it, unavailable, about one timeout later; the next read succeeds', async () => {
      const timeoutMs = 400;
      const { store, schema } = await storeWithRecords({ statementTimeoutMs: timeoutMs });
      // The readers are connected and their statements prepared: the reads below queue on them.
      await Promise.all(Array.from({ length: 8 }, (_, i) => answeredRecord(store, PET, rid(i))));
      const locker = await lockRecords(schema);
      const started = Date.now();
      let results: PromiseSettledResult<unknown>[];
      try {
        results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => answeredRecord(store, PET, rid(i))));
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      const elapsed = Date.now() - started;
      for (const [i, r] of results.entries()) assertUnavailable(r, `read ${i}`);
      // One after another they would take 24 timeouts (per reader: 12).
      assert.ok(elapsed < 3 * timeoutMs + 1_000, `answered after ${elapsed} ms`);
      assert.equal((await answeredRecord(store, PET, rid(1)))?.id, rid(1));
    });

    test('reads on a new connection whose statement cannot even be prepared (locked table) are unavailable, not errors', async () => {
      const { store, schema } = await storeWithRecords({ statementTimeoutMs: 400 });
      const locker = await lockRecords(schema);
      let results: PromiseSettledResult<unknown>[];
      try {
        results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => answeredRecord(store, PET, rid(i))));
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      for (const [i, r] of results.entries()) assertUnavailable(r, `read ${i}`);
      assert.equal((await answeredRecord(store, PET, rid(2)))?.id, rid(2));
    });

    test('reads whose connection is terminated are unavailable; the next reads succeed by themselves', async () => {
      const { store, schema } = await storeWithRecords();
      await Promise.all(Array.from({ length: 8 }, (_, i) => answeredRecord(store, PET, rid(i))));
      const locker = await lockRecords(schema);
      let results: PromiseSettledResult<unknown>[];
      try {
        const pending = Promise.allSettled(Array.from({ length: 10 }, (_, i) => answeredRecord(store, PET, rid(i))));
        let pids: number[] = [];
        for (let i = 0; i < 100 && !pids.length; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          pids = await waitingBackends(schema);
        }
        assert.ok(pids.length > 0, 'no read waits for the lock');
        for (const pid of pids) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        results = await pending;
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      // Every read waited for the lock, on a terminated backend (none is answered before the rollback).
      for (const [i, r] of results.entries()) assertUnavailable(r, `read ${i}`);
      const again = await Promise.all(Array.from({ length: 10 }, (_, i) => answeredRecord(store, PET, rid(i))));
      assert.deepEqual(again.map((r) => r?.id), Array.from({ length: 10 }, (_, i) => rid(i)));
    });
  });
}
