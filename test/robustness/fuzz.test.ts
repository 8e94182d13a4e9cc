import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import type Database from 'better-sqlite3';
import fc from 'fast-check';
import { deepJson, ROUTES, type FuzzContext } from '../helpers/fuzz-requests.js';
import { startFuzzWorker, type FuzzJob, type FuzzSummary, type FuzzWorker } from '../helpers/fuzz-worker.js';
import { waitUntilPast } from '../helpers/poll.js';
import {
  EXPIRES_IN_S,
  LOC_A,
  LOC_B,
  PIT,
  RawClient,
  REC,
  VERSION,
  envelopeProblem,
  forgedTokens,
  openReadOnly,
  rawExchange,
  robustnessFixture,
  runPool,
  signingKeyPems,
  snapshotDiff,
  snapshotTables,
  type RawAnswer,
} from '../helpers/robustness.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Fuzzing every endpoint of the README's API table from its schema (issue "Rate limits, and proof
 * that no input, load or crash breaks it", part 1), over real HTTP (keep-alive, concurrent) and a
 * real SQLite file. The requests are made and sent by a worker thread (test/helpers/fuzz-worker.ts),
 * so the server keeps this thread to itself. Every answer must be a 2xx or a 4xx in the contract's
 * envelope; a request with one defect alone gets exactly the answer that defect decides (401 with the
 * contract's body, 403, 413, ...); requests the contract refuses leave every table as it was; the
 * server still serves afterwards.
 *
 * FUZZ_SEED=<n> replays a run (the seed is printed with every failure); FUZZ_SCALE=<x> multiplies
 * the request counts.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const REFUSED_RUNS = Math.round(9_000 * SCALE);
const ANY_RUNS = Math.round(11_000 * SCALE);
const RAW_RUNS = Math.round(600 * SCALE);
const CONCURRENCY = 16;
const MIN_REQUESTS = Math.round(20_000 * SCALE);

let server: TestServer;
let worker: FuzzWorker;
let client: RawClient;
let db: Database.Database;
let ctx: FuzzContext;
let sentinelBefore: { a: string; b: string };
let sent = 0;

/** A plain GET of a record, with that location's full PIT. */
async function plainGet(id: string, token: string): Promise<RawAnswer> {
  const r = await client.send({ method: 'GET', path: `/objects/custom_objects.pet/records/${id}`, headers: { Version: VERSION, Authorization: `Bearer ${token}` } });
  assert.ok(r.ok, `the server no longer answers: ${r.ok ? '' : r.error}`);
  return r.answer;
}

before(async () => {
  worker = startFuzzWorker();
  server = await startTestServer(robustnessFixture());
  const loaded = Date.now();
  client = RawClient.forUrl(server.url, CONCURRENCY);
  db = openReadOnly(server.dbPath);
  const oauth = server.tokens.filter((t) => t.type === 'oauth' && t.locationId === LOC_A).map((t) => t.token);
  assert.equal(oauth.length, 5);
  const [oauthFull, oauthNoScope, oauthWrongScope, oauthRevoked, oauthExpired] = oauth as [string, string, string, string, string];
  ctx = {
    locationId: LOC_A,
    foreignLocationId: LOC_B,
    tokens: {
      full: PIT.aFull,
      oauthFull,
      read: PIT.aRead,
      noScope: [PIT.aNoScope, oauthNoScope],
      wrongScope: [PIT.aWrongScope, oauthWrongScope],
      revoked: [PIT.aRevoked, oauthRevoked],
      expired: [PIT.aExpired, oauthExpired],
      forged: await forgedTokens(oauthFull, signingKeyPems(db).publicPem, LOC_B),
    },
  };
  // The fixture's expired tokens live EXPIRES_IN_S from the load.
  await waitUntilPast(loaded + EXPIRES_IN_S * 1000 + 50);
  sentinelBefore = { a: (await plainGet(REC.aSentinel, PIT.aFull)).text, b: (await plainGet(REC.bRex, PIT.bFull)).text };
});

after(async () => {
  await worker?.close();
  client?.close();
  db?.close();
  await server?.close();
});

function histogram(values: Iterable<string | number>): string {
  const counts = new Map<string | number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, n]) => `${k}: ${n}`).join(', ');
}

const show = (m: Record<string, number>) => Object.entries(m).map(([k, n]) => `${k}: ${n}`).join(', ');

/** Runs one family in the client worker; reports what it did. */
async function fuzz(t: TestContext, family: FuzzJob['family'], runs: number, seed: number): Promise<FuzzSummary> {
  const start = performance.now();
  const s = await worker.run({ url: server.url, ctx, family, runs, seed, concurrency: CONCURRENCY, profile: Boolean(process.env.FUZZ_PROFILE) });
  sent += s.sent;
  const wall = (performance.now() - start) / 1000;
  t.diagnostic(`${family}: ${s.sent} requests, sent in ${(s.sendMs / 1000).toFixed(1)} s (${Math.round(s.sent / (s.sendMs / 1000))}/s), generated in ${(s.generateMs / 1000).toFixed(1)} s, ${wall.toFixed(1)} s in all; FUZZ_SEED=${SEED}`);
  t.diagnostic(`${family} statuses: ${show(s.statuses)}${s.expected ? `; ${s.expected} answers were one defect's exact answer` : ''}`);
  t.diagnostic(`${family} routes: ${show(s.routes)}`);
  if (s.slowest) t.diagnostic(s.slowest);
  return s;
}

const report = (s: FuzzSummary) => `${s.failureCount} bad answers (FUZZ_SEED=${SEED}):\n${s.failures.join('\n')}`;

test(`refused requests on every route: ${REFUSED_RUNS} generated, each 4xx in the envelope, and no table changes`, async (t) => {
  const before = snapshotTables(db);
  const s = await fuzz(t, 'refused', REFUSED_RUNS, SEED);
  const after = snapshotTables(db);
  assert.deepEqual(Object.keys(s.routes).sort(), ROUTES.map((r) => r.name).sort(), 'every route of the API table is fuzzed');
  assert.equal(s.failureCount, 0, report(s));
  assert.ok(after === before, `refused requests changed stored data (FUZZ_SEED=${SEED}):\n${snapshotDiff(before, after)}`);
  // Every kind of refusal was reached, and many answers were checked byte for byte.
  for (const status of ['400', '401', '403', '404', '413', '414', '415', '422', '431']) assert.ok((s.statuses[status] ?? 0) > 0, `no ${status} among the answers`);
  assert.ok(s.expected > REFUSED_RUNS / 20, `only ${s.expected} answers were checked exactly`);
  assert.equal((await plainGet(REC.aSentinel, PIT.aFull)).text, sentinelBefore.a);
});

test(`any request on every route: ${ANY_RUNS} generated (valid bodies from the schemas, defects mixed in), never a 5xx, always the envelope`, async (t) => {
  const bSnapshot = snapshotTables(db, LOC_B);
  const s = await fuzz(t, 'any', ANY_RUNS, SEED + 1_000_003);
  t.diagnostic(`any: ${s.successes} answered 2xx`);
  assert.deepEqual(Object.keys(s.routes).sort(), ROUTES.map((r) => r.name).sort(), 'every route of the API table is fuzzed');
  assert.equal(s.failureCount, 0, report(s));
  assert.ok(s.successes > ANY_RUNS / 10, `only ${s.successes} of ${ANY_RUNS} requests succeeded: the generator no longer reaches the services`);
  // Location B was never addressed with a token of its own: nothing of it may have changed.
  assert.ok(snapshotTables(db, LOC_B) === bSnapshot, 'requests with A tokens changed data of location B');
});

// ---------------------------------------------------------------------------------------------
// What no HTTP client sends: raw bytes on a socket
// ---------------------------------------------------------------------------------------------

const AUTH_LINES = `Version: ${VERSION}\r\nAuthorization: Bearer ${PIT.aFull}\r\n`;
const LIST = `/objects/?locationId=${LOC_A}`;

/** One raw request: a request line, header lines and a body, as bytes (latin1 for text). */
const rawRequest = fc
  .record({
    line: fc.oneof(
      fc.constantFrom(
        `GET ${LIST} HTTP/1.1`, `GET ${LIST} HTTP/1.0`, `HEAD ${LIST} HTTP/1.1`, `get ${LIST} HTTP/1.1`, `FOO ${LIST} HTTP/1.1`,
        `GET http://127.0.0.1${LIST} HTTP/1.1`, 'OPTIONS * HTTP/1.1', 'GET / HTTP/2.0', 'GET / HTTP/9.9', `GET ${LIST}`, 'GET  / HTTP/1.1',
        `GET /objects/custom_objects.pet/records/${REC.aRex} HTTP/1.1`, `DELETE /objects/custom_objects.pet/records/${'0'.repeat(24)} HTTP/1.1`,
        `POST /objects/custom_objects.pet/records HTTP/1.1`, `PUT /custom-fields/folder/${'0'.repeat(24)} HTTP/1.1`,
      ),
      fc.constantFrom('/objects/custom_objects.p\u00e9t/records/', '/objects/\u00ff\u00fe/records/', '/objects/\u00ed\u00a0\u0080/records/', '/objects/a\u0000b/records/', '/objects/a b/records/', '/objects/a\tb/records/', '/objects/\u007f/records/')
        .map((p) => `GET ${p}${REC.aRex} HTTP/1.1`),
      fc.integer({ min: 10_000, max: 80_000 }).map((n) => `GET /objects/${'a'.repeat(n)} HTTP/1.1`),
    ),
    headers: fc.array(
      fc.constantFrom(
        'X-Nul: a\u0000b', 'Version: 2021-07-28\u00ff', 'Version: \u00ed\u00a0\u0080', 'Authorization: Bearer \u00ff\u00fe', 'No colon here', 'Bad Name: x', ' leading-space: x',
        'Content-Length: -1', 'Content-Length: abc', 'Content-Length: 1\r\nContent-Length: 2', 'Transfer-Encoding: chunked\r\nContent-Length: 3',
        'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: identity', 'Host: a\r\nHost: b', 'Expect: 100-continue',
        'Connection: Upgrade\r\nUpgrade: websocket', 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
        'Authorization: Bearer\r\n continued', 'Content-Type: application/json\r\nContent-Type: text/plain', 'X-Long: ' + 'v'.repeat(20_000),
      ),
      { maxLength: 2 },
    ),
    // Without Host, and with an Expect Node does not know, Node answers by itself: see the next test.
    host: fc.constantFrom('Host: 127.0.0.1', 'Host: 127.0.0.1:1', 'Host: \u00ff', 'Host: '),
    body: fc.constantFrom('', '{}', '0\r\n\r\n', 'zz\r\n{}\r\n0\r\n\r\n', `{"locationId":"${LOC_A}","properties":{"name":"raw"}}`),
  })
  .map(({ line, headers, host, body }) => {
    const head = [line, ...(host ? [host] : []), ...headers, AUTH_LINES.trimEnd(), 'Connection: close'].join('\r\n');
    const hasLength = headers.some((h) => /content-length|transfer-encoding/i.test(h));
    const text = `${head}\r\n${hasLength ? '' : `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n`}\r\n${body}`;
    return { text, method: line.split(' ')[0] ?? '' };
  });

test(`raw protocol oddities: ${RAW_RUNS} generated request lines and headers (Content-Length tricks, bad bytes, absolute and asterisk forms), each answered in the envelope`, async (t) => {
  const cases = fc.sample(rawRequest, { numRuns: RAW_RUNS, seed: SEED + 2 });
  const port = Number(new URL(server.url).port);
  const start = performance.now();
  const results = await runPool(cases, CONCURRENCY, (c) => rawExchange(port, Buffer.from(c.text, 'latin1'), 10_000, c.method === 'HEAD'));
  sent += cases.length;
  const ms = performance.now() - start;
  t.diagnostic(`raw: ${cases.length} exchanges in ${(ms / 1000).toFixed(1)} s; statuses ${histogram(results.map((r) => r.answer?.status ?? 'no answer'))}`);
  const failures: string[] = [];
  results.forEach((r, i) => {
    const c = cases[i]!;
    const shown = JSON.stringify(c.text.slice(0, 240));
    if (!r.answer) failures.push(`- no answer (${r.raw.length} bytes: ${JSON.stringify(r.raw.toString('latin1').slice(0, 120))}) to ${shown}`);
    else {
      const problem = envelopeProblem(c.method, r.answer);
      if (problem) failures.push(`- ${problem}: ${r.answer.status} ${JSON.stringify(r.answer.text.slice(0, 120))} to ${shown}`);
    }
  });
  const distinct = [...new Set(failures)];
  assert.equal(distinct.length, 0, `${failures.length} bad answers (${distinct.length} distinct, FUZZ_SEED=${SEED}):\n${distinct.slice(0, 12).join('\n')}`);
});

test("what Node's HTTP server answers by itself is in the envelope too: CONNECT, a request without Host, an unknown Expect", async () => {
  const port = Number(new URL(server.url).port);
  const cases = [
    `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${AUTH_LINES}\r\n`,
    `GET ${LIST} HTTP/1.1\r\n${AUTH_LINES}Connection: close\r\n\r\n`,
    `POST /objects/custom_objects.pet/records HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH_LINES}Expect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
  ];
  sent += cases.length;
  const problems: string[] = [];
  for (const text of cases) {
    const r = await rawExchange(port, Buffer.from(text, 'latin1'), 5_000);
    const line = JSON.stringify(text.split('\r\n')[0]);
    if (!r.answer) problems.push(`${line}: the connection was closed without an answer (${r.raw.length} bytes)`);
    else {
      const problem = envelopeProblem('GET', r.answer);
      if (problem) problems.push(`${line}: ${r.answer.status} ${problem}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('a Transfer-Encoding with a coding besides chunked is refused with a 400 at once, even when its body never ends; chunked is read', async () => {
  const port = Number(new URL(server.url).port);
  const head = (method: string, path: string, codings: string) =>
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH_LINES}Content-Type: application/json\r\nTransfer-Encoding: ${codings}\r\nConnection: close\r\n\r\n`;
  const refused = (codings: string) => JSON.stringify({ statusCode: 400, message: `Transfer-Encoding ${codings} is not supported: only chunked is`, error: 'Bad Request' });
  // No chunk follows: a server that waited for the body would never answer within the bound.
  for (const [method, path] of [['DELETE', `/objects/custom_objects.pet/records/${'0'.repeat(24)}`], ['POST', '/objects/custom_objects.pet/records']] as const) {
    const r = await rawExchange(port, Buffer.from(head(method, path, 'gzip, chunked'), 'latin1'), 5_000);
    assert.equal(r.answer?.status, 400, `${method}: ${r.raw.toString('latin1').slice(0, 200)}`);
    assert.equal(r.answer?.text, refused('gzip, chunked'));
  }
  const body = JSON.stringify({ locationId: LOC_A, properties: { name: 'chunked' } });
  const chunked = await rawExchange(port, Buffer.from(`${head('POST', '/objects/custom_objects.pet/records', 'chunked')}${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`, 'latin1'), 5_000);
  assert.equal(chunked.answer?.status, 201, chunked.raw.toString('latin1').slice(0, 300));
  sent += 3;
});

test('a NUL nested thousands of levels deep is refused as a NUL, exactly as one nested once (no depth changes the answer)', async () => {
  const answers: string[] = [];
  // Up to 500,000 levels: just under the 1 MiB body limit.
  for (const depth of [1, 100, 10_000, 500_000]) {
    const body = `{"locationId":"${LOC_A}","properties":{"name":${deepJson(depth, 'array', '"a\\u0000b"')}}}`;
    const r = await client.send({ method: 'POST', path: '/objects/custom_objects.pet/records', headers: { Version: VERSION, Authorization: `Bearer ${PIT.aFull}`, 'Content-Type': 'application/json' }, body });
    sent++;
    assert.ok(r.ok, `no answer at depth ${depth}`);
    answers.push(`${r.answer.status} ${r.answer.text}`);
  }
  assert.match(answers[0]!, /^400 /);
  assert.deepEqual(answers, answers.map(() => answers[0]), 'the answer changes with the depth');
});

test(`the server still serves, and at least ${MIN_REQUESTS} requests were sent`, async (t) => {
  t.diagnostic(`requests sent in this file: ${sent}`);
  assert.ok(sent >= MIN_REQUESTS, `only ${sent} requests were sent`);
  // (Its text may differ: the fuzz may have deleted a field it has a value in.)
  const a = await plainGet(REC.aSentinel, PIT.aFull);
  assert.equal(a.status, 200, a.text);
  const b = await plainGet(REC.bRex, PIT.bFull);
  assert.equal(b.status, 200, b.text);
  assert.equal(b.text, sentinelBefore.b, 'a record of B changed');
});
