/**
 * Several processes, one truth: two real server processes on one PostgreSQL schema. A write
 * through one is read through the other at once (no cache on records); schema changes and token
 * revocations, which processes do cache, are seen by the other within a second (the revision
 * counter, polled every 250 ms); OAuth tokens verify on both (one signing key, in the database).
 *
 * Needs PostgreSQL (see test/helpers/postgres.ts): skipped with the reason when it is
 * unreachable, a failure when GHL_REQUIRE_POSTGRES=1. Runs the BUILT CLI (`npm run build`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertBuilt, killAll, runOk, startServe, type Server } from '../helpers/cli-process.js';
import { pollUntil } from '../helpers/poll.js';
import { postgresForTests } from '../helpers/postgres.js';
import { auth, call, type Answer } from '../helpers/test-server.js';

const LOC = 've9EPM428h8vShlRW1KT';
const DEMO_PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const REX = '661c06b4ffde146bdb469442';
const PET = 'custom_objects.pet';
const REX_PATH = `/objects/${PET}/records/${REX}`;
/** What "at once everywhere" must mean here: the revision is polled every 250 ms. */
const PROPAGATION_MS = 1_000;

after(killAll);
const pgEnv = await postgresForTests('several server processes on one PostgreSQL database');

async function api(server: Server, method: string, path: string, body?: unknown, token = DEMO_PIT): Promise<Answer> {
  return call(`${server.url}${path}`, { method, headers: auth(token), body });
}

function expectStatus(answer: Answer, status: number, what: string): Answer {
  assert.equal(answer.status, status, `${what}: ${answer.status} ${answer.text}`);
  return answer;
}

/** Polls `probe` (every 25 ms) until it answers `status`; fails unless that happens within PROPAGATION_MS. Returns the wait. */
async function seenWithin(what: string, probe: () => Promise<Answer>, status: number): Promise<number> {
  const polled = await pollUntil(probe, (a) => a.status === status, { timeoutMs: PROPAGATION_MS, intervalMs: 25 });
  assert.ok(polled.done, `${what}: still ${polled.value.status} ${polled.value.text} after ${polled.elapsedMs} ms`);
  return polled.elapsedMs;
}

if (pgEnv) {
  describe('two server processes on one PostgreSQL schema', { concurrency: false }, () => {
    const schema = pgEnv.newSchema();
    const db = ['--db', pgEnv.url, '--db-schema', schema];
    let a: Server;
    let b: Server;

    before(async () => {
      assertBuilt();
      a = await startServe([...db, '--fixtures', 'fixtures/demo.json']);
      b = await startServe(db);
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.child.pid, b.child.pid);
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
    });

    test('a record written through A is read through B at once, and the other way round', async () => {
      const created = expectStatus(
        await api(a, 'POST', `/objects/${PET}/records`, { locationId: LOC, properties: { name: 'Pixel', weight_kg: 2.5, species: 'cat' } }),
        201,
        'create through A',
      ).body as { record: { id: string } };
      const id = created.record.id;
      const onB = expectStatus(await api(b, 'GET', `/objects/${PET}/records/${id}`), 200, 'read through B at once');
      assert.deepEqual(onB.body, expectStatus(await api(a, 'GET', `/objects/${PET}/records/${id}`), 200, 'read through A').body);
      assert.equal((onB.body as { record: { properties: { name: string } } }).record.properties.name, 'Pixel');

      expectStatus(await api(b, 'PUT', `/objects/${PET}/records/${id}?locationId=${LOC}`, { properties: { weight_kg: 2.75 } }), 200, 'update through B');
      const onA = expectStatus(await api(a, 'GET', `/objects/${PET}/records/${id}`), 200, 'read through A at once');
      assert.equal((onA.body as { record: { properties: { weight_kg: number } } }).record.properties.weight_kg, 2.75);

      const search = await api(b, 'POST', `/objects/${PET}/records/search`, { locationId: LOC, pageLimit: 10, query: 'Pixel' });
      assert.equal(search.status, 201, search.text);
      assert.deepEqual((search.body as { records: Array<{ id: string }> }).records.map((r) => r.id), [id]);

      expectStatus(await api(a, 'DELETE', `/objects/${PET}/records/${id}`), 200, 'delete through A');
      expectStatus(await api(b, 'GET', `/objects/${PET}/records/${id}`), 404, 'gone through B at once');
    });

    test('a unique value taken through A is refused through B', async () => {
      const field = {
        locationId: LOC, name: 'Chip', showInForms: true, dataType: 'TEXT', fieldKey: `${PET}.chip`, objectKey: PET, unique: true,
        parentId: ((await api(a, 'GET', `/custom-fields/object-key/${PET}?locationId=${LOC}`)).body as { folders: Array<{ id: string }> }).folders[0]!.id,
      };
      expectStatus(await api(a, 'POST', '/custom-fields/', field), 201, 'unique field through A');
      const body = { locationId: LOC, properties: { name: 'Chipped', chip: 'CH-1' } };
      await seenWithin('the unique field, through B', () => api(b, 'POST', `/objects/${PET}/records`, body), 201);
      const dup = await api(a, 'POST', `/objects/${PET}/records`, body);
      assert.equal(dup.status, 400, dup.text);
      assert.equal((dup.body as { errors?: Array<{ errorCode: string }> }).errors?.[0]?.errorCode, 'duplicate_record', dup.text);
    });

    test('a field added through A is accepted through B within a second', async () => {
      const write = () => api(b, 'POST', `/objects/${PET}/records`, { locationId: LOC, properties: { name: 'Tag', microchip: '985-1' } });
      // B holds the pet schema (this request read it), without the field.
      expectStatus(await write(), 422, 'the field does not exist yet, through B');
      const folders = ((await api(a, 'GET', `/custom-fields/object-key/${PET}?locationId=${LOC}`)).body as { folders: Array<{ id: string }> }).folders;
      expectStatus(
        await api(a, 'POST', '/custom-fields/', { locationId: LOC, name: 'Microchip', showInForms: true, dataType: 'TEXT', fieldKey: `${PET}.microchip`, objectKey: PET, parentId: folders[0]!.id }),
        201,
        'add the field through A',
      );
      const ms = await seenWithin('the new field, through B', write, 201);
      const listed = expectStatus(await api(b, 'GET', `/custom-fields/object-key/${PET}?locationId=${LOC}`), 200, 'fields through B').body as { fields: Array<{ fieldKey: string }> };
      assert.ok(listed.fields.some((f) => f.fieldKey === `${PET}.microchip`));
      assert.ok(ms <= PROPAGATION_MS, `${ms} ms`);
    });

    test('a field deleted through A is refused through B within a second, its values gone at once', async () => {
      const history = (await api(a, 'GET', `/custom-fields/object-key/${PET}?locationId=${LOC}`)).body as { fields: Array<{ id: string; fieldKey: string }> };
      const id = history.fields.find((f) => f.fieldKey === `${PET}.history`)!.id;
      const write = () => api(b, 'PUT', `${REX_PATH}?locationId=${LOC}`, { properties: { history: 'Checked again.' } });
      expectStatus(await write(), 200, 'B accepts the field before');
      expectStatus(await api(a, 'DELETE', `/custom-fields/${id}`), 200, 'delete the field through A');
      const rex = expectStatus(await api(b, 'GET', REX_PATH), 200, 'Rex through B').body as { record: { properties: Record<string, unknown> } };
      assert.equal('history' in rex.record.properties, false, 'the values are gone from the database at once');
      await seenWithin('the deleted field, through B', write, 422);
    });

    test('searchable properties changed through A are served by B within a second', async () => {
      const path = `/objects/${PET}?locationId=${LOC}`;
      const before = expectStatus(await api(b, 'GET', path), 200, 'the object through B').body as { object: { searchableProperties: string[] } };
      const next = [`${PET}.name`, `${PET}.owner_phone`, `${PET}.species`];
      assert.notDeepEqual(before.object.searchableProperties, next);
      expectStatus(await api(a, 'PUT', `/objects/${PET}`, { locationId: LOC, searchableProperties: next }), 200, 'PUT through A');
      const polled = await pollUntil(
        () => api(b, 'GET', path),
        (x) => x.status === 200 && JSON.stringify((x.body as { object: { searchableProperties: string[] } }).object.searchableProperties) === JSON.stringify(next),
        { timeoutMs: PROPAGATION_MS, intervalMs: 25 },
      );
      assert.ok(polled.done, `B still answers ${polled.value.text} after ${polled.elapsedMs} ms`);
    });

    test('a token revoked with the CLI is refused by both within a second, after both used it', async () => {
      const pit = (await runOk(['token', 'create', ...db, '--location', LOC, '--type', 'pit', '--scopes', 'objects/record.readonly'])).trim();
      // Both verify it, and cache the verdict.
      for (const server of [a, b]) for (let i = 0; i < 3; i++) expectStatus(await api(server, 'GET', REX_PATH, undefined, pit), 200, 'before the revocation');
      assert.equal(await runOk(['token', 'revoke', ...db, pit]), 'revoked\n');
      const [onB, onA] = await Promise.all([
        seenWithin('the revocation, through B', () => api(b, 'GET', REX_PATH, undefined, pit), 401),
        seenWithin('the revocation, through A', () => api(a, 'GET', REX_PATH, undefined, pit), 401),
      ]);
      assert.ok(onA <= PROPAGATION_MS && onB <= PROPAGATION_MS);
      expectStatus(await api(b, 'GET', REX_PATH), 200, 'other tokens still work');
    });

    test('an OAuth token minted by token create works on both: one signing key, in the database', async () => {
      const oauth = (await runOk(['token', 'create', ...db, '--location', LOC, '--type', 'oauth', '--scopes', 'objects/record.readonly'])).trim();
      assert.match(oauth, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      for (const server of [a, b]) expectStatus(await api(server, 'GET', REX_PATH, undefined, oauth), 200, `OAuth token on ${server === a ? 'A' : 'B'}`);
      // And the one A printed for the fixture, signed by A's process before B started.
      expectStatus(await api(b, 'GET', REX_PATH, undefined, a.oauths[0]!), 200, "A's fixture OAuth token on B");
      // Revoked through the CLI, refused by both.
      await runOk(['token', 'revoke', ...db, oauth]);
      await Promise.all([a, b].map((server) => seenWithin('the OAuth revocation', () => api(server, 'GET', REX_PATH, undefined, oauth), 401)));
    });
  });
}
