/**
 * `ghl-objects export` / `import`, as real processes: a database built through the real API on
 * SQLite is exported, imported into PostgreSQL (a fresh schema), and the copy is checked through
 * a real server on it, record by record, against the original; then back from PostgreSQL into a
 * new SQLite file, checked once more. Tokens of the original (PITs, OAuth access tokens) must
 * work on the copies, revoked ones stay revoked, unique fields stay unique.
 *
 * Needs PostgreSQL (see test/helpers/postgres.ts): skipped with the reason when it is
 * unreachable, a failure when GHL_REQUIRE_POSTGRES=1. Runs the BUILT CLI (`npm run build`).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Dataset } from '../../src/store/store.js';
import { assertBuilt, assertUsageError, killAll, run, runOk, startServe, type Server } from '../helpers/cli-process.js';
import { postgresForTests } from '../helpers/postgres.js';
import { auth, call, tempDir, type Answer } from '../helpers/test-server.js';

const LOC = 've9EPM428h8vShlRW1KT';
const DEMO_PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const ADA = 'sx6wyHhbFdRXh302Lunr';
const GRACE = 'v5cEPM428h8vShlRW1KT';
const ITEM = 'custom_objects.exp_item';
const READ_SCOPES = 'objects/record.readonly,objects/schema.readonly,locations/customFields.readonly';

const pgEnv = await postgresForTests('export / import between SQLite and PostgreSQL');

const { dir, cleanup } = tempDir('ghl-objects-export-');
after(async () => {
  await killAll();
  cleanup();
});

interface ExportDoc {
  format: string;
  version: number;
  meta: Record<string, string>;
  data: Dataset;
}

async function api(server: Server, method: string, path: string, body?: unknown, token = DEMO_PIT): Promise<Answer> {
  return call(`${server.url}${path}`, { method, headers: auth(token), body });
}

/** Fails unless the answer has `status`; returns its body. */
function expect<T = Record<string, unknown>>(answer: Answer, status: number, what: string): T {
  assert.equal(answer.status, status, `${what}: ${answer.status} ${answer.text}`);
  return answer.body as T;
}

/** Each table's rows sorted by id: two dumps of equal databases compare equal whatever the row order. */
function byId(data: Dataset): Record<string, unknown[]> {
  return Object.fromEntries(
    Object.entries(data).map(([table, rows]) => [table, [...(rows as Array<{ id: string }>)].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))]),
  );
}

/**
 * Builds the original through the API of a server on SQLite: a custom object with a field of
 * every type (three unique, some in a folder of their own), records of it and of business,
 * an update, a deletion, a field deleted, searchable properties changed.
 */
async function buildOriginal(a: Server): Promise<{ uniqueCode: string }> {
  const object = expect<{ object: { id: string } }>(
    await api(a, 'POST', '/objects/', {
      labels: { singular: 'Item', plural: 'Items' },
      key: 'exp_item',
      description: 'Stock items, for the export test',
      locationId: LOC,
      primaryDisplayPropertyDetails: { key: 'title', name: 'Title', dataType: 'TEXT' },
    }),
    201,
    'create object',
  );
  assert.match(object.object.id, /^[0-9a-f]{24}$/);
  const folder = expect<{ id: string }>(await api(a, 'POST', '/custom-fields/folder', { objectKey: ITEM, name: 'Details', locationId: LOC }), 201, 'create folder');
  const listed = expect<{ folders: Array<{ id: string; name: string }> }>(await api(a, 'GET', `/custom-fields/object-key/${ITEM}?locationId=${LOC}`), 200, 'list fields');
  const general = listed.folders.find((f) => f.name !== 'Details')!.id;

  const fields: Array<[string, string, Record<string, unknown>]> = [
    ['code', 'TEXT', { unique: true, parentId: general, description: 'Stock code', placeholder: 'AB-123' }],
    ['notes', 'LARGE_TEXT', { showInForms: false }],
    ['serial', 'NUMERICAL', { unique: true }],
    ['phone', 'PHONE', { unique: true }],
    ['email', 'EMAIL', {}],
    ['price', 'MONETORY', {}],
    ['tags', 'CHECKBOX', { options: [{ key: 'new', label: 'New' }, { key: 'sale', label: 'On sale' }, { key: 'fragile', label: 'Fragile' }] }],
    ['color', 'SINGLE_OPTIONS', { options: [{ key: 'red', label: 'Red' }, { key: 'blue', label: 'Blue' }] }],
    ['sizes', 'MULTIPLE_OPTIONS', { options: [{ key: 's', label: 'Small' }, { key: 'm', label: 'Medium' }, { key: 'l', label: 'Large' }] }],
    ['grade', 'RADIO', { allowCustomOption: true, options: [{ key: 'a', label: 'A', url: 'https://example.com/a.png' }, { key: 'b', label: 'B' }] }],
    ['made_on', 'DATE', { parentId: general }],
    ['dims', 'TEXTBOX_LIST', { options: [{ key: 'width', label: 'Width' }, { key: 'height', label: 'Height' }] }],
    ['photos', 'FILE_UPLOAD', { acceptedFormats: '.png', maxFileLimit: 3 }],
    ['obsolete', 'TEXT', {}],
  ];
  const fieldIds = new Map<string, string>();
  for (const [key, dataType, extra] of fields) {
    const body = { locationId: LOC, name: key.replace('_', ' '), showInForms: true, dataType, fieldKey: `${ITEM}.${key}`, objectKey: ITEM, parentId: folder.id, ...extra };
    fieldIds.set(key, expect<{ field: { id: string } }>(await api(a, 'POST', '/custom-fields/', body), 201, `create field ${key}`).field.id);
  }
  const bizFolders = expect<{ folders: Array<{ id: string }> }>(await api(a, 'GET', `/custom-fields/object-key/business?locationId=${LOC}`), 200, 'business fields');
  expect(
    await api(a, 'POST', '/custom-fields/', {
      locationId: LOC, name: 'Rating', showInForms: true, dataType: 'NUMERICAL', fieldKey: 'business.rating', objectKey: 'business', parentId: bizFolders.folders[0]!.id,
    }),
    201,
    'business field',
  );

  const ids: string[] = [];
  const names = ['Anvil', 'Bolt', 'Crate ünïcødé 🚚', 'Drill', 'Easel', 'Funnel', 'Gear', 'Hinge', 'Ink', 'Jack', 'Kettle', 'Ladle'];
  for (const [i, title] of names.entries()) {
    const properties: Record<string, unknown> = { title, code: `C-${i}`, obsolete: `old ${i}` };
    if (i % 2 === 0) Object.assign(properties, { notes: `Line one\nline "two" ${'x'.repeat(i * 50)}`, serial: i * 1000.25 - 3, email: `item${i}@example.com` });
    if (i % 3 === 0) Object.assign(properties, { phone: `+1 (415) 555-01${String(i).padStart(2, '0')}`, price: { currency: 'default', value: i * 9.99 }, tags: i ? ['new', 'sale'] : [] });
    if (i % 4 !== 1) Object.assign(properties, { color: i % 2 ? 'red' : 'blue', sizes: ['s', 'l'], grade: i % 5 ? 'a' : `custom grade ${i}`, made_on: `2024-0${(i % 9) + 1}-1${i % 10}` });
    if (i % 5 === 0) Object.assign(properties, { 'dims.width': `${i} cm`, 'dims.height': '3 cm', photos: [{ url: `https://example.com/p${i}.png`, name: `p${i}.png` }, { url: `https://example.com/q${i}.png` }] });
    const body = { locationId: LOC, properties, ...(i % 3 === 1 ? { owner: [ADA], followers: [ADA, GRACE] } : {}) };
    ids.push(expect<{ record: { id: string } }>(await api(a, 'POST', `/objects/${ITEM}/records`, body), 201, `create ${title}`).record.id);
  }
  expect(
    await api(a, 'POST', '/objects/business/records', { locationId: LOC, properties: { name: 'Acme Tools', email: 'sales@acme.example.com', rating: 4.5, supplier_tier: 'gold' } }),
    201,
    'business record',
  );
  // An update (lastUpdatedBy, add/remove), a deletion, a field deleted, searchable properties set.
  expect(
    await api(a, 'PUT', `/objects/${ITEM}/records/${ids[3]}?locationId=${LOC}`, { properties: { color: null, tags: { add: ['fragile'], remove: ['new'] }, title: 'Drill (updated)' } }),
    200,
    'update',
  );
  expect(await api(a, 'DELETE', `/objects/${ITEM}/records/${ids[4]}`), 200, 'delete record');
  expect(await api(a, 'DELETE', `/custom-fields/${fieldIds.get('obsolete')}`), 200, 'delete field');
  expect(await api(a, 'PUT', `/objects/${ITEM}`, { locationId: LOC, searchableProperties: [`${ITEM}.title`, `${ITEM}.code`, `${ITEM}.email`] }), 200, 'searchable');
  return { uniqueCode: 'C-0' };
}

/**
 * Checks server `b` against the original `a` through the API: every record of the export, one
 * GET each; the object schemas with their fields and folders; a search of each object.
 */
async function assertSameAnswers(a: Server, b: Server, data: Dataset): Promise<void> {
  const keyOf = new Map(data.objects.map((o) => [o.id, o.key]));
  let compared = 0;
  for (const r of data.records) {
    const path = `/objects/${keyOf.get(r.objectId)}/records/${r.id}`;
    const [x, y] = await Promise.all([api(a, 'GET', path), api(b, 'GET', path)]);
    assert.equal(x.status, 200, `${path} on the original: ${x.text}`);
    assert.equal(y.status, 200, `${path} on the copy: ${y.text}`);
    assert.deepEqual(y.body, x.body, path);
    compared++;
  }
  assert.equal(compared, data.records.length);

  const listPath = `/objects/?locationId=${LOC}`;
  const list = expect<{ objects: Array<{ key: string }> }>(await api(a, 'GET', listPath), 200, 'list objects');
  assert.deepEqual(expect(await api(b, 'GET', listPath), 200, 'list objects on the copy'), list);
  assert.ok(list.objects.some((o) => o.key === ITEM));
  for (const { key } of list.objects) {
    for (const path of [`/objects/${key}?locationId=${LOC}&fetchProperties=true`, `/custom-fields/object-key/${key}?locationId=${LOC}`]) {
      const [x, y] = await Promise.all([api(a, 'GET', path), api(b, 'GET', path)]);
      assert.equal(y.status, x.status, `${path}: ${y.text}`);
      assert.deepEqual(y.body, x.body, path);
    }
    if (key === 'contact' || key === 'opportunity') continue;
    const search = { locationId: LOC, page: 1, pageLimit: 100 };
    const path = `/objects/${key}/records/search`;
    const [x, y] = await Promise.all([api(a, 'POST', path, search), api(b, 'POST', path, search)]);
    assert.equal(x.status, 201, x.text);
    assert.deepEqual(y.body, x.body, `search ${key}`);
  }
  const query = { locationId: LOC, page: 1, pageLimit: 5, query: 'C-1', sort: [{ field: `properties.serial`, direction: 'desc' }] };
  const [x, y] = await Promise.all([api(a, 'POST', `/objects/${ITEM}/records/search`, query), api(b, 'POST', `/objects/${ITEM}/records/search`, query)]);
  assert.equal(x.status, 201, x.text);
  assert.ok((x.body as { total: number }).total > 0, x.text);
  assert.deepEqual(y.body, x.body, 'search with a query and a sort');
}

if (pgEnv) {
  const pgUrl = pgEnv.url;

  describe('export and import, SQLite → PostgreSQL → SQLite', { concurrency: false }, () => {
    const dbA = join(dir, 'a.db');
    const dbC = join(dir, 'c.db');
    const fileA = join(dir, 'a.json');
    const schemaB = pgEnv.newSchema();
    let a: Server;
    let b: Server;
    let c: Server;
    let exportA: ExportDoc;
    let oauth: string;
    let pit: string;
    let revokedPit: string;
    let fixtureOauth: string;
    let uniqueCode: string;

    before(async () => {
      assertBuilt();
      a = await startServe(['--db', dbA, '--fixtures', 'fixtures/demo.json']);
      fixtureOauth = a.oauths[0]!;
      assert.ok(fixtureOauth, a.banner);
      ({ uniqueCode } = await buildOriginal(a));
      const create = (type: string, scopes: string) => runOk(['token', 'create', '--db', dbA, '--location', LOC, '--type', type, '--scopes', scopes]);
      oauth = (await create('oauth', READ_SCOPES)).trim();
      pit = (await create('pit', READ_SCOPES)).trim();
      revokedPit = (await create('pit', READ_SCOPES)).trim();
      await runOk(['token', 'revoke', '--db', dbA, revokedPit]);
    });

    test('export writes the whole database and the signing key, in a file only its owner reads', async () => {
      const out = await runOk(['export', '--db', dbA, '--out', fileA]);
      assert.match(out, /^exported 1 locations, 2 users, \d+ tokens, \d+ objects, \d+ folders, \d+ fields, \d+ records to .+a\.json\n$/);
      exportA = JSON.parse(readFileSync(fileA, 'utf8')) as ExportDoc;
      assert.equal(exportA.format, 'ghl-objects-export');
      assert.equal(exportA.version, 1);
      assert.match(exportA.meta.oauth_signing_key!, /^-----BEGIN PRIVATE KEY-----\n/);
      const d = exportA.data;
      // 6 demo records + 11 items (12 made, 1 deleted) + 1 business record.
      assert.equal(d.records.length, 18);
      assert.equal(d.tokens.length, 5);
      assert.equal(d.tokens.filter((t) => t.revokedAt !== null).length, 1);
      assert.equal(d.fields.some((f) => f.fieldKey === `${ITEM}.obsolete`), false);
      assert.equal(d.fields.filter((f) => f.unique).length, 3);
      for (const r of d.records) assert.equal('obsolete' in r.properties, false);
      assert.equal(readFileSync(fileA, 'utf8').split('\n').length > d.records.length, true, 'one row a line');
      if (process.platform !== 'win32') assert.equal((await import('node:fs')).statSync(fileA).mode & 0o777, 0o600);
      // To stdout, the same document.
      const again = JSON.parse(await runOk(['export', '--db', dbA])) as ExportDoc;
      assert.deepEqual(again.data, d);
      assert.deepEqual(again.meta, exportA.meta);
    });

    test('import into a fresh PostgreSQL schema; a server on it answers as the original, record by record', async () => {
      const out = await runOk(['import', '--db', pgUrl, '--db-schema', schemaB, '--in', fileA]);
      assert.match(out, /^imported 1 locations, .* 18 records and the OAuth signing key\n$/);
      b = await startServe(['--db', pgUrl, '--db-schema', schemaB]);
      await assertSameAnswers(a, b, exportA.data);
    });

    test('the copy on PostgreSQL holds exactly what the original holds, and its export is the same', async () => {
      const exportB = JSON.parse(await runOk(['export', '--db', pgUrl, '--db-schema', schemaB])) as ExportDoc;
      assert.deepEqual(exportB.meta, exportA.meta);
      assert.deepEqual(byId(exportB.data), byId(exportA.data));
      // Folders and fields keep their listing order.
      assert.deepEqual(exportB.data.fields.map((f) => f.id), exportA.data.fields.map((f) => f.id));
      assert.deepEqual(exportB.data.folders.map((f) => f.id), exportA.data.folders.map((f) => f.id));
    });

    test("the original's tokens work on the copy: PITs, OAuth tokens (shared signing key); a revoked one stays revoked", async () => {
      const rex = '/objects/custom_objects.pet/records/661c06b4ffde146bdb469442';
      for (const [name, token] of [['demo PIT', DEMO_PIT], ['created PIT', pit], ['created OAuth token', oauth], ['fixture OAuth token', fixtureOauth]] as const) {
        for (const server of [a, b]) expect(await api(server, 'GET', rex, undefined, token), 200, `${name} on ${server === a ? 'the original' : 'the copy'}`);
      }
      for (const server of [a, b]) {
        const answer = await api(server, 'GET', rex, undefined, revokedPit);
        assert.equal(answer.status, 401, answer.text);
      }
    });

    test('unique fields stay unique on the copy', async () => {
      const answer = await api(b, 'POST', `/objects/${ITEM}/records`, { locationId: LOC, properties: { title: 'Dup', code: uniqueCode } });
      assert.equal(answer.status, 400, answer.text);
      assert.equal((answer.body as { errors?: Array<{ errorCode: string }> }).errors?.[0]?.errorCode, 'duplicate_record', answer.text);
    });

    test('and back: PostgreSQL → a new SQLite file (through stdin), checked once more against the original', async () => {
      const text = await runOk(['export', '--db', pgUrl, '--db-schema', schemaB]);
      const out = await runOk(['import', '--db', dbC], { stdin: text });
      assert.match(out, /^imported .* 18 records and the OAuth signing key\n$/);
      c = await startServe(['--db', dbC]);
      await assertSameAnswers(a, c, exportA.data);
      const exportC = JSON.parse(await runOk(['export', '--db', dbC])) as ExportDoc;
      assert.deepEqual(exportC.meta, exportA.meta);
      assert.deepEqual(byId(exportC.data), byId(exportA.data));
      const item = exportA.data.records.find((r) => r.objectId === exportA.data.objects.find((o) => o.key === ITEM)!.id)!;
      for (const token of [DEMO_PIT, pit, oauth, fixtureOauth]) expect(await api(c, 'GET', `/objects/${ITEM}/records/${item.id}`, undefined, token), 200, 'token on the second copy');
      assert.equal((await api(c, 'GET', '/objects/custom_objects.pet/records/661c06b4ffde146bdb469442', undefined, revokedPit)).status, 401);
      const dup = await api(c, 'POST', `/objects/${ITEM}/records`, { locationId: LOC, properties: { title: 'Dup', code: uniqueCode } });
      assert.equal(dup.status, 400, dup.text);
    });

    test('a second import into a database that holds data is refused; with --reset it replaces it, under a running server', async () => {
      assertUsageError(await run(['import', '--db', pgUrl, '--db-schema', schemaB, '--in', fileA]), 'the database already holds data; use --reset to replace it');
      // Something the export does not hold, written on the copy, is gone after the reset.
      const extra = expect<{ record: { id: string } }>(await api(b, 'POST', `/objects/${ITEM}/records`, { locationId: LOC, properties: { title: 'Only on B' } }), 201, 'extra record');
      await runOk(['import', '--db', pgUrl, '--db-schema', schemaB, '--in', fileA, '--reset']);
      assert.equal((await api(b, 'GET', `/objects/${ITEM}/records/${extra.record.id}`)).status, 404);
      await assertSameAnswers(a, b, exportA.data);
    });

    test('import refuses a database with an OAuth signing key of its own when the export holds live OAuth tokens', async () => {
      const dbD = join(dir, 'd.db');
      const d = await startServe(['--db', dbD, '--fixtures', 'fixtures/demo.json']);
      await d.stop();
      const r = await run(['import', '--db', dbD, '--in', fileA, '--reset']);
      assertUsageError(r, /^ghl-objects: the database has an OAuth signing key of its own, not the export's .*; import into a new database\n$/);
      // Nothing was replaced: the database still holds its own fixture tokens' data, not the export's objects.
      const dump = JSON.parse(await runOk(['export', '--db', dbD])) as ExportDoc;
      assert.notEqual(dump.meta.oauth_signing_key, exportA.meta.oauth_signing_key);
      assert.equal(dump.data.objects.some((o) => o.key === ITEM), false);
    });

    after(async () => {
      await Promise.all([a, b, c].filter(Boolean).map((s) => s.stop()));
    });
  });

  describe('import refuses a file it cannot load: one line, exit code 2, no database touched', { concurrency: Math.max(2, availableParallelism()) }, () => {
    const valid = (): ExportDoc => ({
      format: 'ghl-objects-export',
      version: 1,
      meta: {},
      data: {
        locations: [{ id: LOC, name: 'L', createdAt: '2024-01-01T00:00:00.000Z' }],
        users: [],
        tokens: [],
        objects: [],
        folders: [],
        fields: [],
        records: [],
      },
    });
    let n = 0;
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['not JSON', () => '{"format": "ghl-objects-export", ', /is not valid JSON: /],
      ['another format', () => ({ ...valid(), format: 'fixture' }), /cannot be imported, nothing was written: it is not a ghl-objects export \(\$\.format must be "ghl-objects-export"\)\n$/],
      ['a fixture file', () => JSON.parse(readFileSync(new URL('../../fixtures/demo.json', import.meta.url), 'utf8')), /it is not a ghl-objects export/],
      ['a later version', () => ({ ...valid(), version: 2 }), /it is an export of version 2; this ghl-objects reads version 1\n$/],
      ['a table missing', () => ({ ...valid(), data: { ...valid().data, records: undefined } }), /\$\.data\.records is required\n$/],
      [
        'a row of the wrong shape',
        () => ({ ...valid(), data: { ...valid().data, users: [{ id: 7, locationId: LOC, name: 'U', email: null, extra: 1 }] } }),
        /\$\.data\.users\[0\]/,
      ],
      [
        'a record of an object the export does not hold',
        () => ({
          ...valid(),
          data: {
            ...valid().data,
            records: [{
              id: 'aaaaaaaaaaaaaaaaaaaaaaaa', locationId: LOC, objectId: 'bbbbbbbbbbbbbbbbbbbbbbbb', owner: [], followers: [], properties: {},
              createdAt: 'x', updatedAt: 'x', createdBy: { channel: 'API', source: 'X', sourceId: 'x', createdAt: 'x' }, lastUpdatedBy: { channel: 'API', source: 'X', sourceId: 'x', createdAt: 'x' },
            }],
          },
        }),
        /\$\.data\.records\[0\]\.objectId names no object of the export: "bbbbbbbbbbbbbbbbbbbbbbbb"\n$/,
      ],
      ['a signing key that is no key', () => ({ ...valid(), meta: { oauth_signing_key: 'secret' } }), /\$\.meta\.oauth_signing_key must be a private key in PEM\n$/],
      ['an unknown meta entry', () => ({ ...valid(), meta: { revision: '7' } }), /\$\.meta has property revision that should not exist\n$/],
    ];
    for (const [name, doc, message] of cases) {
      test(name, async () => {
        const file = join(dir, `bad-${++n}.json`);
        const content = doc();
        writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
        const target = join(dir, `never-${n}`, 'x.db');
        const r = await run(['import', '--db', target, '--in', file]);
        assertUsageError(r, message);
        assert.equal(existsSync(target), false, 'no database was created');
      });
    }
    test('a file that does not exist', async () => {
      assertUsageError(await run(['import', '--db', join(dir, 'never.db'), '--in', join(dir, 'missing.json')]), /^ghl-objects: cannot read .*missing\.json: ENOENT\n$/);
    });
    test('--help of both commands', async () => {
      const e = await run(['export', '--help']);
      assert.equal(e.code, 0);
      assert.ok(e.stdout.startsWith('Usage: ghl-objects export [--db PATH|URL] [--db-schema NAME] [--out FILE]\n'), e.stdout);
      const i = await run(['import', '--help']);
      assert.equal(i.code, 0);
      assert.ok(i.stdout.startsWith('Usage: ghl-objects import [--db PATH|URL] [--db-schema NAME] [--in FILE] [--reset]\n'), i.stdout);
      assert.match(i.stdout, /--reset/);
      const top = await run(['--help']);
      assert.match(top.stdout, /\n {2}export {3}.+\n {2}import {3}/);
    });
  });
}
