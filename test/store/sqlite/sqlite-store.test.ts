import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { createServices } from '../../../src/services/container.js';
import { prepareFixture } from '../../../src/services/fixtures.js';
import { hashToken } from '../../../src/services/tokens.js';
import { MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { recordAnswerJson } from '../../../src/store/raw-record.js';
import { StoreError, type Dataset } from '../../../src/store/store.js';
import { OBJECT_JSON } from '../store.contract.js';
import { DEMO_FIXTURE, readJson, tempDir } from '../../helpers/test-server.js';

const DEMO_LOCATION = 've9EPM428h8vShlRW1KT';
const DEMO_PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const PET_OBJECT = '6798a1a18fc746e0eba2ccfe';
const REX = '661c06b4ffde146bdb469442';
const OTHER_LOCATION = 'Other0PM428h8vShlRW1';
/** Tables of the first migration, which every later schema keeps. */
const TABLES = ['meta', 'locations', 'users', 'tokens', 'objects', 'fields', 'records'];
const DATA_TABLES = ['locations', 'users', 'tokens', 'objects', 'fields', 'records'];

const { dir, cleanup } = tempDir('ghl-objects-sqlite-');
after(cleanup);
let n = 0;
/** A path for a new database file in this file's temp dir. */
const newPath = () => join(dir, `db-${++n}`, 'store.db');

/** Opens a store; every store opened here is closed after the test. */
const open: { stores: SqliteStore[]; (path: string): SqliteStore } = Object.assign((path: string) => {
  const store = openSqliteStore(path);
  open.stores.push(store);
  return store;
}, { stores: [] as SqliteStore[] });
beforeEach(() => {
  open.stores = [];
});
afterEach(async () => {
  for (const s of open.stores) await s.close().catch(() => undefined);
});

/** Reads the file with a connection of its own (not the store's). */
function inspect<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function counts(path: string): Record<string, number> {
  return inspect(path, (db) => Object.fromEntries(DATA_TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number])));
}

async function datasetOf(store: SqliteStore, doc: unknown): Promise<Dataset> {
  const result = await prepareFixture(doc, (await createServices(store)).tokens);
  assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
  return result.dataset;
}

const demo = (store: SqliteStore) => datasetOf(store, readJson(DEMO_FIXTURE));
const other = (store: SqliteStore) =>
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

describe('migrations', () => {
  test('a new file gets the whole schema, in WAL mode', async () => {
    const path = newPath();
    const store = open(path);
    assert.equal(await store.isEmpty(), true);
    assert.equal(await store.revision(), 0);
    inspect(path, (db) => {
      assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      for (const t of TABLES) assert.ok(tables.includes(t), `table ${t} is missing (have ${tables.join(', ')})`);
    });
    assert.deepEqual(counts(path), { locations: 0, users: 0, tokens: 0, objects: 0, fields: 0, records: 0 });
  });

  test('reopening a database is idempotent and keeps its data', async () => {
    const path = newPath();
    const first = open(path);
    await first.loadDataset(await demo(first), { reset: false });
    const key = await first.getMeta('oauth_signing_key');
    const revision = await first.revision();
    const before = counts(path);
    await first.close();

    for (let i = 0; i < 2; i++) {
      const again = open(path);
      assert.equal(await again.isEmpty(), false);
      assert.equal((await again.getLocation(DEMO_LOCATION))?.name, 'Demo Pet Clinic');
      assert.equal(await again.getMeta('oauth_signing_key'), key);
      assert.equal(await again.revision(), revision);
      await again.close();
    }
    assert.deepEqual(counts(path), before);
    inspect(path, (db) => assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length));
  });

  test('two stores open on one file at once', async () => {
    const path = newPath();
    const a = open(path);
    const b = open(path);
    await a.putMetaIfAbsent('k', 'v');
    assert.equal(await b.getMeta('k'), 'v');
  });

  test('a database of an older schema version is brought up to date', async () => {
    for (let applied = 0; applied < MIGRATIONS.length; applied++) {
      const path = newPath();
      mkdirSync(dirname(path), { recursive: true });
      const raw = new Database(path);
      for (let v = 0; v < applied; v++) raw.exec(MIGRATIONS[v]!);
      raw.pragma(`user_version = ${applied}`);
      raw.close();
      const store = open(path);
      assert.equal(await store.isEmpty(), true);
      assert.equal(await store.revision(), 0);
      inspect(path, (db) => assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length, `from version ${applied}`));
    }
  });

  test('a database of a NEWER version is refused, and left as it is', async () => {
    const path = newPath();
    const store = open(path);
    await store.putMetaIfAbsent('marker', 'kept');
    await store.close();
    const newer = MIGRATIONS.length + 1;
    const raw = new Database(path);
    raw.pragma(`user_version = ${newer}`);
    raw.close();

    assert.throws(() => openSqliteStore(path), {
      message: `the database is at schema version ${newer}, newer than this ghl-objects (${MIGRATIONS.length}): upgrade ghl-objects`,
    });
    inspect(path, (db) => {
      assert.equal(db.pragma('user_version', { simple: true }), newer);
      assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'marker'").pluck().get(), 'kept');
    });
  });

  test('a file that is not an SQLite database is refused, and left as it is', () => {
    const path = newPath();
    mkdirSync(dirname(path), { recursive: true });
    const text = 'this is not a database, only text long enough to fill a header\n'.repeat(10);
    writeFileSync(path, text);
    assert.throws(() => openSqliteStore(path), /file is not a database/);
    assert.equal(readFileSync(path, 'utf8'), text);
  });

  test('a database whose value tables cannot be built is refused, and no connection to it stays open', async () => {
    const path = newPath();
    const store = open(path);
    await store.loadDataset(await demo(store), { reset: false });
    await store.close();
    // A view where the pet object's value table must be: building that table fails.
    const raw = new Database(path);
    raw.exec(`DROP TABLE "object_values_${PET_OBJECT}"; CREATE VIEW "object_values_${PET_OBJECT}" AS SELECT 1 AS rid`);
    raw.close();

    /** File descriptors of this process open on the database file. */
    const descriptors = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false; // closed meanwhile (the directory's own descriptor)
      }
    }).length;
    const before = descriptors();
    assert.throws(() => openSqliteStore(path), /view "object_values_.*" already exists/);
    assert.equal(descriptors(), before);
  });
});

describe('loadDataset', () => {
  test('loads a dataset whole into an empty database and bumps the revision', async () => {
    const path = newPath();
    const store = open(path);
    const data = await demo(store);
    await store.loadDataset(data, { reset: false });
    assert.equal(await store.isEmpty(), false);
    assert.equal(await store.revision(), 1);
    assert.deepEqual(counts(path), {
      locations: data.locations.length,
      users: data.users.length,
      tokens: data.tokens.length,
      objects: data.objects.length,
      fields: data.fields.length,
      records: data.records.length,
    });
    const { objects, fields } = await store.listObjects(DEMO_LOCATION);
    assert.deepEqual(objects.map((o) => o.key).sort(), ['business', 'contact', 'custom_objects.pet', 'opportunity']);
    assert.equal(fields.length, data.fields.length);
  });

  test('refuses a non-empty database with StoreError not_empty and leaves it untouched', async () => {
    const path = newPath();
    const store = open(path);
    await store.loadDataset(await demo(store), { reset: false });
    const before = counts(path);
    const revision = await store.revision();

    await assert.rejects(store.loadDataset(await other(store), { reset: false }), (err: unknown) => {
      assert.ok(err instanceof StoreError, `not a StoreError: ${String(err)}`);
      assert.equal(err.kind, 'not_empty');
      assert.equal(err.message, 'the database already holds data');
      return true;
    });
    assert.deepEqual(counts(path), before);
    assert.equal(await store.revision(), revision);
    assert.equal(await store.getLocation(OTHER_LOCATION), undefined);
    assert.ok(await store.getLocation(DEMO_LOCATION));
  });

  test('reset replaces the data, and keeps the signing key', async () => {
    const path = newPath();
    const store = open(path);
    await store.loadDataset(await demo(store), { reset: false });
    const key = await store.getMeta('oauth_signing_key');
    assert.ok(key);
    const revision = await store.revision();

    const data = await other(store);
    await store.loadDataset(data, { reset: true });
    assert.equal(await store.getLocation(DEMO_LOCATION), undefined);
    assert.equal((await store.getLocation(OTHER_LOCATION))?.name, 'Other clinic');
    assert.equal(await store.findTokenByHash(hashToken(DEMO_PIT)), undefined);
    assert.equal(store.getRecordJson(PET_OBJECT, REX, OBJECT_JSON), undefined);
    assert.deepEqual(counts(path), {
      locations: 1,
      users: 0,
      tokens: 1,
      objects: data.objects.length,
      fields: data.fields.length,
      records: 1,
    });
    assert.equal(await store.getMeta('oauth_signing_key'), key);
    assert.ok((await store.revision()) > revision, 'a reset bumps the revision');
  });

  test('a failing load into an empty database writes nothing', async () => {
    const path = newPath();
    const store = open(path);
    const data = await demo(store);
    // The same record twice: the second insert breaks the primary key, after everything else went in.
    data.records.push({ ...data.records[0]! });
    await assert.rejects(store.loadDataset(data, { reset: false }), /UNIQUE constraint failed: records\.id/);
    assert.equal(await store.isEmpty(), true);
    assert.deepEqual(counts(path), { locations: 0, users: 0, tokens: 0, objects: 0, fields: 0, records: 0 });
    assert.equal(await store.revision(), 0);
    // And the store still works: the transaction did not stay open.
    data.records.pop();
    await store.loadDataset(data, { reset: false });
    assert.equal(await store.isEmpty(), false);
  });

  test('a failing reset rolls back the delete as well: the old data stays', async () => {
    const path = newPath();
    const store = open(path);
    await store.loadDataset(await demo(store), { reset: false });
    const before = counts(path);
    const revision = await store.revision();
    const data = await other(store);
    data.records.push({ ...data.records[0]! });
    await assert.rejects(store.loadDataset(data, { reset: true }), /UNIQUE constraint failed/);
    assert.deepEqual(counts(path), before);
    assert.equal(await store.revision(), revision);
    assert.ok(await store.getLocation(DEMO_LOCATION));
    assert.equal(await store.getLocation(OTHER_LOCATION), undefined);
  });
});

describe('meta and revision', () => {
  test('putMetaIfAbsent keeps the first value, for every connection', async () => {
    const path = newPath();
    const a = open(path);
    const b = open(path);
    assert.equal(await a.getMeta('color'), undefined);
    assert.equal(await a.putMetaIfAbsent('color', 'red'), 'red');
    assert.equal(await b.putMetaIfAbsent('color', 'blue'), 'red');
    assert.equal(await a.putMetaIfAbsent('color', 'green'), 'red');
    assert.equal(await a.getMeta('color'), 'red');
    assert.equal(await b.getMeta('color'), 'red');
  });

  test('revokeToken marks the token revoked and bumps revision(), seen by other connections', async () => {
    const path = newPath();
    const store = open(path);
    await store.loadDataset(await demo(store), { reset: false });
    const watcher = open(path);
    const token = await store.findTokenByHash(hashToken(DEMO_PIT));
    assert.ok(token);
    assert.equal(token.revokedAt, null);
    const revision = await watcher.revision();

    const at = '2025-01-02T03:04:05.000Z';
    assert.equal(await store.revokeToken(token.id, at), true);
    assert.equal(await watcher.revision(), revision + 1);
    assert.equal((await watcher.findTokenById(token.id))?.revokedAt, at);

    // A second revocation, or of no token, changes nothing.
    assert.equal(await store.revokeToken(token.id, '2026-01-01T00:00:00.000Z'), false);
    assert.equal(await store.revokeToken('00000000-0000-4000-8000-000000000000', at), false);
    assert.equal(await watcher.revision(), revision + 1);
    assert.equal((await watcher.findTokenById(token.id))?.revokedAt, at);
  });

  test('an inserted token is found by hash and by id', async () => {
    const path = newPath();
    const store = open(path);
    await store.loadDataset(await demo(store), { reset: false });
    const { tokens } = await createServices(store);
    const { token, row } = await tokens.issue('pit', { locationId: DEMO_LOCATION, scopes: ['objects/record.readonly'], expiresIn: 60 });
    await store.insertToken(row);
    assert.deepEqual(await store.findTokenByHash(hashToken(token)), row);
    assert.deepEqual(await store.findTokenById(row.id), row);
  });
});

describe('getRecordJson', () => {
  test('splices the stored JSON text of a record into the answer, as stored', async () => {
    const path = newPath();
    const store = open(path);
    const data = await demo(store);
    await store.loadDataset(data, { reset: false });
    const rex = data.records.find((r) => r.id === REX)!;

    const json = store.getRecordJson(PET_OBJECT, REX, OBJECT_JSON);
    assert.equal(typeof json, 'string', 'answered at once, not in a promise');
    const stored = inspect(path, (db) => db.prepare('SELECT owner, followers, properties, created_by, last_updated_by FROM records WHERE id = ?').get(REX)) as { owner: string; followers: string; properties: string; created_by: string; last_updated_by: string };
    const raw = {
      id: REX,
      ownerJson: stored.owner,
      followersJson: stored.followers,
      propertiesJson: stored.properties,
      createdAt: '2024-07-11T10:00:00.000Z',
      updatedAt: '2024-07-12T08:30:00.000Z',
      createdByJson: stored.created_by,
      lastUpdatedByJson: stored.last_updated_by,
    };
    assert.equal(json, recordAnswerJson(raw, OBJECT_JSON));
    assert.equal(raw.propertiesJson, JSON.stringify(rex.properties));
    assert.deepEqual(JSON.parse(raw.ownerJson), ['sx6wyHhbFdRXh302Lunr']);
    assert.deepEqual(JSON.parse(raw.followersJson), ['sx6wyHhbFdRXh302Lunr', 'v5cEPM428h8vShlRW1KT']);
    assert.deepEqual(JSON.parse(raw.createdByJson), rex.createdBy);
    assert.deepEqual(JSON.parse(raw.lastUpdatedByJson), rex.lastUpdatedBy);
  });

  test('is byte for byte what recordAnswerJson makes of a record insertRecord wrote, text of any script and escapes included', async () => {
    const store = open(newPath());
    const data = await demo(store);
    await store.loadDataset(data, { reset: false });
    const rex = data.records.find((r) => r.id === REX)!;
    const properties = {
      name: 'Rëx 🐕 "quoted" \\ back',
      notes: 'line\nbreak\ttab\u001f',
      tags: ['ü', '日本'],
      balance: { currency: 'default', value: 2.5 },
      tiny: -0.000001,
    };
    const id = '66a0f1c2d3e4f5a6b7c8d9ff';
    const written = await store.insertRecord({ ...rex, id, properties }, []);
    assert.equal(store.getRecordJson(PET_OBJECT, id, OBJECT_JSON), recordAnswerJson(written, OBJECT_JSON));
  });

  test('is undefined for an unknown id, or a record of another object', async () => {
    const path = newPath();
    const store = open(path);
    const data = await demo(store);
    await store.loadDataset(data, { reset: false });
    const business = data.objects.find((o) => o.key === 'business')!;
    assert.equal(store.getRecordJson(PET_OBJECT, '000000000000000000000000', OBJECT_JSON), undefined);
    assert.equal(store.getRecordJson(business.id, REX, OBJECT_JSON), undefined);
    assert.ok(store.getRecordJson(business.id, '66a0f1c2d3e4f5a6b7c8d9e0', OBJECT_JSON));
  });
});

describe('close', () => {
  test('a write still waiting for its batch is committed before the connection closes, not lost', async () => {
    const path = newPath();
    const store = open(path);
    const data = await demo(store);
    await store.loadDataset(data, { reset: false });
    const rex = data.records.find((r) => r.id === REX)!;
    const id = 'c105ed0000000000000000aa';
    const written = store.insertRecord({ ...rex, id, properties: { name: 'Written at close' } }, []);
    await store.close();
    assert.equal((await written).id, id);
    assert.equal(inspect(path, (db) => db.prepare('SELECT json_extract(properties, \'$.name\') FROM records WHERE id = ?').pluck().get(id)), 'Written at close');
  });
});
