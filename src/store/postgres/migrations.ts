/**
 * Versioned schema migrations of the PostgreSQL store. `schema_migrations` holds one row per
 * migration applied; each runs once, in order. Never edit a migration that has shipped: add the
 * next one.
 *
 * Migration 1 is the end state of SQLite's migrations 1-3 at once: no PostgreSQL database
 * predates this store, so there is no intermediate state to upgrade from.
 *
 * Differences from the SQLite schema, each for a reason:
 * - Every text column is `COLLATE "C"`: comparisons and ORDER BY go by bytes, as SQLite's BINARY
 *   does, whatever the database's default collation, and the btree indexes serve those orders.
 * - JSON columns are JSONB: searchable by the GIN index, numbers stored as exact decimals (so
 *   `1.5` reads back as `1.5`). JSONB normalises key order and whitespace.
 * - Timestamps stay ISO text, exactly as the services wrote them: the store returns them
 *   unchanged, and ISO text in one format sorts in time order under "C".
 * - folders and fields get a `seq` identity: SQLite orders ties on `created_at` by rowid
 *   (insertion order); PostgreSQL has no rowid.
 */
import type pg from 'pg';

export const MIGRATIONS: readonly string[] = [
  // 1: locations, users, tokens, object schemas, folders, fields (unique flag), records, unique values.
  `
  CREATE TABLE meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text COLLATE "C" NOT NULL
  );

  CREATE TABLE locations (
    id         text COLLATE "C" PRIMARY KEY,
    name       text COLLATE "C" NOT NULL,
    created_at text COLLATE "C" NOT NULL
  );

  CREATE TABLE users (
    id          text COLLATE "C" PRIMARY KEY,
    location_id text COLLATE "C" NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    name        text COLLATE "C" NOT NULL,
    email       text COLLATE "C"
  );
  CREATE INDEX users_location ON users(location_id, id);

  CREATE TABLE tokens (
    id          text COLLATE "C" PRIMARY KEY,
    location_id text COLLATE "C" NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    kind        text COLLATE "C" NOT NULL CHECK (kind IN ('pit', 'oauth')),
    hash        text COLLATE "C" UNIQUE,
    scopes      jsonb NOT NULL,
    client_id   text COLLATE "C",
    created_at  text COLLATE "C" NOT NULL,
    expires_at  text COLLATE "C",
    revoked_at  text COLLATE "C"
  );
  CREATE INDEX tokens_location ON tokens(location_id);

  CREATE TABLE objects (
    id                       text COLLATE "C" PRIMARY KEY,
    location_id              text COLLATE "C" NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    key                      text COLLATE "C" NOT NULL,
    standard                 boolean NOT NULL,
    type                     text COLLATE "C" NOT NULL,
    label_singular           text COLLATE "C" NOT NULL,
    label_plural             text COLLATE "C" NOT NULL,
    description              text COLLATE "C",
    primary_display_property text COLLATE "C" NOT NULL,
    searchable_properties    jsonb NOT NULL,
    created_at               text COLLATE "C" NOT NULL,
    updated_at               text COLLATE "C" NOT NULL,
    UNIQUE (location_id, key)
  );

  CREATE TABLE folders (
    id          text COLLATE "C" PRIMARY KEY,
    location_id text COLLATE "C" NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    object_id   text COLLATE "C" NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    name        text COLLATE "C" NOT NULL,
    created_at  text COLLATE "C" NOT NULL,
    updated_at  text COLLATE "C" NOT NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY
  );
  -- listObjects reads a location's folders in (created_at, insertion) order.
  CREATE INDEX folders_location ON folders(location_id, created_at, seq);
  CREATE INDEX folders_object ON folders(object_id);

  CREATE TABLE fields (
    id                  text COLLATE "C" PRIMARY KEY,
    location_id         text COLLATE "C" NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    object_id           text COLLATE "C" NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    field_key           text COLLATE "C" NOT NULL,
    name                text COLLATE "C" NOT NULL,
    data_type           text COLLATE "C" NOT NULL,
    description         text COLLATE "C",
    placeholder         text COLLATE "C",
    show_in_forms       boolean NOT NULL,
    options             jsonb NOT NULL,
    accepted_formats    text COLLATE "C",
    max_file_limit      integer,
    allow_custom_option boolean NOT NULL,
    parent_id           text COLLATE "C",
    is_unique           boolean NOT NULL DEFAULT false,
    standard            boolean NOT NULL,
    created_at          text COLLATE "C" NOT NULL,
    updated_at          text COLLATE "C" NOT NULL,
    seq                 bigint GENERATED ALWAYS AS IDENTITY,
    UNIQUE (object_id, field_key)
  );
  CREATE INDEX fields_location ON fields(location_id, created_at, seq);
  CREATE INDEX fields_parent ON fields(parent_id);

  CREATE TABLE records (
    id              text COLLATE "C" PRIMARY KEY,
    location_id     text COLLATE "C" NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    object_id       text COLLATE "C" NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    owner           jsonb NOT NULL,
    followers       jsonb NOT NULL,
    properties      jsonb NOT NULL,
    created_at      text COLLATE "C" NOT NULL,
    updated_at      text COLLATE "C" NOT NULL,
    created_by      jsonb NOT NULL,
    last_updated_by jsonb NOT NULL
  );
  -- A record is read by its primary key (id), its object_id checked on the row.
  -- Search: the default sort (updatedAt) and createdAt walk these; tie-break by id.
  CREATE INDEX records_object_updated ON records(object_id, updated_at, id);
  CREATE INDEX records_object_created ON records(object_id, created_at, id);
  -- Search: eq (@> containment) and exists (?) on any property; deleteField (?) too.
  CREATE INDEX records_properties ON records USING gin (properties);

  -- A field marked unique holds each value in at most one record of its object; the primary key
  -- enforces it inside the writing transaction, races included. value is the JSON text of the value.
  CREATE TABLE unique_values (
    object_id text COLLATE "C" NOT NULL,
    field_key text COLLATE "C" NOT NULL,
    value     text COLLATE "C" NOT NULL,
    record_id text COLLATE "C" NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    PRIMARY KEY (object_id, field_key, value)
  );
  CREATE INDEX unique_values_record ON unique_values(record_id);

  INSERT INTO meta (key, value) VALUES ('revision', '0');
  `,
];

/** Schema names this store accepts: they become SQL text (search_path, CREATE SCHEMA), so nothing else may pass. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** How long migrating may take, waiting for another process's migration included. */
export const MIGRATION_TIMEOUT_MS = 10 * 60_000;

/**
 * The first key of the advisory lock migrations take (the second is the schema name's hash), so
 * that migrations of different schemas of one database do not wait for each other.
 */
const LOCK_CLASS = 0x67686c; // "ghl"

/**
 * Brings `schema` up to date: creates it when absent, then applies the migrations not applied
 * yet, all in one transaction on `client` (whose search_path is `schema`). PostgreSQL's DDL is
 * transactional, so a failed migration leaves the database as it was.
 *
 * A transaction-level advisory lock serialises this across processes: two servers starting at
 * once on an empty database would otherwise both create the tables (and one fail). The second
 * waits for the first's COMMIT; under READ COMMITTED its next statement then sees the applied
 * versions and it has nothing left to do.
 *
 * `migrations` is a parameter only so tests can check the upgrade path with a later version.
 */
export async function migrate(client: pg.ClientBase, schema: string, migrations: readonly string[] = MIGRATIONS): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a valid schema name: ${JSON.stringify(schema)}`);
  // The pool's statement_timeout and client-side query_timeout bound normal queries; a migration
  // (an index build on a large table, or waiting for another process's migration) gets a budget
  // of its own, on both sides. (`query_timeout` per query is pg's, missing from its types.)
  const run = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
    client.query<R>({ text, values, query_timeout: MIGRATION_TIMEOUT_MS + 5_000 } as pg.QueryConfig);
  await run('BEGIN');
  try {
    await run(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
    await run('SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))', [LOCK_CLASS, schema]);
    const exists = await run('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    // Only when absent: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
    if (exists.rowCount === 0) await run(`CREATE SCHEMA "${schema}"`);
    await run(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      applied_at text COLLATE "C" NOT NULL
    )`);
    const { rows } = await run<{ v: number }>('SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations');
    const applied = rows[0]!.v;
    if (applied > migrations.length) {
      throw new Error(`the database is at schema version ${applied}, newer than this ghl-objects (${migrations.length}): upgrade ghl-objects`);
    }
    for (let v = applied; v < migrations.length; v++) {
      await run(migrations[v]!);
      await run('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [v + 1, new Date().toISOString()]);
    }
    await run('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
