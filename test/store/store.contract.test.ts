/**
 * Runs the Store contract (store.contract.ts) against SQLite, on temporary files, and against
 * PostgreSQL, on a schema of its own per test (`t_<random>`, dropped after it), plus what only
 * PostgreSQL has: concurrent migration, bounded failure when the database is away, recovery.
 *
 * PostgreSQL is at GHL_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test). When
 * it cannot be reached, its half is skipped with the reason, unless GHL_REQUIRE_POSTGRES=1: then
 * that is a failure.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import type { Condition, SearchPlan, SortKey, Target } from '../../src/services/search-plan.js';
import { migrate, MIGRATIONS as PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { StoreError, type Dataset, type RecordRow, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/test-server.js';
import { at, LOC, PET, petDataset, plan, recordRow, rid, storeContract, type Backend, type TestDb } from './store.contract.js';

const PG_URL = process.env.GHL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRE_PG = process.env.GHL_REQUIRE_POSTGRES === '1';
const TABLES = ['locations', 'users', 'tokens', 'objects', 'folders', 'fields', 'records'];
/** Test schemas are created here and only here; the pattern is what makes them safe to write into SQL. */
const TEST_SCHEMA = /^t_[0-9a-f]{12}$/;

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

// ---------------------------------------------------------------------------------------------
// SQLite

const { dir, cleanup } = tempDir('ghl-objects-contract-');
after(cleanup);
let n = 0;

const sqlite: Backend = {
  name: 'sqlite',
  migrationCount: SQLITE_MIGRATIONS.length,
  async fresh(): Promise<TestDb> {
    const path = join(dir, `db-${++n}`, 'store.db');
    mkdirSync(dirname(path), { recursive: true });
    const stores: Store[] = [];
    const inspect = <T>(fn: (db: Database.Database) => T): T => {
      const db = new Database(path);
      try {
        return fn(db);
      } finally {
        db.close();
      }
    };
    return {
      async open() {
        const store = openSqliteStore(path);
        stores.push(store);
        return store;
      },
      async counts() {
        return inspect((db) => Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number])));
      },
      async schemaVersion() {
        return inspect((db) => db.pragma('user_version', { simple: true }) as number);
      },
      async setSchemaVersion(v) {
        inspect((db) => db.pragma(`user_version = ${Number(v)}`));
      },
      async createAtVersion(v) {
        inspect((db) => {
          for (let i = 0; i < v; i++) db.exec(SQLITE_MIGRATIONS[i]!);
          db.pragma(`user_version = ${Number(v)}`);
        });
      },
      async dispose() {
        for (const s of stores.splice(0)) await s.close().catch(() => undefined);
      },
    };
  },
};

storeContract(sqlite);

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Why PostgreSQL cannot be used, or null when it can. */
async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    const e = err as Error & { code?: string; errors?: Error[] };
    return e.message || e.code || e.errors?.map((x) => x.message).join('; ') || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await probe(PG_URL);

if (unreachable !== null) {
  const reason = `PostgreSQL unreachable at ${shown(PG_URL)}: ${unreachable}`;
  if (REQUIRE_PG) {
    test('Store contract: postgres', () => assert.fail(`${reason} (GHL_REQUIRE_POSTGRES=1)`));
  } else {
    console.error(`# skipping the PostgreSQL store contract: ${reason}`);
    test('Store contract: postgres', (t) => t.skip(reason));
  }
} else {
  // One small pool for the tests' own statements (create/drop schemas, inspections).
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  admin.on('error', () => undefined);
  after(() => admin.end());
  const created = new Set<string>();
  after(async () => {
    // Whatever a failed test left behind.
    for (const s of created) await dropSchema(s);
  });

  const newSchemaName = () => `t_${randomBytes(6).toString('hex')}`;
  const q = (schema: string): string => {
    if (!TEST_SCHEMA.test(schema)) throw new Error(`not a test schema: ${schema}`);
    return `"${schema}"`;
  };
  async function dropSchema(schema: string): Promise<void> {
    await admin.query(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`);
    created.delete(schema);
  }
  /** A client of its own whose search_path is `schema`. */
  async function clientIn(schema: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** A test database: a schema of its own, created empty unless `create` is false. */
  async function pgDb(options: { create?: boolean; store?: PostgresStoreOptions } = {}): Promise<TestDb & { schema: string; stores: PostgresStore[] }> {
    const schema = newSchemaName();
    q(schema);
    created.add(schema);
    if (options.create !== false) await admin.query(`CREATE SCHEMA ${q(schema)}`);
    const stores: PostgresStore[] = [];
    return {
      schema,
      stores,
      async open() {
        const store = await openPostgresStore(PG_URL, { schema, ...options.store });
        stores.push(store);
        return store;
      },
      async counts() {
        const { rows } = await admin.query(`SELECT ${TABLES.map((t) => `(SELECT count(*)::int FROM ${q(schema)}.${t}) AS ${t}`).join(', ')}`);
        return rows[0] as Record<string, number>;
      },
      async schemaVersion() {
        const { rows } = await admin.query(`SELECT coalesce(max(version), 0)::int AS v FROM ${q(schema)}.schema_migrations`);
        return rows[0].v as number;
      },
      async setSchemaVersion(v) {
        await admin.query(`INSERT INTO ${q(schema)}.schema_migrations (version, applied_at) VALUES ($1, $2)`, [v, new Date().toISOString()]);
      },
      async createAtVersion(v) {
        const client = await clientIn(schema);
        try {
          await migrate(client, schema, PG_MIGRATIONS.slice(0, v));
        } finally {
          await client.end();
        }
      },
      async dispose() {
        for (const s of stores.splice(0)) await s.close().catch(() => undefined);
        await dropSchema(schema);
      },
    };
  }

  const postgres: Backend = { name: 'postgres', migrationCount: PG_MIGRATIONS.length, fresh: () => pgDb() };
  storeContract(postgres);

  describe('PostgreSQL store', () => {
    let db: Awaited<ReturnType<typeof pgDb>>;
    afterEach(async () => {
      await db?.dispose();
    });

    /** Fails unless `p` rejects with StoreError('unavailable') within `ms`. */
    async function unavailableWithin(p: Promise<unknown>, ms: number): Promise<StoreError> {
      const started = Date.now();
      let caught: unknown;
      await assert.rejects(
        Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]),
        (err: unknown) => {
          caught = err;
          return true;
        },
      );
      assert.ok(caught instanceof StoreError, `not a StoreError: ${String(caught)}`);
      assert.equal(caught.kind, 'unavailable', caught.message);
      assert.ok(Date.now() - started < ms);
      return caught;
    }

    test('stores opened at once on an empty schema all succeed; the schema is migrated once', async () => {
      db = await pgDb();
      const stores = await Promise.all(Array.from({ length: 4 }, () => db.open()));
      for (const s of stores) assert.equal(await s.revision(), 0);
      const { rows } = await admin.query(`SELECT version FROM ${q(db.schema)}.schema_migrations ORDER BY version`);
      assert.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((_, i) => i + 1));
    });

    test('stores opened at once on a schema that does not exist yet create it once', async () => {
      db = await pgDb({ create: false });
      const stores = await Promise.all(Array.from({ length: 4 }, () => db.open()));
      await stores[0]!.putMetaIfAbsent('k', 'v');
      assert.equal(await stores[3]!.getMeta('k'), 'v');
    });

    test('a later migration is applied to a database of this version, its data kept', async () => {
      db = await pgDb();
      const store = await db.open();
      await store.putMetaIfAbsent('kept', 'yes');
      const client = await clientIn(db.schema);
      try {
        await migrate(client, db.schema, [...PG_MIGRATIONS, 'CREATE TABLE later (x integer)']);
        // Again: nothing left to do.
        await migrate(client, db.schema, [...PG_MIGRATIONS, 'CREATE TABLE later (x integer)']);
      } finally {
        await client.end();
      }
      assert.equal(await db.schemaVersion(), PG_MIGRATIONS.length + 1);
      assert.equal(await store.getMeta('kept'), 'yes');
      // And this release now refuses it.
      await assert.rejects(db.open(), /newer than this ghl-objects/);
    });

    test('a failing migration leaves the database as it was', async () => {
      db = await pgDb();
      const client = await clientIn(db.schema);
      try {
        await assert.rejects(migrate(client, db.schema, [...PG_MIGRATIONS, 'CREATE TABLE half (x integer); SELECT 1/0']), /division by zero/);
      } finally {
        await client.end();
      }
      // Not even schema_migrations: everything ran in the one transaction that rolled back.
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1', [db.schema]);
      assert.equal(rows[0].n, 0);
      // And a later start migrates it whole.
      await db.open();
      assert.equal(await db.schemaVersion(), PG_MIGRATIONS.length);
    });

    test('schema names are checked before they reach SQL', async () => {
      db = await pgDb();
      for (const schema of ['Public', 'x;drop', 'a"b', '', `t_${'x'.repeat(63)}`]) {
        await assert.rejects(openPostgresStore(PG_URL, { schema }), /not a valid schema name/);
      }
    });

    test('an unreachable database is StoreError unavailable, quickly', async () => {
      db = await pgDb();
      const refused = PG_URL.replace(/:\d+\//, ':1/').replace(/@([^/:]+)\//, '@$1:1/');
      assert.match(refused, /:1\//);
      const err = await unavailableWithin(openPostgresStore(refused, { connectTimeoutMs: 1_000 }), 5_000);
      assert.match(err.message, /^the database is unavailable: /);
    });

    test('a database that does not answer is StoreError unavailable after the connect timeout', async () => {
      db = await pgDb();
      // A listener that accepts and never speaks: the connect timeout is what ends the wait.
      const { createServer } = await import('node:net');
      const sockets = new Set<import('node:net').Socket>();
      const server = createServer((s) => sockets.add(s));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      try {
        const started = Date.now();
        await unavailableWithin(openPostgresStore(`postgres://postgres@127.0.0.1:${port}/test`, { connectTimeoutMs: 500 }), 5_000);
        assert.ok(Date.now() - started >= 400, 'waited for the timeout');
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    test('a statement that waits past statement_timeout is StoreError unavailable; the store goes on', async () => {
      db = await pgDb({ store: { statementTimeoutMs: 300 } });
      const store = await db.open();
      await store.loadDataset({ locations: [{ id: LOC, name: 'L', createdAt: at(0) }], users: [], tokens: [], objects: [], folders: [], fields: [], records: [] }, { reset: false });
      const locker = await clientIn(db.schema);
      try {
        await locker.query('BEGIN');
        await locker.query("UPDATE meta SET value = value WHERE key = 'revision'");
        // A schema change needs the revision row: it waits, and is cancelled.
        await unavailableWithin(store.updateFolder('x', 'y', at(1)), 3_000);
        await locker.query('ROLLBACK');
      } finally {
        await locker.end();
      }
      assert.equal(await store.updateFolder('x', 'y', at(1)), undefined);
    });

    test('connections killed by the server: the query in flight is unavailable, the next ones work', async () => {
      db = await pgDb();
      const store = await db.open();
      const backends = async () =>
        (await admin.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'ghl-objects' AND datname = current_database()")).rows.map((r) => r.pid as number);
      // A revision read blocked behind a lock, then its connection terminated (57P01).
      const locker = await clientIn(db.schema);
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE meta IN ACCESS EXCLUSIVE MODE');
        const pending = store.revision();
        // It may reject while the backends are still being terminated: handled now, checked below.
        pending.catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 200));
        for (const pid of await backends()) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await unavailableWithin(pending, 3_000);
        await locker.query('ROLLBACK');
      } finally {
        await locker.end();
      }
      // Idle connections killed too: the pool drops them and connects anew.
      await store.putMetaIfAbsent('a', '1');
      for (const pid of await backends()) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      let value: string | undefined;
      for (let i = 0; i < 3 && value === undefined; i++) {
        try {
          value = await store.getMeta('a');
        } catch (err) {
          assert.ok(err instanceof StoreError && err.kind === 'unavailable', String(err));
        }
      }
      assert.equal(value, '1');
    });

    test('the pool is bounded: more concurrent work than connections queues, and completes', async () => {
      db = await pgDb({ store: { poolSize: 2 } });
      const store = await db.open();
      await store.loadDataset(
        petDataset([recordRow(PET, rid(1), {})]),
        { reset: false },
      );
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.updateRecord(PET, rid(1), (c) => ({ ...c, properties: { ...c.properties, [`k${i}`]: i } }), [])));
      assert.equal(Object.keys((await store.getRecord(PET, rid(1)))!.properties).length, 20);
      const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'ghl-objects'");
      assert.ok(rows[0].n <= 2, `${rows[0].n} connections`);
    });

    test('random searches find the same records, in the same order, as on SQLite', async () => {
      db = await pgDb();
      const store = await db.open();
      const lite = await sqlite.fresh();
      try {
        const reference = await lite.open();
        const data = randomDataset();
        await store.loadDataset(data, { reset: false });
        await reference.loadDataset(data, { reset: false });
        const outcome = (res: { total: number; records: Array<{ id: string; sortValues: unknown[] }> }) => ({
          total: res.total,
          records: res.records.map((r) => [r.id, ...r.sortValues]),
        });
        await fc.assert(
          fc.asyncProperty(arbPlan, async (p) => {
            const [expected, actual] = await Promise.all([reference.searchRecords(p), store.searchRecords(p)]);
            assert.deepEqual(outcome(actual), outcome(expected));
            // And the stored records come back whole.
            for (const [i, r] of actual.records.entries()) assert.deepEqual(JSON.parse(r.propertiesJson), JSON.parse(expected.records[i]!.propertiesJson));
          }),
          { numRuns: 400, seed: Number(process.env.GHL_FC_SEED ?? 20240601) },
        );
        // Keyset walks agree too: after = the sort values of a record of the full order.
        await fc.assert(
          fc.asyncProperty(arbPlan, fc.nat(), async (p, pick) => {
            const full = await reference.searchRecords({ ...p, after: null, offset: 0, limit: 100 });
            if (!full.records.length) return;
            const from = full.records[pick % full.records.length]!;
            const after = { id: from.id, values: from.sortValues.map((v, i) => (p.sort[i]!.target.type === 'timestamp' ? new Date(v as number).toISOString() : v)) };
            const q = { ...p, after, offset: 0 };
            assert.deepEqual(outcome(await store.searchRecords(q)), outcome(await reference.searchRecords(q)));
          }),
          { numRuns: 200, seed: Number(process.env.GHL_FC_SEED ?? 20240601) },
        );
      } finally {
        await lite.dispose();
      }
    });

    test('search uses the indexes: GIN for eq, the (object_id, updated_at, id) index for the default order', async () => {
      db = await pgDb();
      const store = await db.open();
      await store.loadDataset(
        petDataset(Array.from({ length: 3_000 }, (_, i) => recordRow(PET, rid(i + 1), { name: `pet ${i}`, weight: i }, { updatedAt: at(i) }))),
        { reset: false },
      );
      await admin.query(`ANALYZE ${q(db.schema)}.records`);
      const eqPlan = (await db.stores[0]!.explainSearch(plan({ where: { kind: 'leaf', op: 'eq', target: { type: 'property', key: 'name', kind: 'text' }, value: 'pet 7', negate: false } }))).join('\n');
      assert.match(eqPlan, /records_properties/, eqPlan);
      const sorted = (await db.stores[0]!.explainSearch(plan({ sort: [{ target: { type: 'timestamp', column: 'updatedAt' }, direction: 'asc' }], limit: 10 }))).join('\n');
      assert.match(sorted, /records_object_updated/, sorted);
      const found = await store.searchRecords(plan({ where: { kind: 'leaf', op: 'eq', target: { type: 'property', key: 'name', kind: 'text' }, value: 'pet 7', negate: false } }));
      assert.deepEqual(found.records.map((r) => r.id), [rid(8)]);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Random data and plans for the differential search test. Values avoid what the backends are
// known to write differently (numbers JS prints with an exponent: 1e21, 1e-7).

const NAMES = ['Rex', 'rex', 'REXY', 'Zed', 'apple', 'Éclair', 'éclair', 'misty', 'a b', '', 'Ünï', 'zz', '10', '9'];
const NUMBERS = [-3, 0, 0.1, 0.2, 4.2, 31.5, 1000, 250000, -0.5, 7];
const OPTIONS = ['rabies', 'parvo', 'RABIES-X', 'distemper'];
const SPECIES = ['dog', 'cat', 'rabbit', 'Dog'];
const DATES = ['2019-04-02', '2021-11-20', '2020-01-01', '2019-12-31'];
const TARGETS = {
  name: { type: 'property', key: 'name', kind: 'text' },
  species: { type: 'property', key: 'species', kind: 'text' },
  birthday: { type: 'property', key: 'birthday', kind: 'text' },
  morning: { type: 'property', key: 'diet.morning', kind: 'text' },
  weight: { type: 'property', key: 'weight', kind: 'number' },
  balance: { type: 'property', key: 'balance', kind: 'money' },
  vaccines: { type: 'property', key: 'vaccines', kind: 'list' },
  xrays: { type: 'property', key: 'xrays', kind: 'files' },
  createdAt: { type: 'timestamp', column: 'createdAt' },
  updatedAt: { type: 'timestamp', column: 'updatedAt' },
} as const satisfies Record<string, Target>;

/** 60 pet records from a fixed pseudo-random sequence; every property is missing from some. */
function randomDataset(): Dataset {
  let seed = 42;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const maybe = <T,>(pool: readonly T[]): T | undefined => (next(4) === 0 ? undefined : pool[next(pool.length)]);
  const records: RecordRow[] = [];
  for (let i = 0; i < 60; i++) {
    const props: Record<string, unknown> = {
      name: maybe(NAMES),
      species: maybe(SPECIES),
      birthday: maybe(DATES),
      'diet.morning': maybe(NAMES),
      weight: maybe(NUMBERS),
      balance: next(3) ? { currency: 'default', value: NUMBERS[next(NUMBERS.length)] } : undefined,
      vaccines: next(4) ? OPTIONS.filter(() => next(2) === 0) : undefined,
      xrays: next(3) === 0 ? [{ url: 'https://example.com/x.png' }] : next(2) ? [] : undefined,
    };
    for (const k of Object.keys(props)) if (props[k] === undefined) delete props[k];
    const created = next(15);
    records.push(recordRow(PET, rid(0x7000 + next(1_000_000) * 64 + i), props as RecordRow['properties'], { createdAt: at(created), updatedAt: at(created + next(5)) }));
  }
  const fields = [
    ['name', 'TEXT'], ['species', 'SINGLE_OPTIONS'], ['birthday', 'DATE'], ['diet', 'TEXTBOX_LIST'], ['weight', 'NUMERICAL'],
    ['balance', 'MONETORY'], ['vaccines', 'CHECKBOX'], ['xrays', 'FILE_UPLOAD'],
  ] as const;
  return {
    ...petDataset(records),
    fields: fields.map(([key, dataType], i) => ({
      id: `Rand${String(i).padStart(16, '0')}`, locationId: LOC, objectId: PET, fieldKey: `custom_objects.pet.${key}`, name: key, dataType, description: null, placeholder: null,
      showInForms: true, options: [], acceptedFormats: null, maxFileLimit: null, allowCustomOption: false, parentId: null, unique: false, standard: false, createdAt: at(0), updatedAt: at(0),
    })),
  };
}

const TEXT_TARGETS = [TARGETS.name, TARGETS.species, TARGETS.birthday, TARGETS.morning];
const textValue = fc.constantFrom(...NAMES, ...SPECIES, ...DATES, 'e', 'R', 'É', '1');
const numberValue = fc.constantFrom(...NUMBERS, 5, 31);
const stampValue = fc.integer({ min: 0, max: 20 }).map(at);

const arbLeaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ target: fc.constantFrom(...TEXT_TARGETS), value: textValue, negate: fc.boolean() }).map((l) => ({ kind: 'leaf', op: 'eq', ...l }) as Condition),
  fc.record({ target: fc.constantFrom<Target>(TARGETS.weight, TARGETS.balance), value: numberValue, negate: fc.boolean() }).map((l) => ({ kind: 'leaf', op: 'eq', ...l }) as Condition),
  fc.record({ target: fc.constant<Target>(TARGETS.vaccines), value: fc.constantFrom(...OPTIONS, 'rab'), negate: fc.boolean() }).map((l) => ({ kind: 'leaf', op: 'eq', ...l }) as Condition),
  fc.record({ target: fc.constantFrom<Target>(TARGETS.createdAt, TARGETS.updatedAt), value: stampValue, negate: fc.boolean() }).map((l) => ({ kind: 'leaf', op: 'eq', ...l }) as Condition),
  fc.record({ target: fc.constantFrom<Target>(...TEXT_TARGETS, TARGETS.vaccines), value: textValue.filter((v) => v !== ''), negate: fc.boolean() }).map((l) => ({ kind: 'leaf', op: 'contains', ...l }) as Condition),
  fc.record({ target: fc.constantFrom<Target>(...Object.values(TARGETS)), negate: fc.boolean() }).map((l) => ({ kind: 'leaf', op: 'exists', ...l }) as Condition),
  fc.record({ target: fc.constantFrom(...TEXT_TARGETS), lo: textValue, hi: textValue, which: fc.nat(3) }).map(({ target, lo, hi, which }) => ({ kind: 'leaf', op: 'range', target, negate: false, range: [{ gte: lo }, { gt: lo, lt: hi }, { lte: hi }, { gte: lo, lte: hi }][which]! }) as Condition),
  fc.record({ target: fc.constantFrom<Target>(TARGETS.weight, TARGETS.balance), lo: numberValue, hi: numberValue, which: fc.nat(3) }).map(({ target, lo, hi, which }) => ({ kind: 'leaf', op: 'range', target, negate: false, range: [{ gte: lo }, { gt: lo, lt: hi }, { lte: hi }, { gte: lo, lte: hi }][which]! }) as Condition),
  fc.record({ target: fc.constantFrom<Target>(TARGETS.createdAt, TARGETS.updatedAt), lo: stampValue, hi: stampValue }).map(({ target, lo, hi }) => ({ kind: 'leaf', op: 'range', target, negate: false, range: { gte: lo, lt: hi } }) as Condition),
);

const arbCondition: fc.Arbitrary<Condition> = fc.letrec<{ c: Condition }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbLeaf,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), items: fc.array(tie('c'), { maxLength: 3 }) }),
  ),
})).c;

const SORTABLE: Target[] = [TARGETS.name, TARGETS.species, TARGETS.birthday, TARGETS.weight, TARGETS.balance, TARGETS.createdAt, TARGETS.updatedAt];

const arbPlan: fc.Arbitrary<SearchPlan> = fc.record({
  // Weighted so that most plans find something: a filter half of the time, free text a quarter.
  where: fc.oneof({ arbitrary: fc.constant(null), weight: 1 }, { arbitrary: arbCondition, weight: 1 }),
  query: fc.oneof(
    { arbitrary: fc.constant(null), weight: 3 },
    {
      arbitrary: fc.record({
        text: fc.constantFrom('rex', 'REX', 'É', 'é', 'a', '31', '0.', 'rab', 'DOG', '2019', 'z b'),
        targets: fc.subarray<Target>([TARGETS.name, TARGETS.species, TARGETS.morning, TARGETS.weight, TARGETS.balance, TARGETS.vaccines, TARGETS.xrays, TARGETS.createdAt]),
      }),
      weight: 1,
    },
  ),
  sort: fc.uniqueArray(fc.constantFrom(...SORTABLE), { maxLength: 3 }).chain((targets) =>
    fc.tuple(...targets.map((target) => fc.constantFrom<SortKey['direction']>('asc', 'desc').map((direction): SortKey => ({ target, direction })))),
  ),
  offset: fc.nat(8),
  limit: fc.integer({ min: 1, max: 25 }),
}).map((p): SearchPlan => ({ objectId: PET, after: null, ...p }));
