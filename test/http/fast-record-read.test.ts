/**
 * Get Record By Id answered before Fastify (src/http/fast-record-read.ts), over real HTTP on a real
 * port. What must hold: it takes only requests whose answer is a 200, sends the bytes Fastify would
 * have sent, counts each request once against the rate limits, and gives everything else to
 * Fastify, which answers it as always.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { startTestServer, VERSION, type TestServer } from '../helpers/test-server.js';

const LOCATION = 've9EPM428h8vShlRW1KT';
const PET = '661c06b4ffde146bdb469442';
const RECORD = `/objects/custom_objects.pet/records/${PET}`;
const MISSING = '/objects/custom_objects.pet/records/661c06b4ffde146bdb469443';

function fixture() {
  const token = (scopes: string[]) => ({ id: randomUUID(), type: 'private-integration' as const, token: `pit-${randomUUID()}`, scopes });
  const tokens = [token(['objects/record.readonly']), token(['objects/schema.readonly']), token(['objects/record.readonly'])];
  return {
    tokens: tokens.map((t) => t.token),
    doc: {
      locations: [
        {
          id: LOCATION,
          name: 'Fast',
          tokens,
          objects: [{ key: 'custom_objects.pet', labels: { singular: 'Pet', plural: 'Pets' }, fields: [{ fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' }] }],
          records: [{ objectKey: 'custom_objects.pet', id: PET, properties: { name: 'Rex ✓' } }],
        },
      ],
    },
  };
}

interface Observed {
  server: TestServer;
  tokens: string[];
  /** The URLs of the requests Fastify answered, in order. */
  fastifySaw: string[];
}

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function start(overrides: Parameters<typeof startTestServer>[1] = {}, logger?: NonNullable<Parameters<typeof startTestServer>[2]>['logger']): Promise<Observed> {
  const { doc, tokens } = fixture();
  const fastifySaw: string[] = [];
  const server = await startTestServer(doc, overrides, {
    logger,
    beforeListen: (app) =>
      app.addHook('onResponse', (request, _reply, done) => {
        fastifySaw.push(request.url);
        done();
      }),
  });
  servers.push(server);
  return { server, tokens, fastifySaw };
}

/** One request on its own connection, and the answer's bytes as they came. */
function raw(server: TestServer, request: string): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

const getWith = (path: string, authorization: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\nVersion: ${VERSION}\r\nConnection: close\r\n${extra}\r\n`;
const get = (path: string, token: string, extra = '') => getWith(path, `Bearer ${token}`, extra);

/** The answer with its Date and its remaining budgets blanked: they differ from one request to the next. */
const comparable = (answer: string) => answer.replace(/^date: .*$/im, 'date: -').replace(/^(x-ratelimit-(?:daily-)?remaining): \d+$/gim, '$1: -');

test('a Get Record By Id that ends in 200 is answered before Fastify, with the bytes Fastify sends', async () => {
  const { server, tokens, fastifySaw } = await start({ rateLimitBurst: 100, rateLimitDaily: 1000 });
  // The token's first use verifies it (Fastify); its verdict is then cached.
  assert.match(await raw(server, get(RECORD, tokens[0]!)), /^HTTP\/1\.1 200 OK\r\n/);
  fastifySaw.length = 0;

  const fast = await raw(server, get(RECORD, tokens[0]!));
  assert.deepEqual(fastifySaw, [], 'Fastify did not see it');
  // The same request with a query string (its own location) is Fastify's.
  const viaFastify = await raw(server, get(`${RECORD}?locationId=${LOCATION}`, tokens[0]!));
  assert.deepEqual(fastifySaw, [`${RECORD}?locationId=${LOCATION}`]);

  assert.equal(comparable(fast), comparable(viaFastify));
  const [head, body] = fast.split('\r\n\r\n');
  assert.deepEqual(
    head!.split('\r\n').map((line) => line.split(':')[0]!.toLowerCase()),
    ['http/1.1 200 ok', 'x-ratelimit-limit-daily', 'x-ratelimit-daily-remaining', 'x-ratelimit-interval-milliseconds', 'x-ratelimit-max', 'x-ratelimit-remaining', 'content-type', 'content-length', 'date', 'connection'],
  );
  assert.match(head!, /^content-length: (\d+)$/m);
  assert.equal(Number(/^content-length: (\d+)$/m.exec(head!)![1]), Buffer.byteLength(body!), 'the length counts bytes, not characters');
  const record = (JSON.parse(body!) as { record: { id: string; properties: { name: string }; locationId: string } }).record;
  assert.deepEqual([record.id, record.properties.name, record.locationId], [PET, 'Rex ✓', LOCATION]);
  // Each request was counted once: 100 − 3 left after the third.
  assert.match(viaFastify, /^x-ratelimit-remaining: 97$/m);
});

test('every request of another shape, or that cannot pass without I/O, goes to Fastify', async () => {
  const { server, tokens, fastifySaw } = await start();
  const fresh = tokens[2]!;
  const cases: Array<[name: string, request: string, status: number]> = [
    ["a token's first use", get(RECORD, fresh), 200],
    ['a query string', get(`${RECORD}?locationId=${LOCATION}`, tokens[0]!), 200],
    ['a trailing slash', get(`${RECORD}/`, tokens[0]!), 200],
    ['an escaped character', get(RECORD.replace('pet', 'p%65t'), tokens[0]!), 200],
    ['an id in capitals', get(RECORD.toUpperCase().replace('/OBJECTS/CUSTOM_OBJECTS.PET/RECORDS/', '/objects/custom_objects.pet/records/'), tokens[0]!), 400],
    ['HEAD', get(RECORD, tokens[0]!).replace(/^GET/, 'HEAD'), 200],
    ['a body', get(RECORD, tokens[0]!, 'Content-Type: application/json\r\nContent-Length: 2\r\n') + '{}', 200],
    ['no Version', get(RECORD, tokens[0]!).replace(`Version: ${VERSION}\r\n`, ''), 401],
    ['another Version', get(RECORD, tokens[0]!).replace(VERSION, '2021-04-15'), 401],
    ['an unknown token', get(RECORD, `pit-${randomUUID()}`), 401],
    ['a token without the scope', get(RECORD, tokens[1]!), 401],
    ['a record that is not there', get(MISSING, tokens[0]!), 404],
    ['an object that is not there', get(RECORD.replace('pet', 'cat'), tokens[0]!), 404],
    // A cached token in a header of another form than `Bearer <token>`: parsed by the hook.
    ['the scheme in lower case', getWith(RECORD, `bearer ${tokens[0]!}`), 200],
    ['two spaces after the scheme', getWith(RECORD, `Bearer  ${tokens[0]!}`), 200],
    ['a tab after the scheme', getWith(RECORD, `Bearer\t${tokens[0]!}`), 200],
    ['the token and more', getWith(RECORD, `Bearer ${tokens[0]!} ${tokens[0]!}`), 401],
    ['the token and a character more', getWith(RECORD, `Bearer ${tokens[0]!}x`), 401],
    ['the token but its last character', getWith(RECORD, `Bearer ${tokens[0]!.slice(0, -1)}`), 401],
  ];
  for (const [name, request, status] of cases) {
    fastifySaw.length = 0;
    const answer = await raw(server, request);
    assert.equal(Number(answer.slice(9, 12)), status, name);
    assert.equal(fastifySaw.length, 1, `${name}: Fastify saw it`);
  }
  // The fresh token's verdict is now cached: its next request is taken before Fastify.
  fastifySaw.length = 0;
  assert.match(await raw(server, get(RECORD, fresh)), /^HTTP\/1\.1 200 OK/);
  assert.deepEqual(fastifySaw, []);
});

test('the 404 and the 429 of a request taken before Fastify are counted once, and answered as Fastify answers them', async () => {
  const { server, tokens, fastifySaw } = await start({ rateLimitBurst: 4, rateLimitWindowMs: 60_000, rateLimitDaily: 1000 });
  const remaining = (answer: string) => /^x-ratelimit-remaining: (\d+)$/m.exec(answer)?.[1];
  const first = await raw(server, get(RECORD, tokens[0]!));
  assert.equal(remaining(first), '3');
  fastifySaw.length = 0;

  const missing = await raw(server, get(MISSING, tokens[0]!));
  assert.match(missing, /^HTTP\/1\.1 404 Not Found/);
  assert.equal(remaining(missing), '2');
  assert.deepEqual(fastifySaw, [MISSING], 'Fastify answered the 404');
  assert.equal(missing.split('\r\n\r\n')[1], JSON.stringify({ statusCode: 404, message: 'Record not found', error: 'Not Found' }));

  assert.equal(remaining(await raw(server, get(RECORD, tokens[0]!))), '1');
  assert.equal(remaining(await raw(server, get(RECORD, tokens[0]!))), '0');
  fastifySaw.length = 0;
  const refused = await raw(server, get(RECORD, tokens[0]!));
  assert.match(refused, /^HTTP\/1\.1 429 Too Many Requests/);
  assert.equal(remaining(refused), '0');
  assert.match(refused, /^retry-after: \d+$/m);
  assert.deepEqual(fastifySaw, [RECORD], 'Fastify answered the 429');
  // The daily quota counted each of the four let through once (a refused request is not counted).
  assert.match(refused, /^x-ratelimit-daily-remaining: 996$/m);
});

test('with requests logged (info), every request goes to Fastify and is logged', async () => {
  const lines: Array<{ msg?: string; req?: { url?: string } }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  const { server, tokens, fastifySaw } = await start({}, { level: 'info', stream });
  for (let i = 0; i < 2; i++) assert.match(await raw(server, get(RECORD, tokens[0]!)), /^HTTP\/1\.1 200 OK/);
  assert.deepEqual(fastifySaw, [RECORD, RECORD]);
  assert.equal(lines.filter((l) => l.msg === 'incoming request' && l.req?.url === RECORD).length, 2);
  assert.equal(lines.filter((l) => l.msg === 'request completed').length, 2);
});

test('once the app starts closing, a request that still comes gets Fastify\'s 503, not a record', async () => {
  const { server, tokens } = await start();
  assert.match(await raw(server, get(RECORD, tokens[0]!)), /^HTTP\/1\.1 200 OK/);
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => socket.on('close', resolve));
  await new Promise((resolve) => socket.once('connect', resolve));
  // A search whose body is still coming keeps the connection busy, so closing does not drop it.
  const search = JSON.stringify({ locationId: LOCATION, page: 1, pageLimit: 1 });
  socket.write(`POST /objects/custom_objects.pet/records/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens[0]}\r\nVersion: ${VERSION}\r\nContent-Type: application/json\r\nContent-Length: ${search.length}\r\n\r\n${search.slice(0, 5)}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closed = server.app.close();
  await new Promise((resolve) => setImmediate(resolve));
  // The rest of the search, and a Get Record By Id behind it on the same connection.
  socket.write(search.slice(5) + get(RECORD, tokens[0]!).replace('Connection: close\r\n', ''));
  await ended;
  await closed;
  const answers = Buffer.concat(chunks).toString('utf8');
  const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  assert.equal(statuses.length, 2, answers);
  assert.equal(statuses[1], 503, answers);
});

test('requests sent together on one connection are answered in their order, those taken before Fastify among them', async () => {
  const { server, tokens, fastifySaw } = await start();
  assert.match(await raw(server, get(RECORD, tokens[0]!)), /^HTTP\/1\.1 200 OK/);
  fastifySaw.length = 0;
  const keepAlive = (path: string) => get(path, tokens[0]!).replace('Connection: close\r\n', '');
  // Five requests in one write: the 200s are written after their turn (answer-batch.ts), the 404
  // and the query string's 200 by Fastify, whose answers take longer.
  const answers = await raw(server, keepAlive(RECORD) + keepAlive(MISSING) + keepAlive(RECORD) + keepAlive(`${RECORD}?locationId=${LOCATION}`) + get(RECORD, tokens[0]!));
  assert.deepEqual(fastifySaw, [MISSING, `${RECORD}?locationId=${LOCATION}`]);
  const parsed = splitAnswers(answers);
  assert.deepEqual(parsed.map((a) => a.status), [200, 404, 200, 200, 200], answers);
  for (const i of [0, 2, 3, 4]) assert.equal((JSON.parse(parsed[i]!.body) as { record: { id: string } }).record.id, PET);
  assert.equal(parsed[1]!.body, JSON.stringify({ statusCode: 404, message: 'Record not found', error: 'Not Found' }));
});

/** Answers one after the other on a connection, each cut at its Content-Length. */
function splitAnswers(bytes: string): Array<{ status: number; body: string }> {
  const out: Array<{ status: number; body: string }> = [];
  let rest = Buffer.from(bytes, 'utf8');
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const head = rest.subarray(0, headEnd).toString('latin1');
    const length = Number(/^content-length: (\d+)$/im.exec(head)![1]);
    out.push({ status: Number(head.slice(9, 12)), body: rest.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8') });
    rest = rest.subarray(headEnd + 4 + length);
  }
  return out;
}
