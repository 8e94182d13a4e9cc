import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { auth, call, startTestServer, type TestServer } from '../helpers/test-server.js';

const LOCATION = 've9EPM428h8vShlRW1KT';
const REDIS_URL = process.env.GHL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RECORD = '/objects/custom_objects.pet/records/661c06b4ffde146bdb469442';

/** A one-location fixture with two PITs of fixed ids (fresh per call, so Redis keys never meet old runs). */
function fixture() {
  const tokens = [randomUUID(), randomUUID()].map((id) => ({ id, type: 'private-integration' as const, token: `pit-${randomUUID()}`, scopes: ['objects/record.readonly'] }));
  return {
    tokens,
    doc: {
      locations: [
        {
          id: LOCATION,
          name: 'Rate',
          tokens,
          objects: [{ key: 'custom_objects.pet', labels: { singular: 'Pet', plural: 'Pets' }, fields: [{ fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' }] }],
          records: [{ objectKey: 'custom_objects.pet', id: '661c06b4ffde146bdb469442', properties: { name: 'Rex' } }],
        },
      ],
    },
  };
}

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function start(doc: unknown, overrides: Parameters<typeof startTestServer>[1]): Promise<TestServer> {
  const s = await startTestServer(doc, overrides);
  servers.push(s);
  return s;
}

const TOO_MANY = JSON.stringify({ statusCode: 429, message: 'Too Many Requests', error: 'Too Many Requests' });

/** Waits until the start of the next burst window, so a test's requests all fall in one window. */
async function alignToWindow(windowMs: number): Promise<void> {
  await new Promise((r) => setTimeout(r, windowMs - (Date.now() % windowMs) + 5));
}

test('burst window: exactly the limit passes with counting-down headers, the next is a 429, the window resets', async () => {
  const { doc, tokens } = fixture();
  const windowMs = 1500;
  const s = await start(doc, { rateLimitBurst: 5, rateLimitWindowMs: windowMs, rateLimitDaily: 1000 });
  await alignToWindow(windowMs);
  for (let i = 1; i <= 5; i++) {
    const res = await call(s.url + RECORD, { headers: auth(tokens[0]!.token) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-ratelimit-max'), '5');
    assert.equal(res.headers.get('x-ratelimit-interval-milliseconds'), String(windowMs));
    assert.equal(res.headers.get('x-ratelimit-remaining'), String(5 - i));
    assert.equal(res.headers.get('x-ratelimit-limit-daily'), '1000');
    assert.equal(res.headers.get('x-ratelimit-daily-remaining'), String(1000 - i));
  }
  const refused = await call(s.url + RECORD, { headers: auth(tokens[0]!.token) });
  assert.equal(refused.status, 429);
  assert.equal(refused.text, TOO_MANY);
  assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
  const retryAfter = Number(refused.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter} s is within the window`);

  // Another integration of the same location has its own budget.
  assert.equal((await call(s.url + RECORD, { headers: auth(tokens[1]!.token) })).status, 200);

  await alignToWindow(windowMs);
  const again = await call(s.url + RECORD, { headers: auth(tokens[0]!.token) });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get('x-ratelimit-remaining'), '4');
});

test('a request refused for its token, scope or location still spends the budget; one without a valid token does not', async () => {
  const { doc, tokens } = fixture();
  const s = await start(doc, { rateLimitBurst: 3, rateLimitWindowMs: 60_000, rateLimitDaily: 0 });
  const wrongScope = await call(`${s.url}/objects/?locationId=${LOCATION}`, { headers: auth(tokens[0]!.token) });
  assert.equal(wrongScope.status, 401);
  assert.equal(wrongScope.headers.get('x-ratelimit-remaining'), '2');
  const invalid = await call(s.url + RECORD, { headers: auth(`pit-${randomUUID()}`) });
  assert.equal(invalid.status, 401);
  assert.equal(invalid.headers.get('x-ratelimit-remaining'), null);
  assert.equal((await call(s.url + RECORD, { headers: auth(tokens[0]!.token) })).status, 200);
  const last = await call(s.url + RECORD, { headers: auth(tokens[0]!.token) });
  assert.equal(last.status, 200);
  assert.equal(last.headers.get('x-ratelimit-remaining'), '0');
  // With the daily limit off, only the burst headers are sent.
  assert.equal(last.headers.get('x-ratelimit-limit-daily'), null);
  assert.equal((await call(s.url + RECORD, { headers: auth(tokens[0]!.token) })).status, 429);
});

test('daily quota: the next request after it is a 429 whose Retry-After reaches UTC midnight', async () => {
  const { doc, tokens } = fixture();
  const s = await start(doc, { rateLimitBurst: 0, rateLimitDaily: 2 });
  for (let i = 0; i < 2; i++) assert.equal((await call(s.url + RECORD, { headers: auth(tokens[0]!.token) })).status, 200);
  const refused = await call(s.url + RECORD, { headers: auth(tokens[0]!.token) });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('x-ratelimit-daily-remaining'), '0');
  assert.equal(refused.headers.get('x-ratelimit-max'), null);
  const now = Date.now();
  const toMidnight = Math.ceil((Math.floor(now / 86_400_000 + 1) * 86_400_000 - now) / 1000);
  assert.ok(Math.abs(Number(refused.headers.get('retry-after')) - toMidnight) <= 2);
});

test('limits off (0): no rate-limit headers, no 429', async () => {
  const { doc, tokens } = fixture();
  const s = await start(doc, { rateLimitBurst: 0, rateLimitDaily: 0 });
  for (let i = 0; i < 20; i++) {
    const res = await call(s.url + RECORD, { headers: auth(tokens[0]!.token) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-ratelimit-remaining'), null);
  }
});

test('two servers sharing Redis share one budget: concurrent traffic through both passes exactly the limit', async (t) => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    if (process.env.GHL_REQUIRE_REDIS === '1') throw err;
    t.skip(`Redis unreachable at ${REDIS_URL}: ${(err as Error).message}`);
    return;
  }
  probe.disconnect();
  const { doc, tokens } = fixture();
  const limits = { rateLimitBurst: 10, rateLimitWindowMs: 60_000, rateLimitDaily: 0, redisUrl: REDIS_URL };
  const a = await start(doc, limits);
  const b = await start(doc, limits);
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) => call((i % 2 ? a : b).url + RECORD, { headers: auth(tokens[0]!.token) })),
  );
  assert.equal(answers.filter((r) => r.status === 200).length, 10);
  assert.equal(answers.filter((r) => r.status === 429).length, 20);
  assert.equal((await call(a.url + RECORD, { headers: auth(tokens[1]!.token) })).status, 200, 'another integration is not limited by it');
});
