/**
 * PostgreSQL for tests that run real processes on it: reachability (skip with the reason printed,
 * or fail when GHL_REQUIRE_POSTGRES=1, as the store contract suite does), fresh schemas
 * (`t_<12 hex>`, dropped after the file), and an admin pool for the tests' own statements.
 *
 * PostgreSQL is at GHL_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';

export const PG_URL = process.env.GHL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REQUIRE_PG = process.env.GHL_REQUIRE_POSTGRES === '1';
/** Test schemas are made here and only here; the pattern is what makes them safe to write into SQL. */
const TEST_SCHEMA = /^t_[0-9a-f]{12}$/;

/** A URL without its password, for messages. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Why PostgreSQL cannot be used, or null when it can. */
export async function probePostgres(url: string = PG_URL): Promise<string | null> {
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

export interface PgTestEnv {
  url: string;
  /** A small pool for the test's own statements. Ended after the file. */
  admin: pg.Pool;
  /** The name of a new test schema, dropped after the file (whoever created it: a server creates it when absent). */
  newSchema(): string;
  /** The schema name quoted for SQL; throws for anything that is not a test schema. */
  q(schema: string): string;
  dropSchema(schema: string): Promise<void>;
  /** A client of its own (not the admin pool's) whose search_path is `schema`; the caller ends it. */
  clientIn(schema: string): Promise<pg.Client>;
}

/**
 * The PostgreSQL of the tests, or null when it is unreachable: then a test named `name` is
 * registered that skips with the reason (printed on stderr too), or fails when
 * GHL_REQUIRE_POSTGRES=1. Call at the top level of a test file.
 */
export async function postgresForTests(name: string): Promise<PgTestEnv | null> {
  const unreachable = await probePostgres(PG_URL);
  if (unreachable !== null) {
    const reason = `PostgreSQL unreachable at ${shownUrl(PG_URL)}: ${unreachable}`;
    if (REQUIRE_PG) {
      test(name, () => assert.fail(`${reason} (GHL_REQUIRE_POSTGRES=1)`));
    } else {
      console.error(`# skipping ${name}: ${reason}`);
      test(name, (t) => t.skip(reason));
    }
    return null;
  }
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  admin.on('error', () => undefined);
  const created = new Set<string>();
  const q = (schema: string): string => {
    if (!TEST_SCHEMA.test(schema)) throw new Error(`not a test schema: ${schema}`);
    return `"${schema}"`;
  };
  const dropSchema = async (schema: string): Promise<void> => {
    await admin.query(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`);
    created.delete(schema);
  };
  after(async () => {
    for (const s of [...created]) await dropSchema(s).catch((err: unknown) => console.error(`# could not drop schema ${s}: ${String(err)}`));
    await admin.end();
  });
  return {
    url: PG_URL,
    admin,
    newSchema() {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      created.add(schema);
      return schema;
    },
    q,
    dropSchema,
    async clientIn(schema: string) {
      const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${q(schema).slice(1, -1)}` });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
  };
}
