/**
 * The per-object value tables (src/store/sqlite/object-values.ts) are derived data: after every
 * store operation, and after opening a database whose tables are missing, stale or from before
 * them, each object's table must hold exactly what `json_extract` reads from its records.
 * Checked from a connection of the test's own, against `records` itself.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { createServices } from '../../../src/services/container.js';
import { prepareFixture } from '../../../src/services/fixtures.js';
import { COLUMNS_MAX } from '../../../src/store/sqlite/object-values.js';
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { StoreError, type Actor, type FieldRow, type RecordRow } from '../../../src/store/store.js';
import { DEMO_FIXTURE, readJson, tempDir } from '../../helpers/test-server.js';

const PET_OBJECT = '6798a1a18fc746e0eba2ccfe';
const REX = '661c06b4ffde146bdb469442';
const SINGLE_VALUE_TYPES = new Set(['TEXT', 'NUMERICAL', 'PHONE', 'EMAIL', 'MONETORY', 'SINGLE_OPTIONS', 'RADIO', 'DATE']);

const { dir, cleanup } = tempDir('ghl-objects-values-');
after(cleanup);
let n = 0;
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

/** A new database file with the demo fixture loaded. */
async function demoStore(): Promise<{ store: SqliteStore; path: string }> {
  const path = join(dir, `v-${++n}.db`);
  const store = openSqliteStore(path);
  stores.push(store);
  const prepared = await prepareFixture(readJson(DEMO_FIXTURE), (await createServices(store)).tokens);
  assert.ok(prepared.ok);
  await store.loadDataset(prepared.dataset, { reset: false });
  return { store, path };
}

function look<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * Asserts that every object has its table, with one column per single-value field and nothing
 * else, holding exactly its records' values; and that no table or old field index is left over.
 * Returns the number of value rows checked.
 */
function assertInSync(path: string): number {
  return look(path, (db) => {
    const objects = db.prepare('SELECT id, key FROM objects').all() as Array<{ id: string; key: string }>;
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'object_values_%' ORDER BY name").pluck().all();
    assert.deepEqual(tables, objects.map((o) => `object_values_${o.id}`).sort(), 'one table per object');
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'records_f_%'").all(), [], 'no per-field index on records');
    let rows = 0;
    for (const o of objects) {
      const fields = (db.prepare('SELECT id, field_key, data_type FROM fields WHERE object_id = ? ORDER BY rowid').all(o.id) as Array<{ id: string; field_key: string; data_type: string }>)
        .filter((f) => SINGLE_VALUE_TYPES.has(f.data_type))
        .slice(0, COLUMNS_MAX);
      const table = `object_values_${o.id}`;
      const columns = (db.pragma(`table_info("${table}")`) as Array<{ name: string }>).map((c) => c.name);
      assert.deepEqual(columns.sort(), ['created_at', 'id', 'rid', 'updated_at', ...fields.map((f) => `f_${f.id}`)].sort(), `columns of ${o.key}`);
      // Each column's index: its value, then (for a category) the range columns, then the id.
      const ranges = fields.filter((f) => ['NUMERICAL', 'MONETORY', 'DATE'].includes(f.data_type)).slice(0, 6).map((f) => `"f_${f.id}"`);
      for (const f of fields) {
        const keys = [`"f_${f.id}"`, ...(['SINGLE_OPTIONS', 'RADIO'].includes(f.data_type) ? ranges : []), 'id'].join(', ');
        const index = `values_f_${f.id}`;
        assert.equal(db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").pluck().get(index), `CREATE INDEX "${index}" ON "${table}" (${keys})`, `index of ${f.field_key}`);
      }
      const select = (from: string) => `SELECT * FROM (${from}) ORDER BY rid`;
      const paths = fields.map((f) => {
        const key = f.field_key.slice(o.key.length + 1);
        return `json_extract(properties, '$."${key}"${f.data_type === 'MONETORY' ? '.value' : ''}') AS "f_${f.id}"`;
      });
      const expected = db.prepare(select(`SELECT rowid AS rid, id, created_at, updated_at${paths.map((p) => `, ${p}`).join('')} FROM records WHERE object_id = '${o.id}'`)).all();
      const actual = db.prepare(select(`SELECT rid, id, created_at, updated_at${fields.map((f) => `, "f_${f.id}"`).join('')} FROM "${table}"`)).all();
      assert.deepEqual(actual, expected, `rows of ${o.key}`);
      rows += actual.length;
    }
    return rows;
  });
}

const at = '2026-11-28T10:00:00.000Z';
const actor: Actor = { channel: 'API', source: 'INTEGRATION', sourceId: 'test', createdAt: at };
const pet = (id: string, properties: RecordRow['properties']): RecordRow => ({
  id,
  locationId: 've9EPM428h8vShlRW1KT',
  objectId: PET_OBJECT,
  owner: [],
  followers: [],
  properties,
  createdAt: at,
  updatedAt: at,
  createdBy: actor,
  lastUpdatedBy: actor,
});

test('after a load, each object has its table, filled from its records', async () => {
  const { path } = await demoStore();
  assert.ok(assertInSync(path) > 0);
});

test('creates, updates and deletes keep the table in step, failed writes included', async () => {
  const { store, path } = await demoStore();
  const a = 'aaaaaaaaaaaaaaaaaaaaaaaa';
  const b = 'bbbbbbbbbbbbbbbbbbbbbbbb';
  await Promise.all([
    store.insertRecord(pet(a, { name: 'A', weight_kg: 2 ** 60, balance: { currency: 'default', value: 7.5 }, species: 'dog', vaccines: ['rabies'] }), []),
    store.insertRecord(pet(b, { name: 'B', owner_email: 'b@example.com' }), []),
    // Same id as `a`, in the same batch: refused, and its row must not stay behind.
    assert.rejects(store.insertRecord(pet(a, { name: 'A twin', weight_kg: 1 }), []), StoreError),
  ]);
  assert.equal(look(path, (db) => db.prepare(`SELECT count(*) FROM object_values_${PET_OBJECT} WHERE id = ?`).pluck().get(a)), 1);
  assertInSync(path);

  await store.updateRecord(PET_OBJECT, a, (r) => ({ ...r, properties: { name: 'A2', birthday: '2020-01-02' }, updatedAt: '2026-11-28T11:00:00.000Z' }), []);
  await assert.rejects(
    store.updateRecord(PET_OBJECT, b, () => {
      throw new Error('refused');
    }, []),
    /refused/,
  );
  assertInSync(path);
  assert.equal(await store.deleteRecord(PET_OBJECT, a), true);
  assert.equal(await store.deleteRecord('6798a1a18fc746e0eba2cd00', b), false, 'not a record of that object: nothing removed');
  assert.equal(assertInSync(path) > 0, true);
  assert.equal(look(path, (db) => db.prepare(`SELECT count(*) FROM object_values_${PET_OBJECT} WHERE id IN (?, ?)`).pluck().get(a, b)), 1);
});

test('a new field gets a column filled from the records that already hold it; a deleted field loses it', async () => {
  const { store, path } = await demoStore();
  // The store does not validate: a record may already hold the key a field is then made for.
  await store.insertRecord(pet('cccccccccccccccccccccccc', { name: 'C', chip: 42 }), []);
  const template = (await store.dumpDataset()).fields.find((f) => f.objectId === PET_OBJECT && f.dataType === 'NUMERICAL')!;
  const chip: FieldRow = { ...template, id: 'ChipField0PM428h8vSh', fieldKey: 'custom_objects.pet.chip', name: 'Chip' };
  await store.insertField(chip);
  assertInSync(path);
  assert.equal(look(path, (db) => db.prepare(`SELECT f_${chip.id} FROM object_values_${PET_OBJECT} WHERE id = 'cccccccccccccccccccccccc'`).pluck().get()), 42);

  assert.equal(await store.deleteField(chip.id, ['chip']), true);
  assertInSync(path);
  const weight = (await store.dumpDataset()).fields.find((f) => f.fieldKey === 'custom_objects.pet.weight_kg')!;
  assert.equal(await store.deleteField(weight.id, ['weight_kg']), true);
  assertInSync(path);
});

test("a field another store made (another process on the file) is written by this store's next writes", async () => {
  const { store, path } = await demoStore();
  // This store has written a record, so it knows the table as it was.
  await store.insertRecord(pet('eeeeeeeeeeeeeeeeeeeeeeee', { name: 'E' }), []);
  const other = openSqliteStore(path);
  stores.push(other);
  const template = (await other.dumpDataset()).fields.find((f) => f.objectId === PET_OBJECT && f.dataType === 'NUMERICAL')!;
  await other.insertField({ ...template, id: 'TagField00PM428h8vSh', fieldKey: 'custom_objects.pet.tag', name: 'Tag' });
  await store.insertRecord(pet('ffffffffffffffffffffffff', { name: 'F', tag: 5 }), []);
  await store.updateRecord(PET_OBJECT, 'eeeeeeeeeeeeeeeeeeeeeeee', (r) => ({ ...r, properties: { name: 'E', tag: 6 } }), []);
  assertInSync(path);
  assert.deepEqual(look(path, (db) => db.prepare(`SELECT f_TagField00PM428h8vSh FROM object_values_${PET_OBJECT} WHERE id IN ('eeeeeeeeeeeeeeeeeeeeeeee', 'ffffffffffffffffffffffff') ORDER BY id`).pluck().all()), [6, 5]);
});

test('deleting an object drops its table; a new object gets one', async () => {
  const { store, path } = await demoStore();
  assert.ok(await store.deleteObject(PET_OBJECT));
  assertInSync(path);
  const data = await store.dumpDataset();
  const business = data.objects.find((o) => o.key === 'business')!;
  const object = { ...business, id: '6798a1a18fc746e0eba2cdff', key: 'custom_objects.toy', standard: false };
  const field = { ...data.fields.find((f) => f.objectId === business.id && f.dataType === 'TEXT')!, id: 'ToyNameField0PM428h8', objectId: object.id, fieldKey: 'custom_objects.toy.name', parentId: null };
  await store.insertObject(object, [], [field], 10);
  assertInSync(path);
});

test('opening a database repairs missing, stale and leftover search structures', async () => {
  const { store, path } = await demoStore();
  await store.close();
  look(path, (db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'object_values_%' AND name <> ?").pluck().all(`object_values_${PET_OBJECT}`) as string[];
    db.exec(`DROP TABLE "${tables[0]}"`); // missing
    db.exec(`CREATE TABLE object_values_ffffffffffffffffffffffff (rid INTEGER PRIMARY KEY)`); // of no object
    const weight = db.prepare("SELECT id FROM fields WHERE field_key = 'custom_objects.pet.weight_kg'").pluck().get() as string;
    for (const index of db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE ?").pluck().all(`%"f_${weight}"%`) as string[]) db.exec(`DROP INDEX "${index}"`);
    db.exec(`ALTER TABLE object_values_${PET_OBJECT} DROP COLUMN "f_${weight}"`); // a column missing, with the indexes that held it
    db.exec(`ALTER TABLE object_values_${PET_OBJECT} ADD COLUMN "f_GoneField0PM428h8vSh"`); // a column of no field
  });
  stores.push(openSqliteStore(path));
  assertInSync(path);
});

test('a database of schema version 3 (per-field indexes on records, no value tables) is brought over on open', async () => {
  const { store, path } = await demoStore();
  await store.close();
  look(path, (db) => {
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'object_values_%'").pluck().all() as string[]) db.exec(`DROP TABLE "${t}"`);
    db.exec(`CREATE INDEX "records_f_OldField0PM428h8vShlR" ON records (json_extract(properties, '$."name"'), id) WHERE object_id = '${PET_OBJECT}'`);
    db.exec('CREATE INDEX records_object_created ON records(object_id, created_at, id)');
    db.pragma('user_version = 3');
  });
  stores.push(openSqliteStore(path));
  assert.ok(assertInSync(path) > 0);
  assert.equal(look(path, (db) => db.pragma('user_version', { simple: true })), 4);
  assert.equal(look(path, (db) => db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'records_object_created'").pluck().get()), 0);
  // REX is found by a search on a column again.
  assert.equal(look(path, (db) => db.prepare(`SELECT id FROM object_values_${PET_OBJECT} WHERE id = ?`).pluck().get(REX)), REX);
});

test(`only the first ${COLUMNS_MAX} single-value fields get a column; a search on a later one reads the records`, async () => {
  const { store, path } = await demoStore();
  const template = (await store.dumpDataset()).fields.find((f) => f.objectId === PET_OBJECT && f.dataType === 'NUMERICAL')!;
  const extra: FieldRow[] = Array.from({ length: COLUMNS_MAX }, (_, i) => ({ ...template, id: `Extra${String(i).padStart(15, '0')}`, fieldKey: `custom_objects.pet.extra_${i}`, name: `Extra ${i}` }));
  for (const f of extra) await store.insertField(f);
  assertInSync(path);
  const last = extra.at(-1)!;
  assert.equal(look(path, (db) => db.prepare(`SELECT count(*) FROM pragma_table_info('object_values_${PET_OBJECT}') WHERE name LIKE 'f_%'`).pluck().get()), COLUMNS_MAX);
  await store.insertRecord(pet('dddddddddddddddddddddddd', { name: 'D', [`extra_${COLUMNS_MAX - 1}`]: 7 }), []);
  const found = await store.searchRecords({
    objectId: PET_OBJECT,
    where: { kind: 'leaf', op: 'eq', target: { type: 'property', key: `extra_${COLUMNS_MAX - 1}`, kind: 'number' }, value: 7, negate: false },
    query: null,
    sort: [{ target: { type: 'property', key: `extra_${COLUMNS_MAX - 1}`, kind: 'number' }, direction: 'desc' }],
    after: null,
    offset: 0,
    limit: 10,
  });
  assert.deepEqual(found.records.map((r) => r.id), ['dddddddddddddddddddddddd']);
  assert.equal(found.total, 1);
  // Deleting a field with a column gives the next field its column.
  assert.equal(await store.deleteField(extra[0]!.id, ['extra_0']), true);
  assertInSync(path);
  assert.equal(look(path, (db) => db.prepare(`SELECT count(*) FROM pragma_table_info('object_values_${PET_OBJECT}') WHERE name = ?`).pluck().get(`f_${last.id}`)), 0, 'still past the first COLUMNS_MAX');
});
