/**
 * The limits of the process, on real server processes (the BUILT CLI, SQLite) over real sockets:
 *
 * - a body over 1 MiB is a 413 in the envelope (also for a client that writes its whole body
 *   before reading), and the connection is closed or still usable; the server goes on serving;
 * - a slow client (headers a byte at a time, or a body that never comes) is cut off after
 *   `--request-timeout-ms` while other clients are served;
 * - `--max-connections 5`: five connections at once are served, more are closed unanswered;
 * - search caps: pageLimit, nesting depth, number of conditions, and bodies nested 100,000 deep
 *   are refused, and the process survives them;
 * - graceful shutdown: on SIGTERM every request already sent is answered (none reset), those
 *   the server had begun with their normal answer; new connections are refused; the process
 *   exits 0 within a bounded time, even with keep-alive clients, clients that go on sending
 *   requests back to back, or a client stalled mid-request.
 *
 * `npm run build` first: the children run `dist/`.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { assertBuilt, killAll, startServe, type Server } from '../helpers/cli-process.js';
import { pollUntil } from '../helpers/poll.js';
import { destroyAllSockets, RawConnection, refusedCode, requestText, type RawAnswer } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/test-server.js';

after(killAll);
after(destroyAllSockets);
const { dir, cleanup } = tempDir('ghl-objects-limits-');
after(cleanup);

const DEMO_PATH = new URL('../../fixtures/demo.json', import.meta.url).pathname;
const LOC = 've9EPM428h8vShlRW1KT';
const PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const AUTH = { Authorization: `Bearer ${PIT}`, Version: '2021-07-28' };
const PET = 'custom_objects.pet';
const REX = '661c06b4ffde146bdb469442';
const BODY_LIMIT = 1_048_576;
const REQUEST_TIMEOUT_MS = 1_000;
const MAX_CONNECTIONS = 5;
/** Records added to the shutdown server's fixture, so that a search scanning them takes a while. */
const BULK_RECORDS = 1_200;

const GET_REX = requestText('GET', `/objects/${PET}/records/${REX}`, AUTH);
const envelope = (status: number, message: string | string[], error: string) => ({ statusCode: status, message, error });

let limited: Server; // --request-timeout-ms 1000: bodies, slow clients, search caps
let capped: Server; // --max-connections 5: touched only through raw sockets
let draining: Server; // --log-level info: graceful shutdown
let busy: Server; // --log-level warn (reads take the fast path): shutdown under steady load

/** The demo fixture with BULK_RECORDS more pets, each with a long history, written to a temporary file. */
function bulkFixture(): string {
  const doc = JSON.parse(readFileSync(DEMO_PATH, 'utf8')) as { locations: Array<{ records: unknown[] }> };
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  for (let i = 0; i < BULK_RECORDS; i++) {
    const history = Array.from({ length: 300 }, (_, j) => words[(i * 7 + j * 3) % 10]).join(' ');
    doc.locations[0]!.records.push({ objectKey: PET, properties: { name: `Bulk ${i}`, history, weight_kg: i % 50 } });
  }
  const path = join(dir, 'bulk.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const common = ['--rate-limit-burst', '0', '--rate-limit-daily', '0'];

before(async () => {
  assertBuilt();
  const bulk = bulkFixture();
  [limited, capped, draining, busy] = await Promise.all([
    startServe(['--db', join(dir, 'limited.db'), '--fixtures', DEMO_PATH, '--request-timeout-ms', String(REQUEST_TIMEOUT_MS), '--log-level', 'warn', ...common]),
    startServe(['--db', join(dir, 'capped.db'), '--fixtures', DEMO_PATH, '--max-connections', String(MAX_CONNECTIONS), '--log-level', 'warn', ...common]),
    startServe(['--db', join(dir, 'draining.db'), '--fixtures', bulk, '--log-level', 'info', ...common]),
    startServe(['--db', join(dir, 'busy.db'), '--fixtures', DEMO_PATH, '--log-level', 'warn', ...common]),
  ]);
});

/** A request over a connection of its own, closed after; bounded. */
async function once(port: number, text: string, timeoutMs = 10_000): Promise<RawAnswer> {
  const c = await RawConnection.open(port);
  try {
    return await c.request(text, timeoutMs);
  } finally {
    c.destroy();
  }
}

/** The server answers an ordinary request (and so is alive and usable). */
async function assertServes(server: Server, what: string): Promise<void> {
  assert.equal(server.exit(), undefined, `the server exited ${what}: ${JSON.stringify(server.exit())}\n${server.stderr()}`);
  const a = await once(server.port, GET_REX);
  assert.equal(a.status, 200, `GET after ${what}: ${a.status} ${a.body}`);
  assert.equal((JSON.parse(a.body) as { record: { id: string } }).record.id, REX);
}

/** A create body of exactly `size` bytes (valid JSON: trailing spaces). */
function createBodyOfSize(size: number, name: string): string {
  const base = JSON.stringify({ locationId: LOC, properties: { name } });
  return base + ' '.repeat(size - Buffer.byteLength(base));
}

// ---------------------------------------------------------------------------------------------
// Bodies

test('a body over 1 MiB is answered 413 in the envelope; the server goes on serving', async (t) => {
  const tooLarge = envelope(413, 'request entity too large', 'Payload Too Large');
  // The headers announce more than 1 MiB: the server answers before the body is sent. Then the
  // connection is either closed (Connection: close) or still usable once the body is sent.
  const after413: string[] = [];
  for (const size of [BODY_LIMIT + 1, 3 * BODY_LIMIT]) {
    const c = await RawConnection.open(limited.port);
    const text = requestText('POST', `/objects/${PET}/records`, AUTH, createBodyOfSize(size, 'too large'));
    const headEnd = text.indexOf('\r\n\r\n') + 4;
    const a = await c.request(text.slice(0, headEnd), 10_000);
    assert.equal(a.status, 413, `${size} bytes: ${a.status} ${a.body}`);
    assert.deepEqual(JSON.parse(a.body), tooLarge);
    if (a.headers.connection === 'close') {
      assert.ok(await c.waitClosed(3_000), `${size} bytes: the 413 said Connection: close, and the connection stays open`);
      after413.push(`${size} bytes: connection closed`);
    } else {
      c.write(text.slice(headEnd));
      const next = await c.request(GET_REX, 10_000);
      assert.equal(next.status, 200, `${size} bytes: the request after the 413 on the same connection: ${next.status} ${next.body}`);
      after413.push(`${size} bytes: connection reused`);
    }
    c.destroy();
    await assertServes(limited, `a ${size}-byte body`);
  }

  // A chunked body (no Content-Length) over the limit, sent as a streaming client sends it.
  const c = await RawConnection.open(limited.port);
  c.write(`POST /objects/${PET}/records HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${PIT}\r\nVersion: 2021-07-28\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const chunk = ' '.repeat(64 * 1024);
  const head = JSON.stringify({ locationId: LOC, properties: { name: 'chunked' } });
  c.write(`${head.length.toString(16)}\r\n${head}\r\n`);
  for (let sent = head.length; sent <= BODY_LIMIT + chunk.length && !c.closed && !c.answered; sent += chunk.length) {
    c.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    await sleep(10);
  }
  const chunked = await c.next(10_000);
  assert.equal(chunked.status, 413, `chunked: ${chunked.status} ${chunked.body}`);
  assert.deepEqual(JSON.parse(chunked.body), tooLarge);
  c.destroy();
  await assertServes(limited, 'a chunked body over the limit');

  // Exactly 1 MiB is within the limit, and the connection stays open for the next request.
  t.diagnostic(`after a 413: ${after413.join('; ')}`);
  const ok = await RawConnection.open(limited.port);
  const created = await ok.request(requestText('POST', `/objects/${PET}/records`, AUTH, createBodyOfSize(BODY_LIMIT, 'exactly 1 MiB')));
  assert.equal(created.status, 201, `exactly ${BODY_LIMIT} bytes: ${created.status} ${created.body.slice(0, 300)}`);
  const again = await ok.request(GET_REX);
  assert.equal(again.status, 200);
  ok.destroy();
});

test('a client that sends its whole over-limit body before reading gets the 413, not a reset', async () => {
  // What fetch, axios and the SDK do: write the whole body, then read. The server must not close
  // the connection under a client still sending (RFC 9112 section 9.6: an immediate close risks
  // a reset that destroys the response before the client reads it).
  const outcomes: Record<string, number> = {};
  for (const size of [BODY_LIMIT + 1, 8 * BODY_LIMIT]) {
    const body = createBodyOfSize(size, 'too large');
    for (let i = 0; i < 5; i++) {
      let outcome: string;
      try {
        const res = await fetch(`${limited.url}/objects/${PET}/records`, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        outcome = res.status === 413 && text === JSON.stringify(envelope(413, 'request entity too large', 'Payload Too Large')) ? '413' : `${res.status} ${text.slice(0, 100)}`;
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        outcome = `no answer: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
      }
      const key = `${size} bytes: ${outcome}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
  }
  await assertServes(limited, 'the large bodies');
  assert.deepEqual(Object.keys(outcomes).filter((k) => !k.endsWith(': 413')), [], `outcomes of 5 attempts per size: ${JSON.stringify(outcomes)}`);
});

// ---------------------------------------------------------------------------------------------
// Slow clients

test(`a slow client is cut off after --request-timeout-ms (${REQUEST_TIMEOUT_MS} ms) while others are served`, async () => {
  const bound = REQUEST_TIMEOUT_MS + 2_500;
  // One sends its headers a byte every 50 ms (they would take ~8 s); one sends its headers and
  // 10 bytes of a 1,000-byte body, then nothing.
  const dripping = await RawConnection.open(limited.port);
  const text = GET_REX;
  let at = 0;
  const drip = setInterval(() => {
    if (at < text.length - 4) dripping.write(text[at++]!);
  }, 50);
  const stalled = await RawConnection.open(limited.port);
  stalled.write(
    `POST /objects/${PET}/records HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${PIT}\r\nVersion: 2021-07-28\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"locatio`,
  );

  try {
    // Meanwhile other clients are served, each promptly.
    const served: number[] = [];
    const others = (async () => {
      while (Date.now() - stalled.startedAt < REQUEST_TIMEOUT_MS + 500) {
        const t0 = Date.now();
        const a = await once(limited.port, GET_REX, 3_000);
        assert.equal(a.status, 200, `another client during the slow ones: ${a.status} ${a.body}`);
        served.push(Date.now() - t0);
        await sleep(100);
      }
    })();

    const outcome = async (c: RawConnection) => {
      const answer = c.next(bound).then(
        (a) => ({ answer: a, atMs: Date.now() - c.startedAt }),
        (err: Error & { code?: string }) => ({ error: err.code ?? err.message, atMs: Date.now() - c.startedAt }),
      );
      return answer;
    };
    const [d, s] = await Promise.all([outcome(dripping), outcome(stalled), others]);
    assert.ok(served.length >= 3, `other clients served meanwhile: ${served.length}`);
    const problems: string[] = [];
    for (const [name, o] of [['headers a byte at a time', d], ['a body that never comes', s]] as const) {
      if ('answer' in o) {
        if (o.answer.status !== 408 || !isDeepStrictEqual(JSON.parse(o.answer.body), envelope(408, 'Request Timeout', 'Request Timeout'))) {
          problems.push(`${name}: answered ${o.answer.status} ${o.answer.body} after ${o.atMs} ms`);
        }
      } else if (o.error === 'TIMEOUT') {
        problems.push(`${name}: neither answered nor closed ${bound} ms after it connected`);
        continue;
      }
      if (o.atMs < REQUEST_TIMEOUT_MS - 100) problems.push(`${name}: cut off after ${o.atMs} ms, before the request timeout`);
    }
    assert.deepEqual(problems, [], `slow clients, --request-timeout-ms ${REQUEST_TIMEOUT_MS}`);
    assert.ok(await dripping.waitClosed(1_000), 'the dripping connection is closed after its 408');
    assert.ok(await stalled.waitClosed(1_000), 'the stalled connection is closed after its 408');
  } finally {
    clearInterval(drip);
    dripping.destroy();
    stalled.destroy();
  }
  await assertServes(limited, 'the slow clients');
});

// ---------------------------------------------------------------------------------------------
// Connections

test(`--max-connections ${MAX_CONNECTIONS}: that many connections are served at once, more are closed unanswered`, async () => {
  const first: RawConnection[] = [];
  const extra: RawConnection[] = [];
  try {
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const c = await RawConnection.open(capped.port);
      first.push(c);
      const a = await c.request(GET_REX);
      assert.equal(a.status, 200, `connection ${i + 1}: ${a.status}`);
      assert.equal(a.headers.connection, 'keep-alive');
    }
    // Observed: the kernel completes the handshake, then the server closes the socket at once,
    // unanswered (the client sees a clean close or ECONNRESET).
    for (let i = 0; i < 5; i++) {
      let c: RawConnection;
      try {
        c = await RawConnection.open(capped.port);
      } catch (err) {
        continue; // refused outright: as good
      }
      extra.push(c);
      c.write(GET_REX);
    }
    for (const [i, c] of extra.entries()) {
      const outcome = await c.next(3_000).then(
        (a) => `answered ${a.status}`,
        (err: Error & { code?: string }) => err.code ?? err.message,
      );
      assert.notEqual(outcome, 'TIMEOUT', `connection ${MAX_CONNECTIONS + i + 1} was neither answered nor closed within 3 s`);
      assert.doesNotMatch(outcome, /^answered/, `connection ${MAX_CONNECTIONS + i + 1} beyond --max-connections was served (${outcome})`);
    }
    // The first five are still usable.
    for (const [i, c] of first.entries()) {
      const a = await c.request(GET_REX);
      assert.equal(a.status, 200, `connection ${i + 1} after the refused ones: ${a.status}`);
    }
  } finally {
    for (const c of [...first, ...extra]) c.destroy();
  }
  // Once they close, new connections are served again.
  const polled = await pollUntil(
    () => once(capped.port, GET_REX, 2_000).then((a) => a.status, (err: Error) => err.message),
    (status) => status === 200,
    { timeoutMs: 5_000, intervalMs: 50 },
  );
  assert.ok(polled.done, `after the connections closed, a new one: ${polled.value}`);
});

// ---------------------------------------------------------------------------------------------
// Search caps

test('search caps: pageLimit, depth, number of conditions; 100,000 nested groups are refused and the process survives', async () => {
  const path = `/objects/${PET}/records/search`;
  const search = (body: unknown) => once(limited.port, requestText('POST', path, AUTH, body), 15_000);
  const v422 = (...message: string[]) => envelope(422, message, 'Unprocessable Entity');
  const leaf = { field: 'properties.name', operator: 'exists' };
  const nest = (depth: number): unknown => (depth === 0 ? leaf : { group: 'AND', filters: [nest(depth - 1)] });

  const cases: Array<{ name: string; body: unknown; expect: unknown }> = [
    { name: 'pageLimit 101', body: { locationId: LOC, pageLimit: 101 }, expect: v422('pageLimit must not be greater than 100') },
    { name: 'pageLimit 1e9', body: { locationId: LOC, pageLimit: 1e9 }, expect: v422('pageLimit must not be greater than 100') },
    { name: 'groups 6 deep', body: { locationId: LOC, pageLimit: 10, filters: [nest(6)] }, expect: v422(`filters${'.0.filters'.repeat(5)}.0 nests groups more than 5 deep`) },
    {
      name: '101 conditions',
      body: { locationId: LOC, pageLimit: 10, filters: Array.from({ length: 101 }, () => leaf) },
      expect: v422('filters must contain no more than 100 conditions (groups included)'),
    },
    {
      name: '10,000 conditions in groups',
      body: { locationId: LOC, pageLimit: 10, filters: Array.from({ length: 100 }, () => ({ group: 'OR', filters: Array.from({ length: 100 }, () => leaf) })) },
      expect: v422('filters must contain no more than 100 conditions (groups included)'),
    },
  ];
  for (const c of cases) {
    const a = await search(c.body);
    assert.equal(a.status, 422, `${c.name}: ${a.status} ${a.body.slice(0, 300)}`);
    assert.deepEqual(JSON.parse(a.body), c.expect, c.name);
  }

  // Bodies nested as deep as a body can be, written as text (a JS object that deep could not be stringified).
  const head = `{"locationId":"${LOC}","pageLimit":10,"filters":[`;
  const open = '{"group":"AND","filters":[';
  const close = ']}';
  const leafText = JSON.stringify(leaf);
  const groups = (n: number, inner = leafText) => `${head}${open.repeat(n)}${inner}${close.repeat(n)}]}`;
  const arrays = (n: number, inner = '') => `${head}${'['.repeat(n)}${inner}${']'.repeat(n)}]}`;
  const fitting = Math.floor((BODY_LIMIT - head.length - leafText.length - 2) / (open.length + close.length));
  const deep: Array<{ name: string; text: string; status: number; expect?: unknown }> = [
    { name: '100,000 nested groups (over 1 MiB)', text: groups(100_000), status: 413, expect: envelope(413, 'request entity too large', 'Payload Too Large') },
    { name: `${fitting} nested groups (just under 1 MiB)`, text: groups(fitting), status: 422, expect: v422(`filters${'.0.filters'.repeat(5)}.0 nests groups more than 5 deep`) },
    { name: '100,000 nested arrays', text: arrays(100_000), status: 422, expect: v422('filters.0 must be an object: {field, operator, value} or {group, filters}') },
    // A NUL character makes the server walk the whole body (it refuses NUL anywhere), and a
    // "constructor" key makes the JSON parser look for prototype poisoning: both at depth.
    { name: '100,000 nested arrays around a NUL', text: arrays(100_000, '"\\u0000"'), status: 400 },
    { name: `${fitting - 2} nested groups around a NUL`, text: groups(fitting - 2, '{"field":"properties.name","operator":"eq","value":"\\u0000"}'), status: 400 },
    { name: '100,000 nested arrays around a "constructor"', text: arrays(100_000, '{"constructor":{"prototype":{}}}'), status: 400 },
  ];
  for (const c of deep) {
    if (c.status !== 413) assert.ok(Buffer.byteLength(c.text) <= BODY_LIMIT, `${c.name}: ${Buffer.byteLength(c.text)} bytes`);
    const started = Date.now();
    const a = await search(c.text);
    const ms = Date.now() - started;
    assert.equal(a.status, c.status, `${c.name}: ${a.status} ${a.body.slice(0, 300)}`);
    const body = JSON.parse(a.body) as { statusCode: number; message: unknown; error: string };
    if (c.expect) assert.deepEqual(body, c.expect, c.name);
    else assert.equal(body.statusCode, c.status, `${c.name}: not the envelope: ${a.body.slice(0, 300)}`);
    assert.ok(ms < 10_000, `${c.name}: answered after ${ms} ms`);
    await assertServes(limited, c.name);
  }

  // And an ordinary search still works.
  const ok = await search({ locationId: LOC, pageLimit: 100, filters: [nest(4)] });
  assert.equal(ok.status, 201, ok.body.slice(0, 300));
});

// ---------------------------------------------------------------------------------------------
// Graceful shutdown

test('shutdown is bounded: a client stalled in the middle of its request cannot hold the process', async () => {
  // Headers and 10 bytes of a 1,000-byte body, then nothing; SIGTERM while it waits.
  const c = await RawConnection.open(limited.port);
  c.write(`POST /objects/${PET}/records HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${PIT}\r\nVersion: 2021-07-28\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"locatio`);
  await sleep(200);
  const sigtermAt = Date.now();
  limited.child.kill('SIGTERM');
  const bound = REQUEST_TIMEOUT_MS + 2_500;
  const exited = await pollUntil(async () => limited.exit(), (e) => e !== undefined, { timeoutMs: bound, intervalMs: 25 });
  const connection = c.closed ? `closed ${c.closed.atMs} ms after it connected (${c.closed.error ?? 'cleanly'})` : 'still open';
  c.destroy();
  assert.ok(
    exited.done,
    `the process had not exited ${Date.now() - sigtermAt} ms after SIGTERM (--request-timeout-ms ${REQUEST_TIMEOUT_MS}); the stalled connection: ${connection}`,
  );
  assert.deepEqual(exited.value, { code: 0, signal: null }, `exit after SIGTERM; stderr: ${limited.stderr()}`);
});


test('graceful shutdown: on SIGTERM every request received completes normally, new connections are refused, the process exits 0', async (t) => {
  const slowSearch = {
    locationId: LOC,
    pageLimit: 100,
    filters: [{ group: 'OR', filters: Array.from({ length: 90 }, (_, i) => ({ field: 'properties.history', operator: 'contains', value: `zz${i}` })) }],
  };
  interface InFlight {
    kind: 'search' | 'get' | 'late get' | 'create' | 'slow upload';
    name?: string;
    c: RawConnection;
    answer: Promise<RawAnswer | { error: string }>;
    answeredAt?: number;
  }
  const inflight: InFlight[] = [];
  const track = (kind: InFlight['kind'], c: RawConnection, name?: string) => {
    const entry: InFlight = {
      kind,
      name,
      c,
      answer: c.next(30_000).then(
        (a) => {
          entry.answeredAt = Date.now();
          return a;
        },
        (err: Error & { code?: string }) => ({ error: `${err.code ?? ''} ${err.message}` }),
      ),
    };
    inflight.push(entry);
  };
  // Every connection is opened first, then every request written in one go, so that they reach
  // the server together: the uploads first (their headers; the last bytes come during the
  // shutdown), the slow searches last.
  const requests: Array<{ kind: InFlight['kind']; text: string; name?: string }> = [];
  for (let i = 0; i < 2; i++) {
    const name = `uploaded during shutdown ${i}`;
    requests.push({ kind: 'slow upload', name, text: requestText('POST', `/objects/${PET}/records`, AUTH, { locationId: LOC, properties: { name } }) });
  }
  for (let i = 0; i < 4; i++) {
    const name = `created during shutdown ${i}`;
    requests.push({ kind: 'create', name, text: requestText('POST', `/objects/${PET}/records`, AUTH, { locationId: LOC, properties: { name } }) });
  }
  for (let i = 0; i < 6; i++) requests.push({ kind: 'get', text: GET_REX });
  for (let i = 0; i < 3; i++) requests.push({ kind: 'search', text: requestText('POST', `/objects/${PET}/records/search`, AUTH, slowSearch) });
  const connections = await Promise.all(requests.map(() => RawConnection.open(draining.port)));
  const uploads: Array<{ c: RawConnection; rest: string }> = [];
  for (const [i, r] of requests.entries()) {
    const c = connections[i]!;
    if (r.kind === 'slow upload') {
      c.write(r.text.slice(0, -12));
      uploads.push({ c, rest: r.text.slice(-12) });
    } else c.write(r.text);
    track(r.kind, c, r.name);
  }
  /** When the server began each request (routed it: its log's "incoming request"), by client port. */
  const begunAt = (): Map<number, number> => {
    const out = new Map<number, number>();
    for (const line of draining.stdout().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; time?: number; req?: { remotePort?: number } };
        if (entry.msg === 'incoming request' && entry.req?.remotePort !== undefined) out.set(entry.req.remotePort, entry.time!);
      } catch {
        // not a log line
      }
    }
    return out;
  };

  // Once the gets are answered, the server is working through the searches (each blocks it a
  // while: SQLite is synchronous). The creates wait for their group commit, which runs after the
  // searches: they are in flight at SIGTERM too. Then late arrivals: connections made, and
  // requests sent, while it is busy; then SIGTERM.
  const gate = await pollUntil(
    async () => inflight.filter((f) => f.kind === 'get' && f.answeredAt === undefined).length,
    (left) => left === 0,
    { timeoutMs: 15_000, intervalMs: 5 },
  );
  assert.ok(gate.done, `${gate.value} gets unanswered after 15 s`);
  const late = await Promise.all(Array.from({ length: 4 }, () => RawConnection.open(draining.port)));
  for (const c of late) {
    c.write(GET_REX);
    track('late get', c);
  }
  await sleep(20);

  const sigtermAt = Date.now();
  draining.child.kill('SIGTERM');
  const unansweredAtSigterm = inflight.filter((f) => f.answeredAt === undefined).length;

  // New connections are refused while the shutdown waits for the uploads.
  const refused = await pollUntil(() => refusedCode(draining.port, 1_000), (code) => code !== null, { timeoutMs: 10_000, intervalMs: 25 });
  const exitedBeforeUploads = draining.exit();
  for (const u of uploads) u.c.write(u.rest);

  const answers = await Promise.all(inflight.map((f) => f.answer));
  const lastAnswerAt = Date.now();

  // The exit: bounded. Clients keep their connections open after their answer, as keep-alive
  // clients (the SDK's, browsers', undici's) do.
  const EXIT_BOUND_MS = 3_000;
  const exited = await pollUntil(async () => draining.exit(), (e) => e !== undefined, { timeoutMs: EXIT_BOUND_MS, intervalMs: 25 });
  let afterClientsClosed = '';
  if (!exited.done) {
    // Diagnosis: does it exit once the clients close their connections?
    const closedAt = Date.now();
    for (const f of inflight) f.c.destroy();
    const gone = await pollUntil(async () => draining.exit(), (e) => e !== undefined, { timeoutMs: 3_000, intervalMs: 25 });
    afterClientsClosed = gone.done
      ? `; it exited (${JSON.stringify(gone.value)}) ${Date.now() - closedAt} ms after the clients closed their connections`
      : '; it did not exit within 3 s after the clients closed their connections either';
    draining.child.kill('SIGKILL');
    await draining.exited;
  }

  // The server's log, complete now that it is gone, says which requests it had begun.
  const begun = begunAt();
  const beganBeforeSigterm = inflight.filter((f) => (begun.get(f.c.localPort) ?? Infinity) < sigtermAt).length;
  const problems: string[] = [];
  const created: string[] = [];
  let declined = 0;
  for (const [i, f] of inflight.entries()) {
    const a = answers[i]!;
    const at = begun.get(f.c.localPort);
    const what = `${f.kind}${f.name ? ` "${f.name}"` : ''} (client port ${f.c.localPort}, ${at === undefined ? 'never begun' : at < sigtermAt ? `begun ${sigtermAt - at} ms before SIGTERM` : `begun ${at - sigtermAt} ms after SIGTERM`})`;
    if ('error' in a) {
      problems.push(`${what}: sent before SIGTERM, no answer: ${a.error}`);
      continue;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(a.body) as Record<string, unknown>;
    } catch {
      problems.push(`${what}: ${a.status} with a body that is not JSON: ${a.body.slice(0, 200)}`);
      continue;
    }
    // A request the server had not begun when it started closing may be declined (Fastify's
    // documented 503 while closing, Connection: close); one it had begun must complete.
    if (a.status === 503 && at === undefined && body.statusCode === 503 && a.headers.connection === 'close') {
      declined++;
      continue;
    }
    if (f.kind === 'search') {
      if (a.status !== 201 || body.total !== 0 || !Array.isArray(body.records)) problems.push(`${what}: ${a.status} ${a.body.slice(0, 200)}`);
    } else if (f.kind === 'get' || f.kind === 'late get') {
      if (a.status !== 200 || (body.record as { id?: string } | undefined)?.id !== REX) problems.push(`${what}: ${a.status} ${a.body.slice(0, 200)}`);
    } else {
      const rec = body.record as { id?: string; properties?: { name?: string } } | undefined;
      if (a.status !== 201 || rec?.properties?.name !== f.name) problems.push(`${what}: ${a.status} ${a.body.slice(0, 200)}`);
      else created.push(rec!.id!);
    }
  }
  t.diagnostic(
    `${inflight.length} requests sent, ${beganBeforeSigterm} begun before SIGTERM, ${unansweredAtSigterm} unanswered at SIGTERM, ${declined} declined with 503 while closing; ` +
      `new connections refused ${refused.elapsedMs} ms after SIGTERM (${String(refused.value)}); last answer ${lastAnswerAt - sigtermAt} ms after SIGTERM`,
  );

  // Every acknowledged create is in the database.
  const db = new Database(join(dir, 'draining.db'), { readonly: true, fileMustExist: true });
  try {
    const have = db.prepare('SELECT count(*) FROM records WHERE id = ?').pluck();
    for (const id of created) if (have.get(id) !== 1) problems.push(`the acknowledged create ${id} is not in the database`);
  } finally {
    db.close();
  }

  // Every check, failed or not, in one report.
  const failures = [...problems];
  if (created.length < uploads.length) failures.push(`only ${created.length} creates acknowledged`);
  if (unansweredAtSigterm < uploads.length + 1) failures.push(`only ${unansweredAtSigterm} requests were still in flight at SIGTERM: the test did not test`);
  if (!refused.done) failures.push(`a new connection was still accepted ${refused.elapsedMs} ms after SIGTERM`);
  if (exitedBeforeUploads !== undefined) failures.push(`the process exited (${JSON.stringify(exitedBeforeUploads)}) before the uploads in flight were answered`);
  const connectionHeaders = [...new Set(answers.flatMap((a) => ('error' in a ? [] : [a.headers.connection])))].join(', ');
  if (!exited.done) {
    failures.push(
      `the process had not exited ${EXIT_BOUND_MS} ms after the last in-flight answer (${lastAnswerAt - sigtermAt} ms after SIGTERM) while ` +
        `its clients kept their connections open; the answers given during the shutdown said Connection: ${connectionHeaders}${afterClientsClosed}`,
    );
  } else if (exited.value?.code !== 0) failures.push(`exit after SIGTERM: ${JSON.stringify(exited.value)}; stderr: ${draining.stderr()}`);
  assert.deepEqual(failures, [], 'graceful shutdown');
});

test('shutdown under steady load: clients that go on sending, reconnecting at Connection: close, get 200s, a request begun after the drain a 503, and the process exits 0', async (t) => {
  // Keep-alive clients that send their next request as soon as an answer comes and open a new
  // connection when one is closed, as a load generator or a busy integration's pool does: new
  // connections hold the drain to its longest, and requests keep arriving after it, when the app
  // is closing and Fastify declines them at once.
  const CLIENTS = 8;
  const tally = { ok: 0, declined: 0, connections: 0, resetUnaccepted: 0 };
  const problems: string[] = [];
  let sigtermAt = Infinity;
  const client = async (n: number): Promise<void> => {
    for (;;) {
      let c: RawConnection;
      try {
        c = await RawConnection.open(busy.port);
      } catch (err) {
        // The server has stopped listening: the end of this client. A connection the kernel had
        // taken into the backlog is reset, which may show already while connecting.
        const code = (err as { code?: string }).code;
        if ((code === 'ECONNREFUSED' || code === 'ECONNRESET') && Date.now() >= sigtermAt) {
          if (code === 'ECONNRESET') tally.resetUnaccepted++;
          return;
        }
        problems.push(`client ${n}: connect: ${(err as Error).message}`);
        return;
      }
      tally.connections++;
      for (let answered = 0; ; answered++) {
        let a: RawAnswer;
        try {
          a = await c.request(GET_REX, 10_000);
        } catch (err) {
          // Once the drain is over the server stops listening, and the kernel resets connections
          // it had not accepted yet (TCP gives no way around that): as good as refused. A reset
          // of a connection the server had answered on is a request lost.
          if (answered === 0 && Date.now() >= sigtermAt && (err as { code?: string }).code === 'ECONNRESET') {
            tally.resetUnaccepted++;
            return;
          }
          problems.push(`client ${n}: request ${answered + 1} of its connection, sent ${Date.now() >= sigtermAt ? 'after' : 'before'} SIGTERM, got no answer: ${(err as Error).message}`);
          return;
        }
        if (a.status === 200 && (JSON.parse(a.body) as { record?: { id?: string } }).record?.id === REX) tally.ok++;
        else if (a.status === 503 && a.headers.connection === 'close' && (JSON.parse(a.body) as { statusCode?: number }).statusCode === 503) tally.declined++;
        else problems.push(`client ${n}: ${a.status} ${a.body.slice(0, 200)}`);
        if (a.headers.connection === 'close') break;
        if (Date.now() - sigtermAt > 10_000) {
          problems.push(`client ${n}: still kept alive 10 s after SIGTERM`);
          return;
        }
      }
      if (!(await c.waitClosed(3_000))) problems.push(`client ${n}: the answer said Connection: close and the connection stayed open`);
      c.destroy();
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
  // And one request whose headers are complete only once the server has stopped listening.
  const late = await RawConnection.open(busy.port);
  late.write(GET_REX.slice(0, -1));
  await sleep(300);
  const before = tally.ok;
  sigtermAt = Date.now();
  busy.child.kill('SIGTERM');
  const refused = await pollUntil(() => refusedCode(busy.port, 1_000), (code) => code !== null, { timeoutMs: 10_000, intervalMs: 25 });
  const lateAnswer = await late.request(GET_REX.slice(-1), 10_000).catch((err: Error) => err.message);
  await Promise.all(clients);
  const exited = await pollUntil(async () => busy.exit(), (e) => e !== undefined, { timeoutMs: 5_000, intervalMs: 25 });
  t.diagnostic(
    `${before} answers before SIGTERM; in all ${tally.ok} answered 200 and ${tally.declined} declined with 503, over ${tally.connections} connections, ` +
      `of which ${tally.resetUnaccepted} reset unanswered when the server stopped listening`,
  );
  // Checked first: a crash shows as resets too.
  assert.deepEqual(exited.value, { code: 0, signal: null }, `exit after SIGTERM; stderr: ${busy.stderr()}`);
  assert.ok(refused.done, `the server still accepted connections ${refused.elapsedMs} ms after SIGTERM`);
  assert.ok(typeof lateAnswer !== 'string', `the request completed after the server stopped listening got no answer: ${String(lateAnswer)}`);
  assert.equal(lateAnswer.status, 503, lateAnswer.body);
  assert.equal(lateAnswer.headers.connection, 'close');
  assert.equal((JSON.parse(lateAnswer.body) as { statusCode?: number }).statusCode, 503);
  assert.deepEqual(problems, []);
  assert.ok(before > CLIENTS, `only ${before} answers in 300 ms before SIGTERM: the load did not load`);
});
