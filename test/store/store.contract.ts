/**
 * The Store contract: what every Store implementation must do, method by method, written once
 * and run against each backend (store.contract.test.ts). A backend supplies fresh databases and a
 * few raw inspections (row counts, schema version) that go around the Store under test.
 *
 * Expectations are those of the SQLite store, the reference implementation. Where a backend may
 * legitimately differ (JSONB normalises key order and whitespace of the JSON text), the test
 * compares parsed values instead of text.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createServices } from '../../src/services/container.js';
import type { DataType } from '../../src/services/field-types.js';
import { prepareFixture } from '../../src/services/fixtures.js';
import type { Condition, Range, SearchPlan, SortKey, Target } from '../../src/services/search-plan.js';
import { hashToken } from '../../src/services/tokens.js';
import {
  StoreError,
  type Actor,
  type Dataset,
  type FieldRow,
  type FolderRow,
  type ObjectRow,
  type RawRecord,
  type RecordRow,
  type SearchResult,
  type Store,
  type TokenRow,
} from '../../src/store/store.js';
import { DEMO_FIXTURE, readJson } from '../helpers/test-server.js';


/** One database of a backend, empty when handed out. */
export interface TestDb {
  /** Opens a store on this database, as another process would (its own connections). Closed by dispose(). */
  open(): Promise<Store>;
  /** Rows per data table, read around the store. */
  counts(): Promise<Record<string, number>>;
  /** The schema version recorded in the database (0 before any migration). */
  schemaVersion(): Promise<number>;
  /** Records a schema version as applied (to fake a database of a newer release). */
  setSchemaVersion(v: number): Promise<void>;
  /** Makes the database one of an older release: only the first `v` migrations applied. */
  createAtVersion(v: number): Promise<void>;
  /** Closes every store opened and removes the database. */
  dispose(): Promise<void>;
}

export interface Backend {
  name: string;
  /** How many migrations the backend's current schema has. */
  migrationCount: number;
  fresh(): Promise<TestDb>;
}

const DATA_TABLES = ['locations', 'users', 'tokens', 'objects', 'folders', 'fields', 'records'] as const;
const EMPTY_COUNTS = Object.fromEntries(DATA_TABLES.map((t) => [t, 0]));

// ---------------------------------------------------------------------------------------------
// Rows, built by hand: each test states exactly what it stores.

const DEMO_LOCATION = 've9EPM428h8vShlRW1KT';
const DEMO_PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const DEMO_PET = '6798a1a18fc746e0eba2ccfe';
const DEMO_REX = '661c06b4ffde146bdb469442';
const OTHER_LOCATION = 'Other0PM428h8vShlRW1';

export const LOC = 'LocAAAAAAAAAAAAAAAA1';
const LOC2 = 'LocBBBBBBBBBBBBBBBB2';
const USER_A = 'UserAAAAAAAAAAAAAAA1';
const USER_B = 'UserBBBBBBBBBBBBBBB2';
export const PET = 'aaaaaaaaaaaaaaaaaaaa0001';
export const BUSINESS = 'bbbbbbbbbbbbbbbbbbbb0001';
const PET_FOLDER = 'ffffffffffffffffffff0001';
const BUSINESS_FOLDER = 'ffffffffffffffffffff0002';

/** The n-th second of 2024, as the services write timestamps. */
export const at = (n: number): string => new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString();
/** A record id (24 hex) that sorts by n. */
export const rid = (n: number): string => n.toString(16).padStart(24, '0');
const fid = (n: number): string => `Field${String(n).padStart(15, '0')}`;
const actor = (sourceId: string, createdAt: string): Actor => ({ channel: 'API', source: 'INTEGRATION', sourceId, createdAt });

function objectRow(id: string, key: string, over: Partial<ObjectRow> = {}): ObjectRow {
  const standard = !key.startsWith('custom_objects.');
  return {
    id,
    locationId: LOC,
    key,
    standard,
    type: standard ? 'SYSTEM_DEFINED' : 'USER_DEFINED',
    labels: { singular: key, plural: `${key}s` },
    description: null,
    primaryDisplayProperty: `${key}.name`,
    searchableProperties: [`${key}.name`],
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  };
}

function folderRow(id: string, objectId: string, over: Partial<FolderRow> = {}): FolderRow {
  return { id, locationId: LOC, objectId, name: 'General Info', createdAt: at(0), updatedAt: at(0), ...over };
}

function fieldRow(n: number, objectId: string, fieldKey: string, dataType: DataType, over: Partial<FieldRow> = {}): FieldRow {
  return {
    id: fid(n),
    locationId: LOC,
    objectId,
    fieldKey,
    name: fieldKey.split('.').pop()!,
    dataType,
    description: null,
    placeholder: null,
    showInForms: true,
    options: [],
    acceptedFormats: null,
    maxFileLimit: null,
    allowCustomOption: false,
    parentId: objectId === PET ? PET_FOLDER : BUSINESS_FOLDER,
    unique: false,
    standard: false,
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  };
}

/** One location with one object, custom_objects.pet (id PET), without fields, holding `records`. */
export function petDataset(records: RecordRow[]): Dataset {
  return {
    locations: [{ id: LOC, name: 'L', createdAt: at(0) }],
    users: [],
    tokens: [],
    objects: [{ id: PET, locationId: LOC, key: 'custom_objects.pet', standard: false, type: 'USER_DEFINED', labels: { singular: 'P', plural: 'Ps' }, description: null, primaryDisplayProperty: 'custom_objects.pet.name', searchableProperties: [], createdAt: at(0), updatedAt: at(0) }],
    folders: [],
    fields: [],
    records,
  };
}

export function recordRow(objectId: string, id: string, properties: RecordRow['properties'], over: Partial<RecordRow> = {}): RecordRow {
  const createdAt = over.createdAt ?? at(1);
  const updatedAt = over.updatedAt ?? createdAt;
  return {
    id,
    locationId: LOC,
    objectId,
    owner: [USER_A],
    followers: [USER_A, USER_B],
    properties,
    createdAt,
    updatedAt,
    createdBy: actor('creator', createdAt),
    lastUpdatedBy: actor('updater', updatedAt),
    ...over,
  };
}

function tokenRow(id: string, over: Partial<TokenRow> = {}): TokenRow {
  return {
    id,
    locationId: LOC,
    kind: 'pit',
    hash: hashToken(`pit-${id}`),
    scopes: ['objects/record.readonly', 'objects/record.write'],
    clientId: null,
    createdAt: at(0),
    expiresAt: null,
    revokedAt: null,
    ...over,
  };
}

/** Fields of the pet object in the base dataset: name and tag are unique. */
const PET_FIELDS: FieldRow[] = [
  fieldRow(1, PET, 'custom_objects.pet.name', 'TEXT', { unique: true }),
  fieldRow(2, PET, 'custom_objects.pet.tag', 'NUMERICAL', { unique: true }),
  fieldRow(3, PET, 'custom_objects.pet.weight', 'NUMERICAL'),
  fieldRow(4, PET, 'custom_objects.pet.vaccines', 'CHECKBOX', { options: [{ key: 'rabies', label: 'Rabies' }, { key: 'parvo', label: 'Parvo', url: 'https://example.com/p.png' }] }),
  fieldRow(5, PET, 'custom_objects.pet.diet', 'TEXTBOX_LIST', { options: [{ key: 'morning', label: 'Morning' }, { key: 'evening', label: 'Evening' }] }),
  fieldRow(6, PET, 'custom_objects.pet.balance', 'MONETORY'),
  fieldRow(7, PET, 'custom_objects.pet.birthday', 'DATE'),
  fieldRow(8, PET, 'custom_objects.pet.xrays', 'FILE_UPLOAD', { acceptedFormats: '.png', maxFileLimit: 3, description: 'Scans', placeholder: 'Drop here', showInForms: false }),
  fieldRow(9, PET, 'custom_objects.pet.species', 'SINGLE_OPTIONS', { options: [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }, { key: 'rabbit', label: 'Rabbit' }], allowCustomOption: true }),
];
const UNIQUE_KEYS = ['name', 'tag'] as const;

/** One location with a custom object (pet) and a standard one (business), two users and two tokens. */
function baseDataset(records: RecordRow[] = []): Dataset {
  return {
    locations: [{ id: LOC, name: 'Clinic', createdAt: at(0) }],
    // Inserted out of id order: userIds sorts.
    users: [
      { id: USER_B, locationId: LOC, name: 'Bea', email: null },
      { id: USER_A, locationId: LOC, name: 'Al', email: 'al@example.com' },
    ],
    tokens: [tokenRow('11111111-1111-4111-8111-111111111111'), tokenRow('22222222-2222-4222-8222-222222222222', { kind: 'oauth', hash: null, clientId: '0123456789abcdef01234567-abcdefgh' })],
    objects: [
      objectRow(PET, 'custom_objects.pet', { searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.weight'], description: 'Patients' }),
      objectRow(BUSINESS, 'business', { primaryDisplayProperty: 'business.name' }),
    ],
    folders: [folderRow(PET_FOLDER, PET), folderRow(BUSINESS_FOLDER, BUSINESS)],
    fields: [...PET_FIELDS, fieldRow(20, BUSINESS, 'business.name', 'TEXT', { standard: true })],
    records,
  };
}

const REX = rid(1);
const MISTY = rid(2);
const rexRow = (): RecordRow =>
  recordRow(PET, REX, {
    name: 'Rex',
    tag: 7,
    weight: 31.5,
    vaccines: ['rabies', 'parvo'],
    'diet.morning': 'Dry food',
    'diet.evening': 'Wet food',
    balance: { currency: 'default', value: 100 },
    birthday: '2019-04-02',
    xrays: [{ url: 'https://example.com/rex.png', name: 'rex.png' }],
  });
const mistyRow = (): RecordRow => recordRow(PET, MISTY, { name: 'Misty', weight: 4.2 }, { createdAt: at(2), owner: [], followers: [] });

// ---------------------------------------------------------------------------------------------
// Assertions

async function rejectsWith(p: Promise<unknown>, kind: StoreError['kind'], message?: string | RegExp, duplicate?: StoreError['duplicate']): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StoreError, `not a StoreError: ${String(err)}`);
    assert.equal(err.kind, kind, `kind of: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    assert.deepEqual(err.duplicate, duplicate);
    return true;
  });
}

/** The members a store test gives Get Record By Id's answer for its object: any text is spliced in as it is. */
export const OBJECT_JSON = '"objectKey":"custom_objects.pet"';

/** A record as Get Record By Id's answer carries it, parsed. */
export interface AnsweredRecord extends Omit<RecordRow, 'locationId' | 'objectId'> {
  dateAdded: string;
  dateUpdated: string;
  objectKey: string;
}

/** The record of the answer the store builds for Get Record By Id, parsed; undefined when there is none. */
export async function answeredRecord(store: Store, objectId: string, id: string): Promise<AnsweredRecord | undefined> {
  const json = await store.getRecordJson(objectId, id, OBJECT_JSON);
  return json === undefined ? undefined : (JSON.parse(json) as { record: AnsweredRecord }).record;
}

/** The row an answered record stands for, without where it is (the answer has only what OBJECT_JSON gave). */
function answeredRow(r: AnsweredRecord): Omit<RecordRow, 'locationId' | 'objectId'> {
  assert.equal(r.dateAdded, r.createdAt);
  assert.equal(r.dateUpdated, r.updatedAt);
  assert.equal(r.objectKey, 'custom_objects.pet');
  const { dateAdded: _a, dateUpdated: _u, objectKey: _k, ...row } = r;
  return row;
}

/** A raw record as the parsed row it stands for (JSON text compared by value: JSONB reorders keys). */
function parseRaw(raw: RawRecord): Omit<RecordRow, 'locationId' | 'objectId'> {
  for (const k of ['ownerJson', 'followersJson', 'propertiesJson', 'createdByJson', 'lastUpdatedByJson'] as const) assert.equal(typeof raw[k], 'string');
  return {
    id: raw.id,
    owner: JSON.parse(raw.ownerJson),
    followers: JSON.parse(raw.followersJson),
    properties: JSON.parse(raw.propertiesJson),
    createdAt: raw.createdAt,
    updatedAt: raw.updatedAt,
    createdBy: JSON.parse(raw.createdByJson),
    lastUpdatedBy: JSON.parse(raw.lastUpdatedByJson),
  };
}

const withoutPlace = (r: RecordRow): Omit<RecordRow, 'locationId' | 'objectId'> => {
  const { locationId: _l, objectId: _o, ...rest } = r;
  return rest;
};

// ---------------------------------------------------------------------------------------------

export function storeContract(backend: Backend): void {
  describe(`Store contract: ${backend.name}`, () => {
    let db: TestDb;
    beforeEach(async () => {
      db = await backend.fresh();
    });
    afterEach(async () => {
      await db.dispose();
    });

    /** A store on a database holding the base dataset (and `records`). */
    async function loaded(records: RecordRow[] = []): Promise<Store> {
      const store = await db.open();
      await store.loadDataset(baseDataset(records), { reset: false });
      return store;
    }

    async function datasetOf(store: Store, doc: unknown): Promise<Dataset> {
      const result = await prepareFixture(doc, (await createServices(store)).tokens);
      assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
      return result.dataset;
    }
    const demo = (store: Store) => datasetOf(store, readJson(DEMO_FIXTURE));
    const other = (store: Store) =>
      datasetOf(store, {
        locations: [
          {
            id: OTHER_LOCATION,
            name: 'Other clinic',
            tokens: [{ type: 'private-integration', scopes: ['objects/record.readonly'] }],
            objects: [{ key: 'custom_objects.cat', labels: { singular: 'Cat', plural: 'Cats' }, fields: [{ fieldKey: 'custom_objects.cat.name', name: 'Name', dataType: 'TEXT' }] }],
            records: [{ objectKey: 'custom_objects.cat', properties: { name: 'Tom' } }],
          },
        ],
      });

    describe('opening and migrations', () => {
      test('a new database gets the whole schema, empty, at revision 0', async () => {
        const store = await db.open();
        assert.equal(store.kind, backend.name);
        assert.equal(await store.isEmpty(), true);
        assert.equal(await store.revision(), 0);
        assert.equal(await db.schemaVersion(), backend.migrationCount);
        assert.deepEqual(await db.counts(), EMPTY_COUNTS);
      });

      test('reopening is idempotent and keeps data, meta and revision', async () => {
        const first = await db.open();
        await first.loadDataset(await demo(first), { reset: false });
        const key = await first.getMeta('oauth_signing_key');
        assert.ok(key);
        const revision = await first.revision();
        const before = await db.counts();
        await first.close();
        for (let i = 0; i < 2; i++) {
          const again = await db.open();
          assert.equal(await again.isEmpty(), false);
          assert.equal((await again.getLocation(DEMO_LOCATION))?.name, 'Demo Pet Clinic');
          assert.equal(await again.getMeta('oauth_signing_key'), key);
          assert.equal(await again.revision(), revision);
          await again.close();
        }
        assert.deepEqual(await db.counts(), before);
        assert.equal(await db.schemaVersion(), backend.migrationCount);
      });

      test('two stores opened at once on a new database both work and see each other', async () => {
        const [a, b] = await Promise.all([db.open(), db.open()]);
        await a.putMetaIfAbsent('k', 'v');
        assert.equal(await b.getMeta('k'), 'v');
        assert.equal(await db.schemaVersion(), backend.migrationCount);
      });

      test('a database of every older schema version is brought up to date', async () => {
        for (let v = 0; v < backend.migrationCount; v++) {
          await db.dispose();
          db = await backend.fresh();
          await db.createAtVersion(v);
          const store = await db.open();
          assert.equal(await store.isEmpty(), true);
          assert.equal(await store.revision(), 0);
          assert.equal(await db.schemaVersion(), backend.migrationCount, `from version ${v}`);
          await store.loadDataset(baseDataset([rexRow()]), { reset: false });
          assert.ok(await store.getRecord(PET, REX));
        }
      });

      test('a database of a NEWER schema version is refused, and left as it is', async () => {
        const store = await db.open();
        await store.putMetaIfAbsent('marker', 'kept');
        await store.close();
        const newer = backend.migrationCount + 1;
        await db.setSchemaVersion(newer);
        await assert.rejects(db.open(), {
          message: `the database is at schema version ${newer}, newer than this ghl-objects (${backend.migrationCount}): upgrade ghl-objects`,
        });
        assert.equal(await db.schemaVersion(), newer);
      });
    });

    describe('loadDataset and isEmpty', () => {
      test('loads a dataset whole into an empty database and bumps the revision', async () => {
        const store = await db.open();
        const data = await demo(store);
        await store.loadDataset(data, { reset: false });
        assert.equal(await store.isEmpty(), false);
        assert.equal(await store.revision(), 1);
        assert.deepEqual(await db.counts(), {
          locations: data.locations.length,
          users: data.users.length,
          tokens: data.tokens.length,
          objects: data.objects.length,
          folders: data.folders.length,
          fields: data.fields.length,
          records: data.records.length,
        });
        const { objects, fields, folders } = await store.listObjects(DEMO_LOCATION);
        assert.deepEqual(objects.map((o) => o.key).sort(), ['business', 'contact', 'custom_objects.pet', 'opportunity']);
        assert.equal(fields.length, data.fields.length);
        assert.equal(folders.length, data.folders.length);
        const rex = data.records.find((r) => r.id === DEMO_REX)!;
        assert.deepEqual(await store.getRecord(DEMO_PET, DEMO_REX), rex);
      });

      test('every row reads back as it was loaded', async () => {
        const store = await db.open();
        const data = baseDataset([rexRow(), mistyRow()]);
        await store.loadDataset(data, { reset: false });
        assert.deepEqual(await store.getLocation(LOC), data.locations[0]);
        assert.deepEqual(await store.userIds(LOC), [USER_A, USER_B]);
        for (const t of data.tokens) assert.deepEqual(await store.findTokenById(t.id), t);
        assert.deepEqual(await store.listObjects(LOC), {
          // Standard objects first, then by creation.
          objects: [data.objects[1], data.objects[0]],
          folders: data.folders,
          fields: data.fields,
        });
        for (const r of data.records) assert.deepEqual(await store.getRecord(r.objectId, r.id), r);
      });

      test('refuses a non-empty database with not_empty and leaves it untouched', async () => {
        const store = await db.open();
        await store.loadDataset(await demo(store), { reset: false });
        const before = await db.counts();
        const revision = await store.revision();
        await rejectsWith(store.loadDataset(await other(store), { reset: false }), 'not_empty', 'the database already holds data');
        assert.deepEqual(await db.counts(), before);
        assert.equal(await store.revision(), revision);
        assert.equal(await store.getLocation(OTHER_LOCATION), undefined);
        assert.ok(await store.getLocation(DEMO_LOCATION));
      });

      test('reset replaces the data, keeps meta, and bumps the revision', async () => {
        const store = await db.open();
        await store.loadDataset(await demo(store), { reset: false });
        const key = await store.getMeta('oauth_signing_key');
        assert.ok(key);
        const revision = await store.revision();
        const data = await other(store);
        await store.loadDataset(data, { reset: true });
        assert.equal(await store.getLocation(DEMO_LOCATION), undefined);
        assert.equal((await store.getLocation(OTHER_LOCATION))?.name, 'Other clinic');
        assert.equal(await store.findTokenByHash(hashToken(DEMO_PIT)), undefined);
        assert.equal(await store.getRecordJson(DEMO_PET, DEMO_REX, OBJECT_JSON), undefined);
        assert.deepEqual(await db.counts(), {
          locations: 1,
          users: 0,
          tokens: 1,
          objects: data.objects.length,
          folders: data.folders.length,
          fields: data.fields.length,
          records: 1,
        });
        assert.equal(await store.getMeta('oauth_signing_key'), key);
        assert.ok((await store.revision()) > revision, 'a reset bumps the revision');
      });

      test('reset also frees the unique values of the old records', async () => {
        const store = await loaded([rexRow()]);
        await store.loadDataset(baseDataset([recordRow(PET, rid(9), { name: 'Rex', tag: 7 })]), { reset: true });
        assert.equal(await store.getRecord(PET, REX), undefined);
        await rejectsWith(store.insertRecord(recordRow(PET, rid(10), { name: 'Rex' }), UNIQUE_KEYS), 'conflict', 'duplicate value in unique field name', { key: 'name', value: 'Rex' });
      });

      test('a failing load into an empty database writes nothing, and the store still works', async () => {
        const store = await db.open();
        const data = await demo(store);
        // The same record twice: its second insert breaks the primary key, after everything else went in.
        data.records.push({ ...data.records[0]! });
        await assert.rejects(store.loadDataset(data, { reset: false }));
        assert.equal(await store.isEmpty(), true);
        assert.deepEqual(await db.counts(), EMPTY_COUNTS);
        assert.equal(await store.revision(), 0);
        data.records.pop();
        await store.loadDataset(data, { reset: false });
        assert.equal(await store.isEmpty(), false);
      });

      test('a failing reset rolls the delete back as well: the old data stays', async () => {
        const store = await db.open();
        await store.loadDataset(await demo(store), { reset: false });
        const before = await db.counts();
        const revision = await store.revision();
        const data = await other(store);
        data.records.push({ ...data.records[0]! });
        await assert.rejects(store.loadDataset(data, { reset: true }));
        assert.deepEqual(await db.counts(), before);
        assert.equal(await store.revision(), revision);
        assert.ok(await store.getLocation(DEMO_LOCATION));
        assert.equal(await store.getLocation(OTHER_LOCATION), undefined);
      });

      test('a dataset with a value twice in a unique field is a conflict naming it, and writes nothing', async () => {
        const store = await db.open();
        const data = baseDataset([rexRow(), recordRow(PET, rid(5), { name: 'Other', tag: 7 })]);
        await rejectsWith(store.loadDataset(data, { reset: false }), 'conflict', 'duplicate value in unique field tag', { key: 'tag', value: 7 });
        assert.deepEqual(await db.counts(), EMPTY_COUNTS);
        assert.equal(await store.revision(), 0);
      });

      test('loads a dataset larger than one batch', async () => {
        const store = await db.open();
        const records = Array.from({ length: 2_500 }, (_, i) => recordRow(PET, rid(100 + i), { name: `pet ${i}`, tag: i, weight: i / 10 }));
        await store.loadDataset(baseDataset(records), { reset: false });
        assert.equal((await db.counts()).records, 2_500);
        assert.deepEqual(await store.getRecord(PET, rid(100 + 2_499)), records[2_499]);
        await rejectsWith(store.insertRecord(recordRow(PET, rid(9), { tag: 2_499 }), UNIQUE_KEYS), 'conflict', undefined, { key: 'tag', value: 2_499 });
      });
    });

    describe('meta and revision', () => {
      test('getMeta is undefined until put; putMetaIfAbsent keeps the first value, for every store', async () => {
        const a = await db.open();
        const b = await db.open();
        assert.equal(await a.getMeta('color'), undefined);
        assert.equal(await a.putMetaIfAbsent('color', 'red'), 'red');
        assert.equal(await b.putMetaIfAbsent('color', 'blue'), 'red');
        assert.equal(await a.putMetaIfAbsent('color', 'green'), 'red');
        assert.equal(await a.getMeta('color'), 'red');
        assert.equal(await b.getMeta('color'), 'red');
      });

      test('concurrent putMetaIfAbsent from two stores: all get the one value stored', async () => {
        const a = await db.open();
        const b = await db.open();
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).putMetaIfAbsent('race', `v${i}`)));
        const stored = await a.getMeta('race');
        assert.ok(stored);
        assert.deepEqual(results, results.map(() => stored));
      });

      test('revokeToken marks the token revoked and bumps revision(), seen by another store', async () => {
        const store = await db.open();
        await store.loadDataset(await demo(store), { reset: false });
        const watcher = await db.open();
        const token = await store.findTokenByHash(hashToken(DEMO_PIT));
        assert.ok(token);
        assert.equal(token.revokedAt, null);
        const revision = await watcher.revision();
        const when = '2025-01-02T03:04:05.000Z';
        assert.equal(await store.revokeToken(token.id, when), true);
        assert.equal(await watcher.revision(), revision + 1);
        assert.equal((await watcher.findTokenById(token.id))?.revokedAt, when);
        assert.equal((await watcher.findTokenByHash(hashToken(DEMO_PIT)))?.revokedAt, when);
        // A second revocation, or of no token, changes nothing.
        assert.equal(await store.revokeToken(token.id, '2026-01-01T00:00:00.000Z'), false);
        assert.equal(await store.revokeToken('00000000-0000-4000-8000-000000000000', when), false);
        assert.equal(await watcher.revision(), revision + 1);
        assert.equal((await watcher.findTokenById(token.id))?.revokedAt, when);
      });

      test('concurrent revocations of one token: exactly one wins, the revision moves once', async () => {
        const store = await loaded();
        const other = await db.open();
        const id = baseDataset().tokens[0]!.id;
        const revision = await store.revision();
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? store : other).revokeToken(id, at(100 + i))));
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await store.revision(), revision + 1);
      });

      test('schema changes from two stores at once each bump the revision', async () => {
        const a = await loaded();
        const b = await db.open();
        const revision = await a.revision();
        await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).insertFolder(folderRow(`eeeeeeeeeeeeeeeeeeee${String(i).padStart(4, '0')}`, PET, { name: `F${i}` }))));
        assert.equal(await b.revision(), revision + 10);
      });
    });

    describe('locations, users and tokens', () => {
      test('getLocation and userIds; unknown ones are undefined and empty', async () => {
        const store = await loaded();
        assert.deepEqual(await store.getLocation(LOC), { id: LOC, name: 'Clinic', createdAt: at(0) });
        assert.equal(await store.getLocation(LOC2), undefined);
        assert.deepEqual(await store.userIds(LOC), [USER_A, USER_B]);
        assert.deepEqual(await store.userIds(LOC2), []);
      });

      test('an inserted token is found by hash and by id, as it was given', async () => {
        const store = await db.open();
        await store.loadDataset(await demo(store), { reset: false });
        const { tokens } = await createServices(store);
        const { token, row } = await tokens.issue('pit', { locationId: DEMO_LOCATION, scopes: ['objects/record.readonly'], expiresIn: 60 });
        await store.insertToken(row);
        assert.deepEqual(await store.findTokenByHash(hashToken(token)), row);
        assert.deepEqual(await store.findTokenById(row.id), row);
      });

      test('tokens of both kinds round-trip, nulls included; unknown ones are undefined', async () => {
        const store = await loaded();
        const oauth = tokenRow('33333333-3333-4333-8333-333333333333', { kind: 'oauth', hash: null, clientId: 'abcdefabcdefabcdefabcdef-12345678', expiresAt: at(3600), scopes: [] });
        await store.insertToken(oauth);
        assert.deepEqual(await store.findTokenById(oauth.id), oauth);
        assert.equal(await store.findTokenById('44444444-4444-4444-8444-444444444444'), undefined);
        assert.equal(await store.findTokenByHash(hashToken('nope')), undefined);
      });

      test('a second token with the same id or hash is refused', async () => {
        const store = await loaded();
        const t = baseDataset().tokens[0]!;
        await assert.rejects(store.insertToken({ ...t, hash: hashToken('fresh') }));
        await assert.rejects(store.insertToken({ ...t, id: '55555555-5555-4555-8555-555555555555' }));
      });
    });

    describe('object schemas', () => {
      const CAT = 'cccccccccccccccccccc0001';
      const cat = () => objectRow(CAT, 'custom_objects.cat', { createdAt: at(5), updatedAt: at(5) });
      const catFolder = () => folderRow('cccccccccccccccccccc0f01', CAT, { createdAt: at(5), updatedAt: at(5) });
      const catField = () => fieldRow(50, CAT, 'custom_objects.cat.name', 'TEXT', { parentId: 'cccccccccccccccccccc0f01', createdAt: at(5), updatedAt: at(5) });

      test('listObjects: standard objects first, then by creation; folders and fields by creation, then insertion', async () => {
        const store = await loaded();
        await store.insertObject(cat(), [catFolder()], [catField()], 10);
        // Same created_at as the first pet field: insertion order decides.
        await store.insertField(fieldRow(51, PET, 'custom_objects.pet.zzz', 'TEXT', { createdAt: at(0) }));
        await store.insertField(fieldRow(52, PET, 'custom_objects.pet.aaa', 'TEXT', { createdAt: at(0) }));
        const { objects, folders, fields } = await store.listObjects(LOC);
        assert.deepEqual(objects.map((o) => o.id), [BUSINESS, PET, CAT]);
        assert.deepEqual(folders.map((f) => f.id), [PET_FOLDER, BUSINESS_FOLDER, catFolder().id]);
        assert.deepEqual(fields.map((f) => f.id), [...baseDataset().fields.map((f) => f.id), fid(51), fid(52), fid(50)]);
        assert.deepEqual(await store.listObjects(LOC2), { objects: [], folders: [], fields: [] });
      });

      test('insertObject writes the object with its folders and fields and bumps the revision', async () => {
        const store = await loaded();
        const revision = await store.revision();
        await store.insertObject(cat(), [catFolder()], [catField()], 10);
        assert.equal(await store.revision(), revision + 1);
        const { objects, folders, fields } = await store.listObjects(LOC);
        assert.deepEqual(objects.find((o) => o.id === CAT), cat());
        assert.deepEqual(folders.find((f) => f.objectId === CAT), catFolder());
        assert.deepEqual(fields.find((f) => f.objectId === CAT), catField());
      });

      test('insertObject: a key taken is a conflict, and nothing of it is written', async () => {
        const store = await loaded();
        const before = await db.counts();
        const revision = await store.revision();
        const dup = objectRow('cccccccccccccccccccc0002', 'custom_objects.pet');
        await rejectsWith(store.insertObject(dup, [folderRow('cccccccccccccccccccc0f02', dup.id)], [], 10), 'conflict', 'the key is taken');
        assert.deepEqual(await db.counts(), before);
        assert.equal(await store.revision(), revision);
        // The same key in another location is fine.
        await store.loadDataset({ ...baseDataset(), locations: [...baseDataset().locations, { id: LOC2, name: 'Two', createdAt: at(0) }] }, { reset: true });
        await store.insertObject({ ...dup, locationId: LOC2 }, [], [], 10);
      });

      test('insertObject: at the cap of custom objects it is refused with limit, and nothing is written', async () => {
        const store = await loaded();
        const before = await db.counts();
        // The location has one custom object (pet); business is standard and does not count.
        await rejectsWith(store.insertObject(cat(), [catFolder()], [catField()], 1), 'limit', 'custom object limit reached');
        assert.deepEqual(await db.counts(), before);
        await store.insertObject(cat(), [catFolder()], [catField()], 2);
      });

      test('insertObject: concurrent creates cannot pass the cap', async () => {
        const store = await loaded();
        const other = await db.open();
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => {
            const id = `cccccccccccccccccccc${String(i).padStart(4, '0')}`;
            return (i % 2 ? store : other).insertObject(objectRow(id, `custom_objects.o${i}`), [], [], 3);
          }),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2, JSON.stringify(results.map((r) => r.status)));
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof StoreError && r.reason.kind === 'limit', String(r.reason));
        assert.equal((await store.listObjects(LOC)).objects.filter((o) => !o.standard).length, 3);
      });

      test('updateObject patches and returns the object; unknown ones are undefined', async () => {
        const store = await loaded();
        const revision = await store.revision();
        const next = await store.updateObject(PET, { labels: { singular: 'Animal', plural: 'Animals' }, searchableProperties: ['custom_objects.pet.weight'], updatedAt: at(99) });
        const expected = { ...baseDataset().objects[0]!, labels: { singular: 'Animal', plural: 'Animals' }, searchableProperties: ['custom_objects.pet.weight'], updatedAt: at(99) };
        assert.deepEqual(next, expected);
        assert.deepEqual((await store.listObjects(LOC)).objects.find((o) => o.id === PET), expected);
        assert.equal(await store.revision(), revision + 1);
        await store.updateObject(PET, { description: null, updatedAt: at(100) });
        assert.equal((await store.listObjects(LOC)).objects.find((o) => o.id === PET)?.description, null);
        assert.equal(await store.updateObject('cccccccccccccccccccc9999', { description: 'x', updatedAt: at(1) }), undefined);
      });

      test('deleteObject removes it with its folders, fields, records and unique values; returns its field keys', async () => {
        const store = await loaded([rexRow(), recordRow(BUSINESS, rid(30), { name: 'Rex' })]);
        const revision = await store.revision();
        const keys = await store.deleteObject(PET);
        assert.deepEqual(keys, PET_FIELDS.map((f) => f.fieldKey));
        assert.equal(await store.revision(), revision + 1);
        assert.equal(await store.getRecord(PET, REX), undefined);
        assert.ok(await store.getRecord(BUSINESS, rid(30)));
        const { objects, folders, fields } = await store.listObjects(LOC);
        assert.deepEqual(objects.map((o) => o.id), [BUSINESS]);
        assert.deepEqual(folders.map((f) => f.id), [BUSINESS_FOLDER]);
        assert.deepEqual(fields.map((f) => f.objectId), [BUSINESS]);
        assert.equal(await store.deleteObject(PET), undefined);
        // Recreated under the same id: the old unique values are gone with the object.
        const data = baseDataset();
        await store.insertObject(data.objects[0]!, [data.folders[0]!], PET_FIELDS, 10);
        await store.insertRecord(recordRow(PET, rid(31), { name: 'Rex', tag: 7 }), UNIQUE_KEYS);
      });
    });

    describe('folders', () => {
      const NEW = 'dddddddddddddddddddd0001';

      test('insertFolder, updateFolder and deleteFolder each bump the revision', async () => {
        const store = await loaded();
        let revision = await store.revision();
        await store.insertFolder(folderRow(NEW, PET, { name: 'Medical', createdAt: at(3), updatedAt: at(3) }));
        assert.equal(await store.revision(), ++revision);
        assert.deepEqual((await store.listObjects(LOC)).folders.at(-1), folderRow(NEW, PET, { name: 'Medical', createdAt: at(3), updatedAt: at(3) }));
        assert.deepEqual(await store.updateFolder(NEW, 'Health', at(4)), folderRow(NEW, PET, { name: 'Health', createdAt: at(3), updatedAt: at(4) }));
        assert.equal(await store.revision(), ++revision);
        assert.equal(await store.deleteFolder(NEW), true);
        assert.equal(await store.revision(), ++revision);
        assert.equal((await store.listObjects(LOC)).folders.find((f) => f.id === NEW), undefined);
      });

      test('unknown folders: updateFolder undefined, deleteFolder false', async () => {
        const store = await loaded();
        assert.equal(await store.updateFolder(NEW, 'x', at(1)), undefined);
        assert.equal(await store.deleteFolder(NEW), false);
      });

      test('a folder id taken is a conflict', async () => {
        const store = await loaded();
        await rejectsWith(store.insertFolder(folderRow(PET_FOLDER, PET)), 'conflict', 'the key is taken');
      });

      test('deleteFolder refuses a folder that holds fields, and keeps it', async () => {
        const store = await loaded();
        const revision = await store.revision();
        await rejectsWith(store.deleteFolder(PET_FOLDER), 'conflict', 'the folder holds fields');
        assert.ok((await store.listObjects(LOC)).folders.some((f) => f.id === PET_FOLDER));
        assert.equal(await store.revision(), revision);
      });
    });

    describe('fields', () => {
      test('insertField adds a field and bumps the revision; a key taken in the object is a conflict', async () => {
        const store = await loaded();
        const revision = await store.revision();
        const f = fieldRow(60, PET, 'custom_objects.pet.color', 'RADIO', { options: [{ key: 'red', label: 'Red' }], createdAt: at(9), updatedAt: at(9) });
        await store.insertField(f);
        assert.equal(await store.revision(), revision + 1);
        assert.deepEqual((await store.listObjects(LOC)).fields.at(-1), f);
        await rejectsWith(store.insertField({ ...f, id: fid(61) }), 'conflict', 'the key is taken');
        assert.equal(await store.revision(), revision + 1);
      });

      test('updateField patches and returns the field; unknown ones are undefined', async () => {
        const store = await loaded();
        const f = PET_FIELDS[3]!;
        const patch = { name: 'Shots', description: 'Vaccinations', placeholder: 'pick', showInForms: false, options: [{ key: 'rabies', label: 'Rabies!' }], acceptedFormats: null, maxFileLimit: 2, updatedAt: at(50) };
        const expected = { ...f, ...patch };
        assert.deepEqual(await store.updateField(f.id, patch), expected);
        assert.deepEqual((await store.listObjects(LOC)).fields.find((x) => x.id === f.id), expected);
        // A partial patch leaves the rest.
        assert.deepEqual(await store.updateField(f.id, { name: 'Vax', updatedAt: at(51) }), { ...expected, name: 'Vax', updatedAt: at(51) });
        assert.equal(await store.updateField(fid(999), { name: 'x', updatedAt: at(1) }), undefined);
      });

      test('deleteField removes the field, its values from its object\'s records only, and its unique values', async () => {
        const misty = mistyRow();
        const biz = recordRow(BUSINESS, rid(30), { name: 'Rex', weight: 1 });
        const store = await loaded([rexRow(), misty, biz]);
        const revision = await store.revision();
        assert.equal(await store.deleteField(PET_FIELDS[0]!.id, ['name']), true);
        assert.equal(await store.revision(), revision + 1);
        const { name: _n, ...rexRest } = rexRow().properties as Record<string, unknown>;
        assert.deepEqual((await store.getRecord(PET, REX))?.properties, rexRest);
        assert.deepEqual((await store.getRecord(PET, MISTY))?.properties, { weight: 4.2 });
        assert.deepEqual((await store.getRecord(BUSINESS, rid(30)))?.properties, { name: 'Rex', weight: 1 });
        assert.equal((await store.listObjects(LOC)).fields.some((f) => f.id === PET_FIELDS[0]!.id), false);
        // The value Rex held is free: a field of that key, unique again, takes it.
        await store.insertField(PET_FIELDS[0]!);
        await store.insertRecord(recordRow(PET, rid(40), { name: 'Rex' }), UNIQUE_KEYS);
        // The other unique field keeps its values.
        await rejectsWith(store.insertRecord(recordRow(PET, rid(41), { tag: 7 }), UNIQUE_KEYS), 'conflict', undefined, { key: 'tag', value: 7 });
      });

      test('deleteField of a TEXTBOX_LIST removes each of its entry keys', async () => {
        const store = await loaded([rexRow()]);
        assert.equal(await store.deleteField(PET_FIELDS[4]!.id, ['diet.morning', 'diet.evening']), true);
        const props = (await store.getRecord(PET, REX))!.properties;
        assert.equal('diet.morning' in props, false);
        assert.equal('diet.evening' in props, false);
        assert.equal(props.name, 'Rex');
      });

      test('deleteField drops the field from the searchable properties; the primary display property takes over when none is left', async () => {
        const store = await loaded();
        await store.deleteField(PET_FIELDS[2]!.id, ['weight']);
        assert.deepEqual((await store.listObjects(LOC)).objects.find((o) => o.id === PET)?.searchableProperties, ['custom_objects.pet.name']);
        await store.updateObject(PET, { searchableProperties: ['custom_objects.pet.tag'], updatedAt: at(5) });
        await store.deleteField(PET_FIELDS[1]!.id, ['tag']);
        assert.deepEqual((await store.listObjects(LOC)).objects.find((o) => o.id === PET)?.searchableProperties, ['custom_objects.pet.name']);
        // A field that is not searchable leaves the list as it is.
        await store.deleteField(PET_FIELDS[6]!.id, ['birthday']);
        assert.deepEqual((await store.listObjects(LOC)).objects.find((o) => o.id === PET)?.searchableProperties, ['custom_objects.pet.name']);
      });

      test('deleteField of an unknown field is false and changes nothing', async () => {
        const store = await loaded([rexRow()]);
        assert.equal(await store.deleteField(fid(999), ['name']), false);
        assert.deepEqual(await store.getRecord(PET, REX), rexRow());
      });
    });

    describe('records', () => {
      test("getRecordJson answers the record in recordAnswerJson's layout, members in order, timestamps exactly as written", async () => {
        const store = await loaded([rexRow()]);
        const json = await store.getRecordJson(PET, REX, OBJECT_JSON);
        assert.ok(json);
        assert.deepEqual(Object.keys(JSON.parse(json) as object), ['record']);
        const record = (JSON.parse(json) as { record: AnsweredRecord }).record;
        assert.deepEqual(Object.keys(record), [
          'id', 'owner', 'followers', 'properties', 'dateAdded', 'dateUpdated', 'createdAt', 'updatedAt', 'objectKey', 'createdBy', 'lastUpdatedBy',
        ]);
        assert.deepEqual(answeredRow(record), withoutPlace(rexRow()));
        assert.equal(record.createdAt, '2024-01-01T00:00:01.000Z');
      });

      test('getRecordJson and getRecord are undefined for an unknown id, or a record of another object', async () => {
        const store = await loaded([rexRow(), recordRow(BUSINESS, rid(30), { name: 'Acme' })]);
        assert.equal(await store.getRecordJson(PET, rid(999), OBJECT_JSON), undefined);
        assert.equal(await store.getRecordJson(BUSINESS, REX, OBJECT_JSON), undefined);
        assert.equal(await store.getRecord(BUSINESS, REX), undefined);
        assert.ok(await store.getRecordJson(BUSINESS, rid(30), OBJECT_JSON));
      });

      test('values round-trip: numbers exactly, text of any script, nested values', async () => {
        const properties = {
          half: 1.5,
          tenth: 0.1,
          sum: 0.1 + 0.2,
          negative: -12.25,
          int: 42,
          zero: 0,
          big: 2 ** 60,
          maxSafe: Number.MAX_SAFE_INTEGER,
          tiny: 1e-7,
          huge: 1e21,
          text: 'Ünïcødé 🐶 "quoted" \\ back\nslash \t tab',
          empty: '',
          list: ['a', 'b'],
          none: [],
          money: { currency: 'default', value: 99.99 },
          files: [{ url: 'https://example.com/a b.png' }],
        };
        const r = recordRow(PET, REX, properties, { owner: [], followers: [USER_B] });
        const store = await loaded();
        const written = await store.insertRecord(r, []);
        assert.deepEqual(await store.getRecord(PET, REX), r);
        assert.deepEqual(answeredRow((await answeredRecord(store, PET, REX))!), withoutPlace(r));
        assert.deepEqual(parseRaw(written), withoutPlace(r), 'what insertRecord answers is what it stored');
        assert.equal((await answeredRecord(store, PET, REX))!.properties.half, 1.5);
      });

      test('insertRecord: an id taken is a conflict without a duplicate', async () => {
        const store = await loaded([rexRow()]);
        await rejectsWith(store.insertRecord({ ...rexRow(), properties: { name: 'New' } }, UNIQUE_KEYS), 'conflict', 'the record id is taken');
        assert.deepEqual(await store.getRecord(PET, REX), rexRow());
      });

      test('insertRecord: a value another record holds in a unique field is a conflict naming it; nothing is written', async () => {
        const store = await loaded([rexRow()]);
        const before = await db.counts();
        await rejectsWith(store.insertRecord(recordRow(PET, rid(5), { name: 'Rex' }), UNIQUE_KEYS), 'conflict', 'duplicate value in unique field name', { key: 'name', value: 'Rex' });
        await rejectsWith(store.insertRecord(recordRow(PET, rid(5), { name: 'Fresh', tag: 7 }), UNIQUE_KEYS), 'conflict', 'duplicate value in unique field tag', { key: 'tag', value: 7 });
        // Both taken: the first in uniqueKeys order is named.
        await rejectsWith(store.insertRecord(recordRow(PET, rid(5), { name: 'Rex', tag: 7 }), ['tag', 'name']), 'conflict', undefined, { key: 'tag', value: 7 });
        assert.deepEqual(await db.counts(), before);
        assert.equal(await store.getRecord(PET, rid(5)), undefined);
        // The failed inserts claimed nothing: the values they tried are still free.
        await store.insertRecord(recordRow(PET, rid(5), { name: 'Fresh', tag: 8 }), UNIQUE_KEYS);
      });

      test('unique values are per object and per field, compared by JSON value; non-unique keys are not checked', async () => {
        const store = await loaded([rexRow()]);
        await store.insertRecord(recordRow(BUSINESS, rid(30), { name: 'Rex' }), ['name']);
        // "7" (text) is not 7 (number); the tag value under name is not the tag.
        await store.insertRecord(recordRow(PET, rid(6), { name: '7', tag: 8 }), UNIQUE_KEYS);
        await store.insertRecord(recordRow(PET, rid(7), { weight: 31.5 }), UNIQUE_KEYS);
        await store.insertRecord(recordRow(PET, rid(8), { name: 'Rex' }), []);
        // Lists and objects are never unique values.
        await store.insertRecord(recordRow(PET, rid(9), { name: ['Rex'] as unknown as string }), UNIQUE_KEYS);
      });

      test('concurrent inserts of one unique value: exactly one succeeds', async () => {
        const store = await loaded();
        const other = await db.open();
        const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? store : other).insertRecord(recordRow(PET, rid(100 + i), { name: 'Dup', tag: 1000 + i }), UNIQUE_KEYS)));
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1, JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))));
        for (const r of results) {
          if (r.status === 'rejected') assert.deepEqual([r.reason instanceof StoreError && r.reason.kind, r.reason.duplicate], ['conflict', { key: 'name', value: 'Dup' }]);
        }
        assert.equal((await db.counts()).records, 1);
        // The losers' other values were not claimed.
        const winner = results.findIndex((r) => r.status === 'fulfilled');
        const loser = winner === 0 ? 1 : 0;
        await store.insertRecord(recordRow(PET, rid(200), { tag: 1000 + loser }), UNIQUE_KEYS);
      });

      test('concurrent inserts crossing two unique values: no deadlock escapes, one of each pair wins', async () => {
        const store = await loaded();
        const other = await db.open();
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).insertRecord(recordRow(PET, rid(100 + i), i % 2 ? { name: 'A', tag: 1 } : { tag: 1, name: 'A' }), i % 2 ? ['name', 'tag'] : ['tag', 'name'])),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof StoreError && r.reason.kind === 'conflict', String(r.reason));
      });

      test('updateRecord applies the change to the current record and returns it', async () => {
        const store = await loaded([rexRow()]);
        let seen: RecordRow | undefined;
        const next = await store.updateRecord(
          PET,
          REX,
          (current) => {
            seen = current;
            return { ...current, owner: [USER_B], properties: { ...current.properties, weight: 30 }, updatedAt: at(77), lastUpdatedBy: actor('me', at(77)) };
          },
          UNIQUE_KEYS,
        );
        assert.deepEqual(seen, rexRow());
        const expected = { ...rexRow(), owner: [USER_B], properties: { ...rexRow().properties, weight: 30 }, updatedAt: at(77), lastUpdatedBy: actor('me', at(77)) };
        assert.deepEqual(parseRaw(next!), withoutPlace(expected));
        assert.deepEqual(await store.getRecord(PET, REX), expected);
        assert.deepEqual(answeredRow((await answeredRecord(store, PET, REX))!), withoutPlace(expected));
      });

      test('updateRecord writes owner, followers, properties, updatedAt and lastUpdatedBy only', async () => {
        const store = await loaded([rexRow()]);
        const written = await store.updateRecord(PET, REX, (c) => ({ ...c, createdAt: at(500), createdBy: actor('x', at(500)), followers: [], updatedAt: at(9) }), []);
        const after = await store.getRecord(PET, REX);
        assert.deepEqual(after, { ...rexRow(), followers: [], updatedAt: at(9) });
        assert.deepEqual(parseRaw(written!), withoutPlace(after!), 'what updateRecord answers is what it stored');
      });

      test('updateRecord of an unknown record, or of another object, is undefined and does not call apply', async () => {
        const store = await loaded([rexRow()]);
        let called = false;
        const apply = (c: RecordRow) => ((called = true), c);
        assert.equal(await store.updateRecord(PET, rid(999), apply, []), undefined);
        assert.equal(await store.updateRecord(BUSINESS, REX, apply, []), undefined);
        assert.equal(called, false);
      });

      test('updateRecord: apply throwing refuses the change; the error comes through as it was', async () => {
        const store = await loaded([rexRow()]);
        const refusal = new Error('no, thanks');
        await assert.rejects(store.updateRecord(PET, REX, () => { throw refusal; }, UNIQUE_KEYS), (err) => err === refusal);
        assert.deepEqual(await store.getRecord(PET, REX), rexRow());
        // The store is not left in a transaction.
        await store.updateRecord(PET, REX, (c) => ({ ...c, properties: { ...c.properties, weight: 1 } }), UNIQUE_KEYS);
        assert.equal((await store.getRecord(PET, REX))?.properties.weight, 1);
      });

      test('updateRecord: a unique value taken by another record is a conflict, and nothing changes', async () => {
        const store = await loaded([rexRow(), mistyRow()]);
        await rejectsWith(
          store.updateRecord(PET, MISTY, (c) => ({ ...c, properties: { ...c.properties, name: 'Rex', weight: 1 } }), UNIQUE_KEYS),
          'conflict',
          'duplicate value in unique field name',
          { key: 'name', value: 'Rex' },
        );
        assert.deepEqual(await store.getRecord(PET, MISTY), mistyRow());
        // Misty still holds her own name.
        await rejectsWith(store.insertRecord(recordRow(PET, rid(9), { name: 'Misty' }), UNIQUE_KEYS), 'conflict', undefined, { key: 'name', value: 'Misty' });
      });

      test('updateRecord: keeping its own unique value is fine; a value given up is free for others', async () => {
        const store = await loaded([rexRow(), mistyRow()]);
        await store.updateRecord(PET, REX, (c) => ({ ...c, properties: { ...c.properties, weight: 2 } }), UNIQUE_KEYS);
        await store.updateRecord(PET, REX, (c) => ({ ...c, properties: { ...c.properties, name: 'Rexie', tag: 70 } }), UNIQUE_KEYS);
        await store.updateRecord(PET, MISTY, (c) => ({ ...c, properties: { ...c.properties, name: 'Rex', tag: 7 } }), UNIQUE_KEYS);
        await rejectsWith(store.insertRecord(recordRow(PET, rid(9), { name: 'Rexie' }), UNIQUE_KEYS), 'conflict', undefined, { key: 'name', value: 'Rexie' });
        // A value removed from the record is given up as well.
        await store.updateRecord(PET, REX, (c) => ({ ...c, properties: { weight: 2 } }), UNIQUE_KEYS);
        await store.insertRecord(recordRow(PET, rid(9), { name: 'Rexie', tag: 70 }), UNIQUE_KEYS);
      });

      test('20 concurrent updates of different properties of one record all survive', async () => {
        const store = await loaded([rexRow()]);
        const other = await db.open();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? store : other).updateRecord(PET, REX, (c) => ({ ...c, properties: { ...c.properties, [`p${i}`]: i }, updatedAt: at(1000 + i) }), UNIQUE_KEYS),
          ),
        );
        assert.ok(results.every(Boolean));
        const props = (await store.getRecord(PET, REX))!.properties;
        for (let i = 0; i < 20; i++) assert.equal(props[`p${i}`], i, `p${i} was lost`);
        assert.equal(props.name, 'Rex');
        // Each update saw the one before it: the properties each returned grow one by one.
        const sizes = results.map((r) => Object.keys(JSON.parse(r!.propertiesJson) as object).length).sort((a, b) => a - b);
        assert.deepEqual(sizes, Array.from({ length: 20 }, (_, i) => Object.keys(rexRow().properties).length + i + 1));
      });

      test('deleteRecord deletes a record of its object only, and frees its unique values', async () => {
        const store = await loaded([rexRow()]);
        assert.equal(await store.deleteRecord(BUSINESS, REX), false);
        assert.ok(await store.getRecord(PET, REX));
        assert.equal(await store.deleteRecord(PET, REX), true);
        assert.equal(await store.getRecord(PET, REX), undefined);
        assert.equal(await store.getRecordJson(PET, REX, OBJECT_JSON), undefined);
        assert.equal(await store.deleteRecord(PET, REX), false);
        await store.insertRecord(recordRow(PET, rid(9), { name: 'Rex', tag: 7 }), UNIQUE_KEYS);
      });

      test('deleteRecord under another object leaves the record its unique values', async () => {
        const store = await loaded([rexRow()]);
        assert.equal(await store.deleteRecord(BUSINESS, REX), false);
        await rejectsWith(store.insertRecord(recordRow(PET, rid(9), { name: 'Rex' }), UNIQUE_KEYS), 'conflict', undefined, { key: 'name', value: 'Rex' });
      });

      test('record writes do not move the revision', async () => {
        const store = await loaded([rexRow()]);
        const revision = await store.revision();
        await store.insertRecord(mistyRow(), UNIQUE_KEYS);
        await store.updateRecord(PET, MISTY, (c) => ({ ...c, properties: { name: 'M' } }), UNIQUE_KEYS);
        await store.deleteRecord(PET, MISTY);
        assert.equal(await store.revision(), revision);
      });
    });

    searchContract(() => db);
  });
}

// ---------------------------------------------------------------------------------------------
// Search

/** Search records of the pet object; ids sort by their number, r(8) belongs to business. */
const r = (n: number) => rid(0x5000 + n);
const SEARCH_RECORDS = (): RecordRow[] => [
  recordRow(PET, r(1), { name: 'Rex', weight: 31.5, balance: { currency: 'default', value: 100 }, vaccines: ['rabies', 'parvo'], species: 'dog', birthday: '2019-04-02', 'diet.morning': 'Dry food', xrays: [{ url: 'https://example.com/x.png' }] }, { createdAt: at(1), updatedAt: at(10) }),
  recordRow(PET, r(2), { name: 'misty', weight: 4.2, vaccines: [], species: 'cat', birthday: '2021-11-20' }, { createdAt: at(2), updatedAt: at(9) }),
  recordRow(PET, r(3), { name: 'Zed', weight: 31.5, balance: { currency: 'default', value: 20.25 }, vaccines: ['distemper'] }, { createdAt: at(3), updatedAt: at(8) }),
  recordRow(PET, r(4), { name: 'Éclair', species: 'rabbit', xrays: [] }, { createdAt: at(4), updatedAt: at(7) }),
  recordRow(PET, r(5), { name: 'apple', weight: -3, balance: { currency: 'default', value: -5 }, vaccines: ['RABIES-X'] }, { createdAt: at(5), updatedAt: at(10) }),
  recordRow(PET, r(6), { weight: 1000 }, { createdAt: at(6), updatedAt: at(6) }),
  recordRow(PET, r(7), { name: 'REXY', weight: 0.1 }, { createdAt: at(7), updatedAt: at(5) }),
  recordRow(BUSINESS, r(8), { name: 'Rex', weight: 31.5 }, { createdAt: at(8), updatedAt: at(10) }),
];

const prop = (key: string, kind: Extract<Target, { type: 'property' }>['kind']): Target => ({ type: 'property', key, kind });
const NAME = prop('name', 'text');
const WEIGHT = prop('weight', 'number');
const BALANCE = prop('balance', 'money');
const VACCINES = prop('vaccines', 'list');
const SPECIES = prop('species', 'text');
const BIRTHDAY = prop('birthday', 'text');
const MORNING = prop('diet.morning', 'text');
const XRAYS = prop('xrays', 'files');
const CREATED: Target = { type: 'timestamp', column: 'createdAt' };
const UPDATED: Target = { type: 'timestamp', column: 'updatedAt' };

const eq = (target: Target, value: string | number, negate = false): Condition => ({ kind: 'leaf', op: 'eq', target, value, negate });
const contains = (target: Target, value: string, negate = false): Condition => ({ kind: 'leaf', op: 'contains', target, value, negate });
const exists = (target: Target, negate = false): Condition => ({ kind: 'leaf', op: 'exists', target, negate });
const range = (target: Target, rng: Range): Condition => ({ kind: 'leaf', op: 'range', target, range: rng, negate: false });

export function plan(over: Partial<SearchPlan> = {}): SearchPlan {
  return { objectId: PET, where: null, query: null, sort: [], after: null, offset: 0, limit: 100, ...over };
}

/** The numbers (n of r(n)) of the records found, in order. */
const nums = (res: SearchResult): number[] => res.records.map((x) => parseInt(x.id, 16) - 0x5000);

function searchContract(getDb: () => TestDb): void {
  describe('searchRecords', () => {
    let store: Store;
    const run = (p: SearchPlan) => store.searchRecords(p);
    const found = async (p: SearchPlan): Promise<number[]> => {
      const res = await run(p);
      assert.equal(res.total, res.records.length, 'total of a single page');
      return nums(res);
    };
    const where = (c: Condition) => found(plan({ where: c }));

    beforeEach(async () => {
      store = await getDb().open();
      await store.loadDataset(baseDataset(SEARCH_RECORDS()), { reset: false });
    });

    test('no filter: every record of the object, by id', async () => {
      assert.deepEqual(await found(plan()), [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(await found(plan({ objectId: BUSINESS })), [8]);
      assert.deepEqual(await found(plan({ objectId: 'cccccccccccccccccccc0001' })), []);
    });

    test('eq and not_eq: a negated condition includes records without the property', async () => {
      assert.deepEqual(await where(eq(NAME, 'Rex')), [1]);
      assert.deepEqual(await where(eq(NAME, 'rex')), []);
      assert.deepEqual(await where(eq(NAME, 'Rex', true)), [2, 3, 4, 5, 6, 7]);
      assert.deepEqual(await where(eq(WEIGHT, 31.5)), [1, 3]);
      assert.deepEqual(await where(eq(WEIGHT, 31.5, true)), [2, 4, 5, 6, 7]);
      assert.deepEqual(await where(eq(WEIGHT, 31)), []);
      assert.deepEqual(await where(eq(BALANCE, 100)), [1]);
      assert.deepEqual(await where(eq(BALANCE, 100, true)), [2, 3, 4, 5, 6, 7]);
      assert.deepEqual(await where(eq(MORNING, 'Dry food')), [1]);
      assert.deepEqual(await where(eq(BIRTHDAY, '2021-11-20')), [2]);
    });

    test('eq on a list: some element equals the value', async () => {
      assert.deepEqual(await where(eq(VACCINES, 'rabies')), [1]);
      assert.deepEqual(await where(eq(VACCINES, 'parvo')), [1]);
      assert.deepEqual(await where(eq(VACCINES, 'rabies', true)), [2, 3, 4, 5, 6, 7]);
    });

    test('contains and not_contains: case-sensitive substrings, lists by element', async () => {
      assert.deepEqual(await where(contains(NAME, 'e')), [1, 3, 5]);
      assert.deepEqual(await where(contains(NAME, 'e', true)), [2, 4, 6, 7]);
      assert.deepEqual(await where(contains(NAME, 'clair')), [4]);
      assert.deepEqual(await where(contains(NAME, 'É')), [4]);
      assert.deepEqual(await where(contains(VACCINES, 'abies')), [1]);
      assert.deepEqual(await where(contains(VACCINES, 'RAB')), [5]);
      assert.deepEqual(await where(contains(VACCINES, 'abies', true)), [2, 3, 4, 5, 6, 7]);
    });

    test('exists and not_exists: an empty list or file list does not exist', async () => {
      assert.deepEqual(await where(exists(NAME)), [1, 2, 3, 4, 5, 7]);
      assert.deepEqual(await where(exists(NAME, true)), [6]);
      assert.deepEqual(await where(exists(WEIGHT)), [1, 2, 3, 5, 6, 7]);
      assert.deepEqual(await where(exists(BALANCE)), [1, 3, 5]);
      assert.deepEqual(await where(exists(VACCINES)), [1, 3, 5]);
      assert.deepEqual(await where(exists(VACCINES, true)), [2, 4, 6, 7]);
      assert.deepEqual(await where(exists(XRAYS)), [1]);
      assert.deepEqual(await where(exists(XRAYS, true)), [2, 3, 4, 5, 6, 7]);
      assert.deepEqual(await where(exists(MORNING)), [1]);
      assert.deepEqual(await where(exists(CREATED)), [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(await where(exists(CREATED, true)), []);
    });

    test('range: numbers by value, money by its value, text and timestamps by bytes', async () => {
      assert.deepEqual(await where(range(WEIGHT, { gt: 4.2, lte: 31.5 })), [1, 3]);
      assert.deepEqual(await where(range(WEIGHT, { lt: 0 })), [5]);
      assert.deepEqual(await where(range(WEIGHT, { gte: 0.1, lt: 4.2 })), [7]);
      assert.deepEqual(await where(range(BALANCE, { gte: 0 })), [1, 3]);
      assert.deepEqual(await where(range(BALANCE, { gt: 20.25 })), [1]);
      assert.deepEqual(await where(range(BIRTHDAY, { gte: '2020-01-01' })), [2]);
      assert.deepEqual(await where(range(NAME, { gte: 'Z', lt: 'b' })), [3, 5]);
      assert.deepEqual(await where(range(NAME, { gt: 'z' })), [4]);
      assert.deepEqual(await where(range(CREATED, { gte: at(3), lt: at(6) })), [3, 4, 5]);
      assert.deepEqual(await where(eq(UPDATED, at(10))), [1, 5]);
      assert.deepEqual(await where(eq(UPDATED, at(10), true)), [2, 3, 4, 6, 7]);
    });

    test('groups: AND, OR, nesting, negation inside, empty groups', async () => {
      assert.deepEqual(await where({ kind: 'or', items: [eq(SPECIES, 'dog'), eq(SPECIES, 'cat')] }), [1, 2]);
      assert.deepEqual(await where({ kind: 'and', items: [exists(WEIGHT), exists(BALANCE, true)] }), [2, 6, 7]);
      assert.deepEqual(
        await where({ kind: 'or', items: [{ kind: 'and', items: [eq(WEIGHT, 31.5), contains(NAME, 'Z', true)] }, eq(SPECIES, 'rabbit')] }),
        [1, 4],
      );
      assert.deepEqual(await where({ kind: 'and', items: [] }), [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(await where({ kind: 'or', items: [] }), []);
      // NULL (a missing property) inside OR and AND acts as false.
      assert.deepEqual(await where({ kind: 'or', items: [range(WEIGHT, { gt: 100 }), eq(SPECIES, 'rabbit')] }), [4, 6]);
    });

    test('query: case-insensitive for ASCII letters only, over text, lists and numbers', async () => {
      const q = (text: string, targets: Target[]) => found(plan({ query: { text, targets } }));
      assert.deepEqual(await q('rex', [NAME]), [1, 7]);
      assert.deepEqual(await q('REX', [NAME]), [1, 7]);
      assert.deepEqual(await q('ÉCLAIR', [NAME]), [4]);
      assert.deepEqual(await q('éclair', [NAME]), []);
      assert.deepEqual(await q('31', [NAME, WEIGHT]), [1, 3]);
      assert.deepEqual(await q('abies', [VACCINES]), [1, 5]);
      assert.deepEqual(await q('20.2', [BALANCE]), [3]);
      assert.deepEqual(await q('dry', [MORNING]), [1]);
      assert.deepEqual(await q('x', [XRAYS, CREATED]), []);
      assert.deepEqual(await found(plan({ query: { text: 'e', targets: [NAME] }, where: exists(BALANCE) })), [1, 3, 5]);
    });

    test('sort by text: by bytes, missing last in either direction, ties by id', async () => {
      const s = (direction: 'asc' | 'desc') => found(plan({ sort: [{ target: NAME, direction }] }));
      assert.deepEqual(await s('asc'), [7, 1, 3, 5, 2, 4, 6]);
      assert.deepEqual(await s('desc'), [4, 2, 5, 3, 1, 7, 6]);
    });

    test('sort by number and money: by value, missing last, ties by id; sort values returned', async () => {
      const asc = await run(plan({ sort: [{ target: WEIGHT, direction: 'asc' }] }));
      assert.deepEqual(nums(asc), [5, 7, 2, 1, 3, 6, 4]);
      assert.deepEqual(asc.records.map((x) => x.sortValues), [[-3], [0.1], [4.2], [31.5], [31.5], [1000], [null]]);
      assert.deepEqual(await found(plan({ sort: [{ target: WEIGHT, direction: 'desc' }] })), [6, 1, 3, 2, 7, 5, 4]);
      const money = await run(plan({ sort: [{ target: BALANCE, direction: 'desc' }] }));
      assert.deepEqual(nums(money), [1, 3, 5, 2, 4, 6, 7]);
      assert.deepEqual(money.records.map((x) => x.sortValues[0]), [100, 20.25, -5, null, null, null, null]);
    });

    test('sort by timestamps gives epoch milliseconds; several keys', async () => {
      const res = await run(plan({ sort: [{ target: UPDATED, direction: 'desc' }] }));
      assert.deepEqual(nums(res), [1, 5, 2, 3, 4, 6, 7]);
      assert.deepEqual(res.records[0]!.sortValues, [Date.parse(at(10))]);
      const multi = await run(plan({ sort: [{ target: SPECIES, direction: 'asc' }, { target: WEIGHT, direction: 'desc' }] }));
      assert.deepEqual(nums(multi), [2, 1, 4, 6, 3, 7, 5]);
      assert.deepEqual(multi.records[2]!.sortValues, ['rabbit', null]);
      assert.deepEqual(multi.records[3]!.sortValues, [null, 1000]);
    });

    test('found records carry the stored record', async () => {
      const res = await run(plan({ where: eq(NAME, 'Rex') }));
      const rex = SEARCH_RECORDS()[0]!;
      assert.deepEqual(parseRaw(res.records[0]!), withoutPlace(rex));
    });

    test('offset and limit: a page of the order; total counts every match', async () => {
      const res = await run(plan({ sort: [{ target: NAME, direction: 'asc' }], offset: 2, limit: 3 }));
      assert.equal(res.total, 7);
      assert.deepEqual(nums(res), [3, 5, 2]);
      const beyond = await run(plan({ offset: 50, limit: 10 }));
      assert.deepEqual([beyond.total, beyond.records.length], [7, 0]);
      const none = await run(plan({ where: eq(NAME, 'nobody') }));
      assert.deepEqual([none.total, none.records.length], [0, 0]);
    });

    test('keyset: pages after the last record of the previous one walk the whole order, nulls included', async () => {
      const sorts: SortKey[][] = [
        [],
        [{ target: NAME, direction: 'asc' }],
        [{ target: NAME, direction: 'desc' }],
        [{ target: WEIGHT, direction: 'asc' }],
        [{ target: WEIGHT, direction: 'desc' }],
        [{ target: BALANCE, direction: 'asc' }],
        [{ target: UPDATED, direction: 'desc' }],
        [{ target: SPECIES, direction: 'asc' }, { target: WEIGHT, direction: 'desc' }],
        [{ target: UPDATED, direction: 'asc' }, { target: NAME, direction: 'desc' }],
      ];
      for (const sort of sorts) {
        const all = nums(await run(plan({ sort })));
        for (const size of [1, 2, 3]) {
          const walked: number[] = [];
          let after: SearchPlan['after'] = null;
          for (let guard = 0; guard < 20; guard++) {
            const page = await run(plan({ sort, after, limit: size }));
            assert.equal(page.total, 7, 'total ignores the keyset');
            if (!page.records.length) break;
            walked.push(...nums(page));
            const last = page.records.at(-1)!;
            // searchAfter carries timestamps as epoch ms; the plan takes them as ISO text.
            after = { id: last.id, values: last.sortValues.map((v, i) => (sort[i]!.target.type === 'timestamp' ? new Date(v as number).toISOString() : v)) };
          }
          assert.deepEqual(walked, all, `sort ${JSON.stringify(sort.map((s) => [s.target.type === 'property' ? s.target.key : s.target.column, s.direction]))}, pages of ${size}`);
        }
      }
    });
  });
}
