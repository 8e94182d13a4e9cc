/**
 * A slow or unreachable database: a real server process on PostgreSQL answers 503 in the
 * contract's envelope within a bounded time, never hangs, stays up, and serves again by itself
 * when the database is back. The database is taken away from that one process only: a lock held
 * by another connection (with a short `--db-statement-timeout`), its backends terminated by the
 * database, and its connections routed through a TCP proxy (test/helpers/tcp-proxy.ts) that can
 * refuse them or swallow every byte.
 *
 * Needs PostgreSQL (see test/helpers/postgres.ts): skipped with the reason when it is
 * unreachable, a failure when GHL_REQUIRE_POSTGRES=1. Runs the BUILT CLI (`npm run build`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { assertBuilt, assertUsageError, killAll, run, startServe, type Server } from '../helpers/cli-process.js';
import { pollUntil } from '../helpers/poll.js';
import { postgresForTests } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { auth, type Answer } from '../helpers/test-server.js';

const LOC = 've9EPM428h8vShlRW1KT';
const DEMO_PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const REX_PATH = '/objects/custom_objects.pet/records/661c06b4ffde146bdb469442';
/** The server's statement timeout in these tests. */
const STATEMENT_TIMEOUT_MS = 300;
/** The store's default connect timeout (connecting, or waiting for a pooled connection). */
const CONNECT_TIMEOUT_MS = 5_000;
/** Written out from the contract, not taken from src/errors.ts. */
const UNAVAILABLE = { statusCode: 503, message: 'Service temporarily unavailable', error: 'Service Unavailable' };
/** No request may take longer than this, whatever the database does: the test's own guard against a hang. */
const REQUEST_GUARD_MS = 20_000;

after(killAll);
const pgEnv = await postgresForTests('503 when PostgreSQL is slow or away, and recovery');

interface Timed extends Answer {
  ms: number;
}

/** One request, timed; a hang past REQUEST_GUARD_MS fails the test instead of hanging it. */
async function timed(server: Server, method: string, path: string, body?: unknown): Promise<Timed> {
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...auth(DEMO_PIT), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_GUARD_MS),
    });
  } catch (err) {
    assert.fail(`${method} ${path} got no answer within ${Date.now() - started} ms: ${String(err)}`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed, text, ms: Date.now() - started };
}

/** A 503 in the contract's envelope, byte for byte, within `withinMs`. */
function assertUnavailable(answer: Timed, withinMs: number, what: string): void {
  assert.equal(answer.status, 503, `${what}: ${answer.status} ${answer.text}`);
  assert.equal(answer.text, JSON.stringify(UNAVAILABLE), what);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(answer.ms < withinMs, `${what}: answered after ${answer.ms} ms, more than ${withinMs}`);
}

function assertAlive(server: Server): void {
  assert.equal(server.exit(), undefined, `the server exited: ${JSON.stringify(server.exit())}\n${server.stderr()}`);
}

if (pgEnv) {
  const { admin } = pgEnv;

  test('--db-statement-timeout must be a whole number of milliseconds', async () => {
    for (const bad of ['0', '0.5', '1s', '99999999999']) {
      assertUsageError(await run(['serve', '--db-statement-timeout', bad]), `--db-statement-timeout must be a whole number of milliseconds (1-2147483647), not "${bad}"`);
    }
  });

  describe('a server on PostgreSQL whose database is slow or away', { concurrency: false }, () => {
    const schema = pgEnv.newSchema();
    let proxy: TcpProxy;
    let server: Server;
    let locker: pg.Client | undefined;

    /** Terminates the server's backends (found by the proxy's upstream ports); returns how many. */
    async function terminateBackends(): Promise<number> {
      const ports = proxy.upstreamPorts();
      if (!ports.length) return 0;
      const { rows } = await admin.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE application_name = 'ghl-objects' AND datname = current_database() AND client_port = ANY($1::int[]) AND pid <> pg_backend_pid()`,
        [ports],
      );
      return rows.filter((r) => r.ok).length;
    }

    /** The server serves again by itself: polls one request at a time, bounded; every answer meanwhile is 200 or 503. */
    async function recovers(withinMs: number, what: string): Promise<void> {
      const seen = new Set<number>();
      const polled = await pollUntil(
        async () => {
          const a = await timed(server, 'GET', REX_PATH);
          seen.add(a.status);
          return a;
        },
        (a) => a.status === 200,
        { timeoutMs: withinMs, intervalMs: 50 },
      );
      assert.ok(polled.done, `${what}: still ${polled.value.status} ${polled.value.text} after ${polled.elapsedMs} ms`);
      assert.deepEqual([...seen].filter((s) => s !== 200 && s !== 503), [], `${what}: answers other than 200 and 503`);
      // And it stays so: the next requests all succeed.
      for (let i = 0; i < 5; i++) assert.equal((await timed(server, 'GET', REX_PATH)).status, 200, `${what}: request ${i} after recovery`);
      const write = await timed(server, 'POST', '/objects/custom_objects.pet/records', { locationId: LOC, properties: { name: `after ${what}` } });
      assert.equal(write.status, 201, write.text);
    }

    before(async () => {
      assertBuilt();
      const target = new URL(pgEnv.url);
      proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      const viaProxy = new URL(pgEnv.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      server = await startServe([
        '--db', viaProxy.toString(), '--db-schema', schema, '--db-statement-timeout', String(STATEMENT_TIMEOUT_MS), '--fixtures', 'fixtures/demo.json',
      ]);
      assert.equal((await timed(server, 'GET', REX_PATH)).status, 200);
    });
    after(async () => {
      await locker?.end().catch(() => undefined);
      await server?.stop();
      await proxy?.close();
    });

    test('a table locked past the statement timeout: 503 in the envelope, quickly, for every request; served again once released', async () => {
      locker = await pgEnv.clientIn(schema);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
      try {
        // More requests at once than the pool has connections (10): the last wait for one, then for the lock.
        const reads = Array.from({ length: 14 }, () => timed(server, 'GET', REX_PATH));
        const write = timed(server, 'POST', '/objects/custom_objects.pet/records', { locationId: LOC, properties: { name: 'Written under the lock' } });
        const search = timed(server, 'POST', '/objects/custom_objects.pet/records/search', { locationId: LOC, pageLimit: 5 });
        const answers = await Promise.all([...reads, write, search]);
        // Each waits at most two statement timeouts (a pooled connection, then the lock) plus slack.
        for (const [i, a] of answers.entries()) assertUnavailable(a, 4 * STATEMENT_TIMEOUT_MS + 2_000, `request ${i}`);
        // Schemas and tokens are other tables: those requests are served meanwhile.
        assert.equal((await timed(server, 'GET', `/objects/custom_objects.pet?locationId=${LOC}`)).status, 200);
        assertAlive(server);
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
        locker = undefined;
      }
      // The very next request succeeds: nothing to wait for, nothing to reconnect.
      const next = await timed(server, 'GET', REX_PATH);
      assert.equal(next.status, 200, next.text);
      // The refused write left nothing behind.
      const found = await timed(server, 'POST', '/objects/custom_objects.pet/records/search', { locationId: LOC, pageLimit: 5, query: 'Written under the lock' });
      assert.equal((found.body as { total: number }).total, 0, found.text);
      await recovers(1_000, 'the lock released');
    });

    test('its connections terminated by the database: the request in flight is a 503, the next ones succeed by themselves', async () => {
      // Several connections open, then one request blocked behind a lock while they are killed.
      await Promise.all(Array.from({ length: 6 }, () => timed(server, 'GET', REX_PATH)));
      locker = await pgEnv.clientIn(schema);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
      let inFlight: Timed;
      try {
        const pending = timed(server, 'GET', REX_PATH);
        await sleep(STATEMENT_TIMEOUT_MS / 3);
        const killed = await terminateBackends();
        assert.ok(killed >= 1, `terminated ${killed} backends`);
        inFlight = await pending;
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
        locker = undefined;
      }
      assertUnavailable(inFlight, STATEMENT_TIMEOUT_MS + 2_000, 'the request whose connection was terminated');
      assertAlive(server);
      await recovers(3_000, 'backends terminated');
    });

    test('the database refuses connections: 503 at once; served again when it is back', async () => {
      proxy.setMode('refuse');
      try {
        for (let i = 0; i < 3; i++) assertUnavailable(await timed(server, 'GET', REX_PATH), 3_000, `request ${i} while refused`);
        const burst = await Promise.all(Array.from({ length: 12 }, () => timed(server, 'GET', REX_PATH)));
        for (const [i, a] of burst.entries()) assertUnavailable(a, 3_000, `concurrent request ${i} while refused`);
        // Not a connection is kept: the pool does not hold broken ones.
        assert.equal(proxy.connections(), 0);
        assertAlive(server);
      } finally {
        proxy.setMode('pass');
      }
      await recovers(3_000, 'connections accepted again');
    });

    test('the database stops answering (every byte swallowed): 503 after the bounded wait, never a hang; served again after', async () => {
      proxy.setMode('blackhole');
      try {
        // A pooled connection waits for its answer up to statement timeout + connect timeout (the
        // client-side bound); a new one up to the connect timeout.
        const bound = STATEMENT_TIMEOUT_MS + CONNECT_TIMEOUT_MS + 3_000;
        const answers = await Promise.all(Array.from({ length: 3 }, () => timed(server, 'GET', REX_PATH)));
        for (const [i, a] of answers.entries()) assertUnavailable(a, bound, `request ${i} while nothing answers`);
        assertAlive(server);
      } finally {
        proxy.setMode('pass');
      }
      await recovers(CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + 3_000, 'the database answering again');
      assertAlive(server);
    });
  });
}
