import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { Writable } from 'node:stream';
import { ROUTES } from '../helpers/fuzz-requests.js';
import { waitUntilPast } from '../helpers/poll.js';
import {
  A_PET_KEY,
  EXPIRES_IN_S,
  FIELD,
  FOLDER,
  LOC_A,
  LOC_B,
  OBJ,
  PIT,
  REC,
  RawClient,
  VERSION,
  forgedTokens,
  robustnessFixture,
  runPool,
  signingKeyPems,
  startLoggedServer,
  type LoggedServer,
  type RawRequest,
  type Sent,
} from '../helpers/robustness.js';

/**
 * Tokens never appear in logs or error bodies (issue "Rate limits, and proof that no input, load
 * or crash breaks it", part 5; CONTRACT.md: "Tokens are secrets ... never log them"). The app runs
 * with the real pino logger at trace level into a captured stream; every route is called with PITs
 * and OAuth JWTs (valid, unknown, forged, revoked, expired, lacking the scope) in each place a
 * bearer token travels (RFC 6750: the Authorization header, an `access_token` query parameter, an
 * `access_token` body parameter) and a few where clients put them by mistake; some requests fail
 * with 4xx, some log at error level (a table of the real SQLite file made unreachable for a
 * moment), some log warnings (a Redis that cannot be reached). Then the captured log and every
 * answer (body and headers) are searched for every token, its SHA-256 (what the database keeps),
 * the signing key's PEM, and the Redis password.
 */

const logChunks: string[] = [];
const capture = new Writable({
  write(chunk: Buffer | string, _encoding, done) {
    logChunks.push(chunk.toString());
    done();
  },
});

let server: LoggedServer;
let redisServer: LoggedServer;
let client: RawClient;
let redisClient: RawClient;
/** The signing keys of both servers (PKCS#8 PEM). */
const privatePems: string[] = [];
const REDIS_PASSWORD = `redis-pw-${randomUUID()}`;

/** Every token of the run, by kind. */
const tokens = {
  valid: [] as string[],
  /** Never used before the error-level phase, so not in the verdict cache then. */
  fresh: [] as string[],
  refused: [] as string[],
};
/** What each token is, for the report. */
const labels = new Map<string, string>();
interface Exchange {
  request: RawRequest;
  sent: Sent;
}
const exchanges: Exchange[] = [];

async function send(c: RawClient, requests: RawRequest[]): Promise<void> {
  const results = await runPool(requests, 8, (r) => c.send(r));
  results.forEach((sent, i) => exchanges.push({ request: requests[i]!, sent }));
}

before(async () => {
  // A port nothing listens on, for a Redis that cannot be reached.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const fixture = robustnessFixture();
  server = await startLoggedServer(fixture, capture);
  const loaded = Date.now();
  redisServer = await startLoggedServer(fixture, capture, { config: { rateLimitBurst: 100, rateLimitDaily: 1000, redisUrl: `redis://:${REDIS_PASSWORD}@127.0.0.1:${closedPort}` } });
  client = RawClient.forUrl(server.url, 8);
  redisClient = RawClient.forUrl(redisServer.url, 8);

  const db = new Database(server.dbPath, { readonly: true });
  const { privatePem, publicPem } = signingKeyPems(db);
  db.close();
  const redisDb = new Database(redisServer.dbPath, { readonly: true });
  privatePems.push(privatePem, signingKeyPems(redisDb).privatePem);
  redisDb.close();
  const oauth = (loc: string) => server.tokens.filter((t) => t.type === 'oauth' && t.locationId === loc).map((t) => t.token);
  const [oFull, oNoScope, oWrong, oRevoked, oExpired] = oauth(LOC_A) as [string, string, string, string, string];
  const [oB] = oauth(LOC_B) as [string];
  // The second server signs with a key of its own: its tokens are secrets too.
  const redisOauth = redisServer.tokens.filter((t) => t.type === 'oauth').map((t) => t.token);
  const label = (kind: keyof typeof tokens, entries: Array<[string, string]>) => {
    for (const [name, token] of entries) {
      tokens[kind].push(token);
      labels.set(token, name);
    }
  };
  label('valid', [['PIT of A', PIT.aFull], ['OAuth of A', oFull], ['PIT of B', PIT.bFull], ['PIT of A, unrelated scopes', PIT.aWrongScope], ['OAuth of A, unrelated scopes', oWrong]]);
  label('valid', [['OAuth of the second server', redisOauth[0]!]]);
  label('fresh', [['PIT of A, read-only', PIT.aRead], ['OAuth of A, no scope', oNoScope], ['OAuth of B', oB]]);
  label('refused', [
    ['PIT of A, no scope', PIT.aNoScope], ['revoked PIT', PIT.aRevoked], ['revoked OAuth', oRevoked], ['expired PIT', PIT.aExpired], ['expired OAuth', oExpired],
    ['unknown PIT', `pit-${randomUUID()}`], ['unknown PIT in capitals', `pit-${randomUUID()}`.toUpperCase()], ['a foreign API key', `sk_live_${randomUUID().replace(/-/g, '')}`],
  ]);
  label('refused', (await forgedTokens(oFull, publicPem, LOC_B)).map((tok, i) => [`forged JWT ${i}`, tok]));
  await waitUntilPast(loaded + EXPIRES_IN_S * 1000 + 50);
});

after(async () => {
  client?.close();
  redisClient?.close();
  await server?.close();
  await redisServer?.close();
});

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const PATH_VALUES: Record<string, string> = {
  schemaKey: A_PET_KEY, id: REC.aRex, key: A_PET_KEY, objectKey: A_PET_KEY,
};
const ROUTE_ID: Record<string, string> = {
  'delete object': OBJ.aTempOne, 'get field': FIELD.aName, 'update field': FIELD.aHistory, 'delete field': FIELD.aSpareOne,
  'update folder': FOLDER.aImaging, 'delete folder': FOLDER.aSpareOne, 'delete record': REC.aDelOne,
};

/** A body each write route takes (well-formed; valid tokens may really write, which is fine here). */
function bodyFor(route: string): Record<string, unknown> | undefined {
  switch (route) {
    case 'create record': return { locationId: LOC_A, properties: { name: 'Logged' } };
    case 'update record': return { properties: { name: 'Logged' } };
    case 'search records': return { locationId: LOC_A, pageLimit: 5 };
    case 'create object': return { labels: { singular: 'L', plural: 'Ls' }, key: `custom_objects.logged_${randomUUID().slice(0, 8)}`, locationId: LOC_A, primaryDisplayPropertyDetails: { key: 'title', name: 'Title', dataType: 'TEXT' } };
    case 'update object': return { locationId: LOC_A, searchableProperties: ['custom_objects.pet.name'] };
    case 'create field': return { locationId: LOC_A, name: 'Logged', showInForms: true, dataType: 'TEXT', fieldKey: `custom_objects.pet.logged_${randomUUID().slice(0, 8)}`, objectKey: A_PET_KEY, parentId: FOLDER.aGeneral };
    case 'update field': return { locationId: LOC_A, showInForms: true, name: 'Logged' };
    case 'create folder': return { objectKey: A_PET_KEY, name: 'Logged', locationId: LOC_A };
    case 'update folder': return { name: 'Logged', locationId: LOC_A };
    default: return undefined;
  }
}

function pathFor(route: (typeof ROUTES)[number]): string {
  let path = route.template.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' ? (ROUTE_ID[route.name] ?? REC.aRex) : PATH_VALUES[name]!));
  if (route.location === 'query' && route.name !== 'update record') path += `?locationId=${LOC_A}`;
  if (route.name === 'update record') path += `?locationId=${LOC_A}`;
  return path;
}

const withQuery = (path: string, extra: string) => `${path}${path.includes('?') ? '&' : '?'}${extra}`;

/** Routes every variant of a token's place is tried on; the others get the three RFC 6750 places. */
const EVERY_VARIANT = new Set(['get record', 'create record', 'update field']);

/** Every route with the token in the three places RFC 6750 defines; some routes with every other place too. */
function requestsFor(token: string): RawRequest[] {
  const out: RawRequest[] = [];
  for (const route of ROUTES) {
    const path = pathFor(route);
    const body = bodyFor(route.name);
    const base = (headers: Record<string, string | string[]>, p = path, b: unknown = body): RawRequest => ({
      method: route.method,
      path: p,
      headers: { Version: VERSION, ...headers, ...(b === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: b === undefined ? undefined : JSON.stringify(b),
    });
    const withBody = route.method !== 'GET';
    // RFC 6750: the Authorization header (§2.1), the query (§2.3), a form body parameter (§2.2).
    out.push(base({ Authorization: `Bearer ${token}` }), base({}, withQuery(path, `access_token=${token}`)));
    if (withBody) out.push({ method: route.method, path, headers: { Version: VERSION, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `access_token=${token}` });
    if (!EVERY_VARIANT.has(route.name)) continue;
    out.push(
      base({ Authorization: `bearer ${token}` }),
      base({ Authorization: token }),
      base({ Authorization: `Basic ${Buffer.from(`user:${token}`).toString('base64')}` }),
      base({ Authorization: [`Bearer ${token}`, `Bearer ${PIT.aRevoked}`] }),
      base({ Authorization: `Bearer ${token}`, Version: '2020-01-01' }),
      base({ Version: token }),
      base({ 'X-Api-Key': token, Cookie: `token=${token}` }),
      base({ Authorization: `Bearer ${PIT.aFull}` }, withQuery(path, `access_token=${token}&token=${token}`)),
      base({ Authorization: `Bearer ${PIT.aFull}` }, withQuery(path, `locationId=${token}`)),
    );
    if (withBody) {
      out.push(
        { method: route.method, path, headers: { Version: VERSION, Authorization: `Bearer ${PIT.aFull}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `access_token=${token}` },
        base({ Authorization: `Bearer ${PIT.aFull}` }, path, { ...(body ?? {}), access_token: token }),
        base({ Authorization: `Bearer ${PIT.aFull}` }, path, { ...(body ?? {}), locationId: token }),
        base({}, path, { ...(body ?? {}), access_token: token, authorization: `Bearer ${token}` }),
        { method: route.method, path, headers: { Version: VERSION, Authorization: `Bearer ${PIT.aFull}`, 'Content-Type': 'application/json' }, body: `{"access_token": ${token}}` },
      );
    }
  }
  // A mistyped path (an unknown route, a bad percent-encoding, an over-long key) with the token in the query.
  out.push({ method: 'GET', path: `/object/?locationId=${LOC_A}&access_token=${token}`, headers: { Version: VERSION } });
  out.push({ method: 'GET', path: `/objects/${A_PET_KEY}/record/${REC.aRex}?access_token=${token}`, headers: { Version: VERSION, Authorization: `Bearer ${token}` } });
  out.push({ method: 'GET', path: `/objects/custom_objects.pet%/records/${REC.aRex}?access_token=${token}`, headers: { Version: VERSION, Authorization: `Bearer ${token}` } });
  out.push({ method: 'GET', path: `/objects/${'k'.repeat(501)}/records/${REC.aRex}?access_token=${token}`, headers: { Version: VERSION, Authorization: `Bearer ${token}` } });
  return out;
}

test('a full run with every kind of token, in every place, on every route', async (t) => {
  const requests = [...tokens.valid, ...tokens.refused].flatMap(requestsFor);
  await send(client, requests);
  t.diagnostic(`${requests.length} requests, ${[...tokens.valid, ...tokens.refused].length} tokens`);
  const statuses = new Set(exchanges.map((e) => (e.sent.ok ? e.sent.answer.status : 0)));
  for (const s of [200, 201, 401, 403, 404, 415, 422]) assert.ok(statuses.has(s), `the run has ${s} answers (${[...statuses].join(', ')})`);
  assert.ok(exchanges.every((e) => e.sent.ok), 'every request was answered');
});

test('requests that log at error level: a table of the SQLite file out of reach, tokens fresh to the cache', async (t) => {
  const db = new Database(server.dbPath, { timeout: 5_000 });
  const errorLinesBefore = errorLines().length;
  try {
    // The records table gone: reading and writing records fail inside the store (500, logged).
    db.exec('ALTER TABLE records RENAME TO records_out_of_reach');
    const failing: RawRequest[] = [];
    for (const token of [...tokens.valid.slice(0, 2), ...tokens.fresh.slice(0, 1)]) {
      failing.push({ method: 'GET', path: `/objects/${A_PET_KEY}/records/${REC.aRex}?access_token=${token}`, headers: { Version: VERSION, Authorization: `Bearer ${token}` } });
      failing.push({ method: 'POST', path: `/objects/${A_PET_KEY}/records?access_token=${token}`, headers: { Version: VERSION, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ locationId: LOC_A, properties: { name: token } }) });
    }
    await send(client, failing);
    db.exec('ALTER TABLE records_out_of_reach RENAME TO records');
    // The tokens table gone: checking a token the cache has not seen fails (500, logged).
    db.exec('ALTER TABLE tokens RENAME TO tokens_out_of_reach');
    const unchecked: RawRequest[] = [...tokens.fresh, ...tokens.refused].map((token) => ({
      method: 'GET', path: `/objects/?locationId=${LOC_A}&access_token=${token}`, headers: { Version: VERSION, Authorization: `Bearer ${token}` },
    }));
    await send(client, unchecked);
  } finally {
    for (const [from, to] of [['records_out_of_reach', 'records'], ['tokens_out_of_reach', 'tokens']] as const) {
      const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(from);
      if (exists) db.exec(`ALTER TABLE ${from} RENAME TO ${to}`);
    }
    db.close();
  }
  const fiveHundreds = exchanges.filter((e) => e.sent.ok && e.sent.answer.status === 500).length;
  t.diagnostic(`${fiveHundreds} answers 500, ${errorLines().length - errorLinesBefore} log lines at error level`);
  assert.ok(fiveHundreds >= 6, `the out-of-reach tables gave ${fiveHundreds} answers 500`);
  assert.ok(errorLines().length - errorLinesBefore >= 6, 'the failures were logged at error level');
  // ...and the server is back once the tables are.
  const back = await client.send({ method: 'GET', path: `/objects/${A_PET_KEY}/records/${REC.aRex}`, headers: { Version: VERSION, Authorization: `Bearer ${PIT.aFull}` } });
  assert.ok(back.ok && back.answer.status === 200, 'the server serves again');
});

test('requests that log warnings: rate limits counted in a Redis that cannot be reached', async (t) => {
  const before = logChunks.join('').split('\n').filter((l) => l.includes('"level":40')).length;
  const requests = [...tokens.valid.slice(0, 2), ...tokens.fresh, tokens.valid.at(-1)!].flatMap((token) => [
    { method: 'GET', path: `/objects/${A_PET_KEY}/records/${REC.aRex}?access_token=${token}`, headers: { Version: VERSION, Authorization: `Bearer ${token}` } },
  ]);
  await send(redisClient, requests);
  const warnings = logChunks.join('').split('\n').filter((l) => l.includes('"level":40')).length - before;
  t.diagnostic(`${requests.length} requests, ${warnings} warnings logged`);
  assert.ok(warnings >= 1, 'the unreachable Redis was logged as a warning');
});

function errorLines(): string[] {
  return logChunks.join('').split('\n').filter((l) => /"level":(50|60)/.test(l));
}

// ---------------------------------------------------------------------------------------------
// The search
// ---------------------------------------------------------------------------------------------

/** Each secret, as it might be written: the token, its SHA-256 (as stored), its secret part. */
function secrets(): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const token of [...tokens.valid, ...tokens.fresh, ...tokens.refused]) {
    const name = labels.get(token) ?? `${token.slice(0, 12)}…`;
    out.push({ name: `token ${name}`, value: token });
    out.push({ name: `SHA-256 of ${name}`, value: createHash('sha256').update(token).digest('hex') });
    if (token.startsWith('pit-')) out.push({ name: `UUID of ${name}`, value: token.slice(4) });
    const signature = token.split('.')[2];
    if (signature && signature.length > 20) out.push({ name: `JWT signature of ${name}`, value: signature });
  }
  // The signing keys: each PEM, and each line of it (a log escapes the line breaks).
  for (const [k, pem] of privatePems.entries()) {
    out.push({ name: `signing key ${k} PEM`, value: pem.trim() });
    for (const [i, line] of pem.split('\n').entries()) if (line.length >= 40 && !line.startsWith('-----')) out.push({ name: `signing key ${k} PEM line ${i}`, value: line });
  }
  out.push({ name: 'Redis password', value: REDIS_PASSWORD });
  return out;
}

/** Where in a JSON log line `value` sits: the paths of the strings that hold it (`req.url`, `err.message`). */
function placesIn(line: string, value: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return ['(a line that is not JSON)'];
  }
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (typeof v === 'string') {
      if (v.includes(value)) out.push(path);
    } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(parsed, '');
  const msg = (parsed as { msg?: string }).msg ?? '';
  return out.map((p) => `"${msg}" at ${p}`);
}

test('the captured log holds no token, no token hash, no signing key, no password', (t) => {
  const log = logChunks.join('');
  const lines = log.split('\n').filter(Boolean);
  t.diagnostic(`${lines.length} log lines (${Math.round(log.length / 1024)} KiB) searched for ${secrets().length} secrets`);
  const levels = new Set([...log.matchAll(/"level":(\d+)/g)].map((m) => Number(m[1])));
  for (const level of [30, 40, 50]) assert.ok(levels.has(level), `the log has lines at level ${level} (${[...levels].join(', ')})`);
  // Found secrets, grouped by where they sit in the log: one entry per place, naming what was found there.
  const byPlace = new Map<string, { secrets: Set<string>; lines: number; example: string }>();
  for (const s of secrets()) {
    for (const line of lines) {
      if (!line.includes(s.value)) continue;
      for (const place of placesIn(line, s.value)) {
        const entry = byPlace.get(place) ?? { secrets: new Set(), lines: 0, example: line.slice(0, 300) };
        entry.secrets.add(s.name);
        entry.lines++;
        byPlace.set(place, entry);
      }
    }
  }
  const report = [...byPlace].map(([place, e]) => `${place}: ${e.lines} lines, holding ${[...e.secrets].slice(0, 8).join('; ')}${e.secrets.size > 8 ? `; and ${e.secrets.size - 8} more` : ''}; e.g. ${e.example}`);
  assert.deepEqual(report, []);
});

test('no answer (body or headers) holds a token, a token hash, the signing key or the password', (t) => {
  t.diagnostic(`${exchanges.length} answers searched`);
  // Found secrets, grouped by the answer's status and message.
  const byKind = new Map<string, { secrets: Set<string>; answers: number; example: string }>();
  for (const { request, sent } of exchanges) {
    if (!sent.ok) continue;
    const text = `${JSON.stringify(sent.answer.headers)}\n${sent.answer.text}`;
    for (const s of secrets()) {
      if (!text.includes(s.value)) continue;
      const message = /"message":"([^"]{0,24})/.exec(sent.answer.text)?.[1] ?? '';
      const kind = `${sent.answer.status} "${message}…"`;
      const entry = byKind.get(kind) ?? { secrets: new Set(), answers: 0, example: `${request.method} ${request.path.slice(0, 120)} -> ${sent.answer.text.slice(0, 200)}` };
      entry.secrets.add(s.name);
      entry.answers++;
      byKind.set(kind, entry);
    }
  }
  const report = [...byKind].map(([kind, e]) => `${kind}: ${e.answers} answers, holding ${[...e.secrets].slice(0, 8).join('; ')}${e.secrets.size > 8 ? `; and ${e.secrets.size - 8} more` : ''}; e.g. ${e.example}`);
  assert.deepEqual(report, []);
});
