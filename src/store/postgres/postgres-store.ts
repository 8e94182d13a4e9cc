/**
 * The Store on PostgreSQL, over one `pg.Pool` and a few pipelined reader connections for record
 * reads (readers.ts), both within poolSize. Semantics are those of the SQLite store, method
 * for method (the contract suite in test/store runs both); what differs is how atomicity is had:
 *
 * - A write is one transaction (BEGIN ... COMMIT) on one pooled connection, or one statement.
 * - SQLite serialises every writer (BEGIN IMMEDIATE); PostgreSQL only serialises what takes the
 *   same lock. Schema changes and dataset loads therefore bump the revision FIRST: the row lock
 *   on meta('revision') makes them one at a time across processes, so the custom-object cap and
 *   the "database is empty" check are read after any concurrent change has committed (READ
 *   COMMITTED reads afresh at each statement).
 * - updateRecord reads with SELECT ... FOR UPDATE: concurrent updates of one record queue on its
 *   row lock, and each `apply` sees the previous one's result.
 * - Unique values are claimed with INSERT ... ON CONFLICT DO NOTHING (waiting for an uncommitted
 *   claim of the same value, as a unique index does), in a fixed key order so that two writers
 *   claim in the same order. A deadlock that still happens (crossing claims of an insert and an
 *   update) is retried.
 *
 * Connection-level failures become StoreError('unavailable'); the pool and the readers drop broken
 * connections and connect anew on the next query, so the store recovers when the database comes back.
 */
import pg from 'pg';
import type { SearchPlan } from '../../services/search-plan.js';
import {
  StoreError,
  type Dataset,
  type FieldPatch,
  type FieldRow,
  type FolderRow,
  type LocationRow,
  type LocationSchemaRows,
  type ObjectPatch,
  type ObjectRow,
  type RawRecord,
  type RecordRow,
  type SearchResult,
  type Store,
  type TokenRow,
} from '../store.js';
import { rawRecordOf, rawRecordWritten, recordAnswerJson, recordJsonColumns, storedUpdate, type RecordJsonColumns } from '../raw-record.js';
import { rowReaders, str, strOrNull, type Row } from '../row-readers.js';
import { migrate, SCHEMA_NAME } from './migrations.js';
import { Readers } from './readers.js';
import { PostgresSearch } from './search.js';

export interface PostgresStoreOptions {
  /** The schema the tables live in (created when absent); every connection's search_path. Default `public`. */
  schema?: string;
  /** Most connections this process holds. Default 10. */
  poolSize?: number;
  /** Longest a statement may run, and a transaction sit idle, before PostgreSQL cancels it. Default 30 s. */
  statementTimeoutMs?: number;
  /** Longest a connection attempt, or a wait for a free pooled connection, may take. Default 5 s. */
  connectTimeoutMs?: number;
}

const DEFAULTS = { schema: 'public', poolSize: 10, statementTimeoutMs: 30_000, connectTimeoutMs: 5_000 } as const;
/** An idle pooled connection is closed after this long: a quiet process holds none. */
const IDLE_TIMEOUT_MS = 30_000;
/** Attempts of a transaction that PostgreSQL aborted to break a deadlock (40P01) or a serialization failure (40001). */
const MAX_ATTEMPTS = 3;
/** Pipelined reader connections (readers.ts), out of poolSize: at most this many, and at most half of it. */
const READERS = 2;
/**
 * Queries a reader carries at once; more go to the pool. A turn of the event loop under load issues
 * a few dozen reads, which should fit; when the database slows down, the reads past this spread over
 * the pool's connections.
 */
const READER_MAX_IN_FLIGHT = 32;
/** Rows per statement when a dataset is loaded: bounds the size of one bound parameter. */
const LOAD_CHUNK = 1_000;

/** Node socket errors that mean the server cannot be reached or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTCONN',
]);
/**
 * SQLSTATEs that say nothing about the request, only that the database cannot serve it now:
 * admin/crash shutdown, starting up, statement timeout or cancel, idle-in-transaction timeout,
 * too many connections. Class 08 (connection exception) and 53 (insufficient resources) are
 * matched by prefix.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014', '25P03', '53300']);
/** What pg and pg-pool throw, without a code, when a connection cannot be had or broke. */
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'is not queryable',
  'Client network socket disconnected',
];

/** Whether an error means the database cannot be reached or is not answering (as opposed to refusing this request). */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
  }
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (err instanceof AggregateError && err.errors.some(isConnectionError)) return true;
  return UNAVAILABLE_MESSAGES.some((m) => err.message.includes(m));
}

function unavailable(err: unknown): StoreError {
  const reason = err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err);
  const e = new StoreError('unavailable', `the database is unavailable: ${reason}`);
  e.cause = err;
  return e;
}

/** A connection-level failure as StoreError('unavailable'); anything else unchanged. */
function translate(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  return isConnectionError(err) ? unavailable(err) : err;
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: unknown }).code === '23505';
const isRetryable = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return code === '40P01' || code === '40001';
};

type Db = pg.PoolClient;


// Column lists, never `SELECT *`: a named prepared statement whose result columns changed under it
// (a later migration) fails, and every column here is one the mappers read.
const TOKEN_COLUMNS = 'id, location_id, kind, hash, scopes, client_id, created_at, expires_at, revoked_at';
const OBJECT_COLUMNS =
  'id, location_id, key, standard, type, label_singular, label_plural, description, primary_display_property, searchable_properties, created_at, updated_at';
const FIELD_COLUMNS =
  'id, location_id, object_id, field_key, name, data_type, description, placeholder, show_in_forms, options, accepted_formats, max_file_limit, allow_custom_option, parent_id, is_unique, standard, created_at, updated_at';
const FOLDER_COLUMNS = 'id, location_id, object_id, name, created_at, updated_at';
const RECORD_COLUMNS = 'id, location_id, object_id, owner, followers, properties, created_at, updated_at, created_by, last_updated_by';

// pg parses jsonb into values and booleans into booleans; listObjects reads rows through
// row_to_json, which gives the same shapes.
const {
  token: toToken,
  object: toObject,
  field: toField,
  folder: toFolder,
  record: toRecord,
} = rowReaders({ bool: (v) => v === true, json: <T>(v: unknown) => v as T });
// JSON columns are bound as JSON text and cast to jsonb: pg would send a JS array as a
// PostgreSQL array literal, not as JSON.
const json = (v: unknown): string => JSON.stringify(v);

const tokenValues = (t: TokenRow) => [t.id, t.locationId, t.kind, t.hash, json(t.scopes), t.clientId, t.createdAt, t.expiresAt, t.revokedAt];
const objectValues = (o: ObjectRow) => [
  o.id, o.locationId, o.key, o.standard, o.type, o.labels.singular, o.labels.plural, o.description,
  o.primaryDisplayProperty, json(o.searchableProperties), o.createdAt, o.updatedAt,
];
const folderValues = (f: FolderRow) => [f.id, f.locationId, f.objectId, f.name, f.createdAt, f.updatedAt];
const fieldValues = (f: FieldRow) => [
  f.id, f.locationId, f.objectId, f.fieldKey, f.name, f.dataType, f.description, f.placeholder, f.showInForms,
  json(f.options), f.acceptedFormats, f.maxFileLimit, f.allowCustomOption, f.parentId, f.unique, f.standard,
  f.createdAt, f.updatedAt,
];
const recordValues = (r: RecordRow, j: RecordJsonColumns) => [
  r.id, r.locationId, r.objectId, j.owner, j.followers, j.properties, r.createdAt, r.updatedAt, j.createdBy, j.lastUpdatedBy,
];

const SQL = {
  insertToken: `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)`,
  insertObject: `INSERT INTO objects (${OBJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12)`,
  insertFolder: `INSERT INTO folders (${FOLDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
  insertField: `INSERT INTO fields (${FIELD_COLUMNS})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15, $16, $17, $18)`,
  insertRecord: `INSERT INTO records (${RECORD_COLUMNS})
    VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9::jsonb, $10::jsonb)`,
  bumpRevision: "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'revision'",
  /**
   * Claims unique values, in the order given; returns the ones claimed. A value held by another
   * record (or claimed by an uncommitted transaction, which this waits for) is left out.
   */
  claimUnique: `INSERT INTO unique_values (object_id, field_key, value, record_id)
    SELECT $1, k, v, $2 FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS u(k, v, n) ORDER BY n
    ON CONFLICT DO NOTHING RETURNING field_key, value`,
} as const;

/**
 * Bulk inserts of a dataset: one statement per chunk of rows, the rows passed as one JSON array
 * and unpacked by jsonb_array_elements, in array order (identity columns follow insertion order).
 */
const LOAD_SQL = {
  locations: `INSERT INTO locations (id, name, created_at)
    SELECT e->>'id', e->>'name', e->>'createdAt' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n`,
  users: `INSERT INTO users (id, location_id, name, email)
    SELECT e->>'id', e->>'locationId', e->>'name', e->>'email' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n`,
  tokens: `INSERT INTO tokens (${TOKEN_COLUMNS})
    SELECT e->>'id', e->>'locationId', e->>'kind', e->>'hash', e->'scopes', e->>'clientId', e->>'createdAt', e->>'expiresAt', e->>'revokedAt'
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n`,
  objects: `INSERT INTO objects (${OBJECT_COLUMNS})
    SELECT e->>'id', e->>'locationId', e->>'key', (e->'standard')::boolean, e->>'type', e->'labels'->>'singular', e->'labels'->>'plural',
      e->>'description', e->>'primaryDisplayProperty', e->'searchableProperties', e->>'createdAt', e->>'updatedAt'
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n`,
  folders: `INSERT INTO folders (${FOLDER_COLUMNS})
    SELECT e->>'id', e->>'locationId', e->>'objectId', e->>'name', e->>'createdAt', e->>'updatedAt'
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n`,
  fields: `INSERT INTO fields (${FIELD_COLUMNS})
    SELECT e->>'id', e->>'locationId', e->>'objectId', e->>'fieldKey', e->>'name', e->>'dataType', e->>'description', e->>'placeholder',
      (e->'showInForms')::boolean, e->'options', e->>'acceptedFormats', (e->>'maxFileLimit')::integer, (e->'allowCustomOption')::boolean,
      e->>'parentId', (e->'unique')::boolean, (e->'standard')::boolean, e->>'createdAt', e->>'updatedAt'
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n`,
  records: `INSERT INTO records (${RECORD_COLUMNS})
    SELECT e->>'id', e->>'locationId', e->>'objectId', e->'owner', e->'followers', e->'properties', e->>'createdAt', e->>'updatedAt',
      e->'createdBy', e->'lastUpdatedBy'
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n`,
  uniqueValues: `INSERT INTO unique_values (object_id, field_key, value, record_id)
    SELECT e->>0, e->>1, e->>2, e->>3 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n
    ON CONFLICT DO NOTHING RETURNING object_id, field_key, value`,
} as const;

interface UniqueEntry {
  key: string;
  value: string | number;
}

/** The unique-index entries of a record: one per unique field it holds a value in, in `uniqueKeys` order. */
function uniqueEntries(r: RecordRow, uniqueKeys: readonly string[]): UniqueEntry[] {
  const out: UniqueEntry[] = [];
  for (const key of uniqueKeys) {
    const value = r.properties[key];
    if (typeof value === 'string' || typeof value === 'number') out.push({ key, value });
  }
  return out;
}

/** Opens a pool on `url`, creates `schema` when absent and brings it up to date. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const schema = options.schema ?? DEFAULTS.schema;
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a valid schema name (${SCHEMA_NAME}): ${JSON.stringify(schema)}`);
  const poolSize = positive('poolSize', options.poolSize ?? DEFAULTS.poolSize);
  const statementTimeoutMs = positive('statementTimeoutMs', options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs);
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs);
  const connection: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    application_name: 'ghl-objects',
    // Startup parameters: set on every new connection without a round trip. The schema passed SCHEMA_NAME.
    options: `-c search_path=${schema}`,
    statement_timeout: statementTimeoutMs,
    // Transactions here never wait on anything outside the database; one left idle is a stuck process.
    idle_in_transaction_session_timeout: statementTimeoutMs,
    // A client-side bound too, for when the server stops answering without closing the socket
    // (statement_timeout cannot fire then). Longer than statement_timeout, which should fire first.
    query_timeout: statementTimeoutMs + connectTimeoutMs,
  };
  // The readers' connections count in poolSize, and leave at least half of it to the pool (transactions).
  const readerCount = Math.min(READERS, Math.floor(poolSize / 2));
  const pool = new pg.Pool({
    ...connection,
    max: poolSize - readerCount,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    // The pool alone never keeps a process alive (a CLI command that is done exits).
    allowExitOnIdle: true,
  });
  // An idle connection that breaks (the server restarted) is already removed from the pool when
  // this fires; without a listener the 'error' event would crash the process.
  pool.on('error', () => undefined);
  const store = new PostgresStore(pool, new Readers(connection, readerCount, READER_MAX_IN_FLIGHT, IDLE_TIMEOUT_MS), schema);
  try {
    await store.withClient((client) => migrate(client, schema));
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw translate(err);
  }
  return store;
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, not ${v}`);
  return v;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly search: PostgresSearch;

  constructor(
    private readonly pool: pg.Pool,
    private readonly readers: Readers,
    /** The schema the tables live in. */
    readonly schema: string,
  ) {
    this.search = new PostgresSearch((text, values) => this.withClient(async (c) => (await c.query({ text, values, rowMode: 'array' })).rows as unknown[][]));
  }

  async close(): Promise<void> {
    await Promise.all([this.readers.close(), this.pool.end()]);
  }

  /**
   * Runs `fn` on one pooled connection. A connection-level failure discards the connection
   * (it may be half-way through a protocol exchange) and becomes StoreError('unavailable').
   */
  async withClient<T>(fn: (client: Db) => Promise<T>): Promise<T> {
    let client: Db;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err);
    }
    // While checked out the pool does not listen for the client's errors; a connection that
    // breaks between two queries would emit an unhandled 'error' and crash the process. The
    // query in flight (or the next one) fails anyway, which is where the failure is reported.
    const onError = (): void => undefined;
    client.on('error', onError);
    let broken = false;
    try {
      return await fn(client);
    } catch (err) {
      broken = isConnectionError(err);
      throw translate(err);
    } finally {
      client.off('error', onError);
      client.release(broken || undefined);
    }
  }

  /**
   * Runs `fn` in one transaction on one connection: COMMIT when it returns, ROLLBACK when it
   * throws. Retried from the start when PostgreSQL aborted it to break a deadlock, so `fn` must
   * do nothing but database work (and pure computation).
   */
  private async tx<T>(fn: (client: Db) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.withClient(async (client) => {
          await client.query('BEGIN');
          try {
            const result = await fn(client);
            await client.query('COMMIT');
            return result;
          } catch (err) {
            // A failed ROLLBACK means a broken connection; withClient discards it then.
            await client.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        });
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && isRetryable(err)) continue;
        throw err;
      }
    }
  }

  /** One statement on a pooled connection; `name` makes it a prepared statement, parsed once per connection. */
  private async query<R extends pg.QueryResultRow = Row>(text: string, values: unknown[] = [], name?: string): Promise<pg.QueryResult<R>> {
    return this.withClient((c) => c.query<R>(name ? { name, text, values } : { text, values }));
  }

  /**
   * Runs `query`, one read-only statement, on a pipelined reader when one has room, else on a
   * pooled connection. A connection-level failure discards the reader's connection, as withClient
   * does a pooled one: the queries queued behind a statement that timed out fail with it at once
   * instead of each waiting out its own timeout in turn.
   */
  private async read<T>(query: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const reader = this.readers.pick();
    if (!reader) return this.withClient(query);
    try {
      return await reader.run(query);
    } catch (err) {
      if (isConnectionError(err)) this.readers.discard(reader);
      // The queries behind the failure fail with it, not always with an error of their own kind: a
      // statement whose preparation timed out (waiting for a lock) is missing for those queued
      // behind it. Their errors come after the first one's, which discarded the reader.
      throw reader.discarded ? unavailable(err) : translate(err);
    }
  }

  async getMeta(key: string): Promise<string | undefined> {
    const { rows } = await this.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async putMetaIfAbsent(key: string, value: string): Promise<string> {
    // Two statements, not one: the SELECT must take a snapshot after the INSERT, which (when another
    // process's insert of the key is in flight) waited for that one to commit.
    return this.withClient(async (c) => {
      await c.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
      const { rows } = await c.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
      return rows[0]!.value;
    });
  }

  async revision(): Promise<number> {
    const { rows } = await this.query<{ value: string }>("SELECT value FROM meta WHERE key = 'revision'", [], 'ghl_revision');
    return Number(rows[0]!.value);
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await this.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM locations) AS any');
    return !rows[0]!.any;
  }

  async loadDataset(data: Dataset, options: { reset: boolean }): Promise<void> {
    await this.tx(async (c) => {
      // First: the revision row lock makes concurrent loads (and schema changes) take turns, so
      // the emptiness check below sees whatever a concurrent load committed.
      await c.query(SQL.bumpRevision);
      if (options.reset) {
        // Children before parents; the signing key and the revision counter in meta stay.
        for (const table of ['unique_values', 'records', 'fields', 'folders', 'objects', 'tokens', 'users', 'locations']) await c.query(`DELETE FROM ${table}`);
      } else if ((await c.query('SELECT 1 FROM locations LIMIT 1')).rowCount) {
        throw new StoreError('not_empty', 'the database already holds data');
      }
      await loadChunks(c, LOAD_SQL.locations, data.locations);
      await loadChunks(c, LOAD_SQL.users, data.users);
      await loadChunks(c, LOAD_SQL.tokens, data.tokens);
      await loadChunks(c, LOAD_SQL.objects, data.objects);
      await loadChunks(c, LOAD_SQL.folders, data.folders);
      await loadChunks(c, LOAD_SQL.fields, data.fields);
      await loadChunks(c, LOAD_SQL.records, data.records);

      const uniqueKeysOf = new Map<string, string[]>();
      for (const f of data.fields) {
        if (!f.unique) continue;
        const object = data.objects.find((o) => o.id === f.objectId);
        if (object) uniqueKeysOf.set(f.objectId, [...(uniqueKeysOf.get(f.objectId) ?? []), f.fieldKey.slice(object.key.length + 1)]);
      }
      const entries: Array<[string, string, string, string]> = [];
      const named: UniqueEntry[] = [];
      for (const r of data.records) {
        for (const e of uniqueEntries(r, uniqueKeysOf.get(r.objectId) ?? [])) {
          entries.push([r.objectId, e.key, json(e.value), r.id]);
          named.push(e);
        }
      }
      for (let i = 0; i < entries.length; i += LOAD_CHUNK) {
        const chunk = entries.slice(i, i + LOAD_CHUNK);
        const { rows } = await c.query<{ object_id: string; field_key: string; value: string }>(LOAD_SQL.uniqueValues, [json(chunk)]);
        if (rows.length === chunk.length) continue;
        // The first entry not claimed is the first duplicate in data order, as SQLite reports it.
        const claimed = new Set(rows.map((r) => json([r.object_id, r.field_key, r.value])));
        const at = chunk.findIndex((e) => !claimed.delete(json(e.slice(0, 3))));
        const dup = named[i + at]!;
        throw new StoreError('conflict', `duplicate value in unique field ${dup.key}`, dup);
      }
    });
  }

  async dumpDataset(): Promise<Dataset> {
    return this.withClient(async (c) => {
      // REPEATABLE READ: every statement reads the one snapshot taken at the first, so the tables
      // agree with each other whatever other processes write meanwhile.
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const all = async (sql: string): Promise<Row[]> => (await c.query(sql)).rows;
        const data: Dataset = {
          locations: (await all('SELECT id, name, created_at FROM locations ORDER BY created_at, id')).map((r) => ({
            id: str(r.id),
            name: str(r.name),
            createdAt: str(r.created_at),
          })),
          users: (await all('SELECT id, location_id, name, email FROM users ORDER BY location_id, id')).map((r) => ({
            id: str(r.id),
            locationId: str(r.location_id),
            name: str(r.name),
            email: strOrNull(r.email),
          })),
          tokens: (await all(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`)).map(toToken),
          objects: (await all(`SELECT ${OBJECT_COLUMNS} FROM objects ORDER BY location_id, standard DESC, created_at, id`)).map(toObject),
          // Folders and fields in listing order (seq is insertion order): a load assigns new seqs in this order.
          folders: (await all(`SELECT ${FOLDER_COLUMNS} FROM folders ORDER BY created_at, seq`)).map(toFolder),
          fields: (await all(`SELECT ${FIELD_COLUMNS} FROM fields ORDER BY created_at, seq`)).map(toField),
          records: (await all(`SELECT ${RECORD_COLUMNS} FROM records ORDER BY object_id, created_at, id`)).map(toRecord),
        };
        await c.query('COMMIT');
        return data;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async getLocation(id: string): Promise<LocationRow | undefined> {
    const { rows } = await this.query('SELECT id, name, created_at FROM locations WHERE id = $1', [id]);
    const r = rows[0];
    return r && { id: str(r.id), name: str(r.name), createdAt: str(r.created_at) };
  }

  async userIds(locationId: string): Promise<string[]> {
    const { rows } = await this.query<{ id: string }>('SELECT id FROM users WHERE location_id = $1 ORDER BY id', [locationId]);
    return rows.map((r) => r.id);
  }

  async insertToken(token: TokenRow): Promise<void> {
    await this.query(SQL.insertToken, tokenValues(token));
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    // One statement, so one atomic unit: the revision moves exactly when a token was revoked.
    const { rows } = await this.query<{ n: number }>(
      `WITH revoked AS (UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id),
            bumped AS (UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'revision' AND EXISTS (SELECT 1 FROM revoked) RETURNING 1)
       SELECT count(*)::int AS n FROM revoked`,
      [at, id],
    );
    return rows[0]!.n > 0;
  }

  async findTokenByHash(hash: string): Promise<TokenRow | undefined> {
    const { rows } = await this.query(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1`, [hash], 'ghl_token_by_hash');
    return rows[0] && toToken(rows[0]);
  }

  async findTokenById(id: string): Promise<TokenRow | undefined> {
    const { rows } = await this.query(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`, [id], 'ghl_token_by_id');
    return rows[0] && toToken(rows[0]);
  }

  async listObjects(locationId: string): Promise<LocationSchemaRows> {
    // One statement, so one snapshot for the three lists (SQLite reads them in one transaction).
    const { rows } = await this.query<{ objects: Row[]; folders: Row[]; fields: Row[] }>(
      `SELECT
         (SELECT coalesce(json_agg(o ORDER BY o.standard DESC, o.created_at, o.id), '[]') FROM (SELECT ${OBJECT_COLUMNS} FROM objects WHERE location_id = $1) o) AS objects,
         (SELECT coalesce(json_agg(f ORDER BY f.created_at, f.seq), '[]') FROM (SELECT ${FOLDER_COLUMNS}, seq FROM folders WHERE location_id = $1) f) AS folders,
         (SELECT coalesce(json_agg(f ORDER BY f.created_at, f.seq), '[]') FROM (SELECT ${FIELD_COLUMNS}, seq FROM fields WHERE location_id = $1) f) AS fields`,
      [locationId],
    );
    const r = rows[0]!;
    return { objects: r.objects.map(toObject), folders: r.folders.map(toFolder), fields: r.fields.map(toField) };
  }

  /**
   * Runs a schema change in one transaction and bumps the revision, so every process drops its
   * caches. The bump comes first: its row lock makes schema changes take turns, which is what
   * makes the custom-object cap hold against concurrent creates.
   */
  private schemaChange<T>(fn: (c: Db) => Promise<T>): Promise<T> {
    return this.tx(async (c) => {
      await c.query(SQL.bumpRevision);
      try {
        return await fn(c);
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreError('conflict', 'the key is taken');
        throw err;
      }
    });
  }

  private async objectById(c: Db, id: string): Promise<ObjectRow | undefined> {
    const { rows } = await c.query(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE id = $1`, [id]);
    return rows[0] && toObject(rows[0]);
  }

  private async fieldById(c: Db, id: string): Promise<FieldRow | undefined> {
    const { rows } = await c.query(`SELECT ${FIELD_COLUMNS} FROM fields WHERE id = $1`, [id]);
    return rows[0] && toField(rows[0]);
  }

  async insertObject(object: ObjectRow, folders: FolderRow[], fields: FieldRow[], maxCustomObjects: number): Promise<void> {
    await this.schemaChange(async (c) => {
      const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM objects WHERE location_id = $1 AND NOT standard', [object.locationId]);
      if (rows[0]!.n >= maxCustomObjects) throw new StoreError('limit', 'custom object limit reached');
      await c.query(SQL.insertObject, objectValues(object));
      for (const f of folders) await c.query(SQL.insertFolder, folderValues(f));
      for (const f of fields) await c.query(SQL.insertField, fieldValues(f));
    });
  }

  async updateObject(id: string, patch: ObjectPatch): Promise<ObjectRow | undefined> {
    return this.schemaChange(async (c) => {
      const current = await this.objectById(c, id);
      if (!current) return undefined;
      const next: ObjectRow = { ...current, ...patch };
      await c.query(
        `UPDATE objects SET label_singular = $1, label_plural = $2, description = $3, searchable_properties = $4::jsonb, updated_at = $5 WHERE id = $6`,
        [next.labels.singular, next.labels.plural, next.description, json(next.searchableProperties), next.updatedAt, id],
      );
      return next;
    });
  }

  async deleteObject(id: string): Promise<string[] | undefined> {
    return this.schemaChange(async (c) => {
      if (!(await this.objectById(c, id))) return undefined;
      const { rows } = await c.query<{ field_key: string }>('SELECT field_key FROM fields WHERE object_id = $1 ORDER BY created_at, seq', [id]);
      await c.query('DELETE FROM unique_values WHERE object_id = $1', [id]);
      await c.query('DELETE FROM records WHERE object_id = $1', [id]);
      await c.query('DELETE FROM fields WHERE object_id = $1', [id]);
      await c.query('DELETE FROM folders WHERE object_id = $1', [id]);
      await c.query('DELETE FROM objects WHERE id = $1', [id]);
      return rows.map((r) => r.field_key);
    });
  }

  async insertFolder(folder: FolderRow): Promise<void> {
    await this.schemaChange((c) => c.query(SQL.insertFolder, folderValues(folder)));
  }

  async updateFolder(id: string, name: string, updatedAt: string): Promise<FolderRow | undefined> {
    return this.schemaChange(async (c) => {
      const { rows } = await c.query(`UPDATE folders SET name = $1, updated_at = $2 WHERE id = $3 RETURNING ${FOLDER_COLUMNS}`, [name, updatedAt, id]);
      return rows[0] && toFolder(rows[0]);
    });
  }

  async deleteFolder(id: string): Promise<boolean> {
    return this.schemaChange(async (c) => {
      // The schema-change lock is held: no field can move into the folder between check and delete.
      const { rows } = await c.query('SELECT 1 FROM fields WHERE parent_id = $1 LIMIT 1', [id]);
      if (rows.length) throw new StoreError('conflict', 'the folder holds fields');
      return ((await c.query('DELETE FROM folders WHERE id = $1', [id])).rowCount ?? 0) > 0;
    });
  }

  async insertField(field: FieldRow): Promise<void> {
    await this.schemaChange((c) => c.query(SQL.insertField, fieldValues(field)));
  }

  async updateField(id: string, patch: FieldPatch): Promise<FieldRow | undefined> {
    return this.schemaChange(async (c) => {
      const current = await this.fieldById(c, id);
      if (!current) return undefined;
      const next: FieldRow = { ...current, ...patch };
      await c.query(
        `UPDATE fields SET name = $1, description = $2, placeholder = $3, show_in_forms = $4, options = $5::jsonb,
           accepted_formats = $6, max_file_limit = $7, updated_at = $8 WHERE id = $9`,
        [next.name, next.description, next.placeholder, next.showInForms, json(next.options), next.acceptedFormats, next.maxFileLimit, next.updatedAt, id],
      );
      return next;
    });
  }

  async deleteField(id: string, propertyKeys: string[]): Promise<boolean> {
    return this.schemaChange(async (c) => {
      const field = await this.fieldById(c, id);
      if (!field) return false;
      const object = (await this.objectById(c, field.objectId))!;
      // The keys are one bound text[]: `-` removes each top-level key, `?|` (served by the GIN
      // index) finds the records that hold any of them. Keys with a dot (TEXTBOX_LIST entries)
      // are top-level keys, as SQLite's quoted path `$."diet.morning"` addresses them.
      if (propertyKeys.length) {
        await c.query('UPDATE records SET properties = properties - $1::text[] WHERE object_id = $2 AND properties ?| $1::text[]', [propertyKeys, field.objectId]);
      }
      await c.query('DELETE FROM unique_values WHERE object_id = $1 AND field_key = $2', [field.objectId, field.fieldKey.slice(object.key.length + 1)]);
      const searchable = object.searchableProperties.filter((k) => k !== field.fieldKey);
      if (searchable.length !== object.searchableProperties.length) {
        await c.query('UPDATE objects SET searchable_properties = $1::jsonb WHERE id = $2', [
          json(searchable.length ? searchable : [object.primaryDisplayProperty]),
          object.id,
        ]);
      }
      await c.query('DELETE FROM fields WHERE id = $1', [id]);
      return true;
    });
  }

  async getRecordJson(objectId: string, id: string, objectJson: string): Promise<string | undefined> {
    // JSON columns as text: the read path splices them into the answer without parsing.
    const { rows } = await this.read((c) =>
      c.query<unknown[]>({
        name: 'ghl_record_raw',
        text: `SELECT id, owner::text, followers::text, properties::text, created_at, updated_at, created_by::text, last_updated_by::text
               FROM records WHERE id = $1 AND object_id = $2`,
        values: [id, objectId],
        rowMode: 'array',
      }),
    );
    const r = rows[0];
    return r && recordAnswerJson(rawRecordOf(r), objectJson);
  }

  async getRecord(objectId: string, id: string): Promise<RecordRow | undefined> {
    const { rows } = await this.read((c) =>
      c.query<Row>({ name: 'ghl_record', text: `SELECT ${RECORD_COLUMNS} FROM records WHERE id = $1 AND object_id = $2`, values: [id, objectId] }),
    );
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Claims the unique values of a record; a value another record holds is a conflict naming the
   * first such key in `uniqueKeys` order (as SQLite, which stops there). Claims go in key order,
   * the same in every transaction, so that two writers claiming the same values wait for one
   * another instead of deadlocking.
   */
  private async claimUnique(c: Db, r: RecordRow, uniqueKeys: readonly string[]): Promise<void> {
    const entries = uniqueEntries(r, uniqueKeys);
    if (!entries.length) return;
    const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const { rows } = await c.query<{ field_key: string; value: string }>(
      { name: 'ghl_claim_unique', text: SQL.claimUnique, values: [r.objectId, r.id, sorted.map((e) => e.key), sorted.map((e) => json(e.value))] },
    );
    if (rows.length === entries.length) return;
    const claimed = new Set(rows.map((x) => x.field_key));
    const dup = entries.find((e) => !claimed.has(e.key))!;
    throw new StoreError('conflict', `duplicate value in unique field ${dup.key}`, { key: dup.key, value: dup.value });
  }

  async insertRecord(record: RecordRow, uniqueKeys: readonly string[]): Promise<RawRecord> {
    const j = recordJsonColumns(record);
    await this.tx(async (c) => {
      try {
        await c.query({ name: 'ghl_insert_record', text: SQL.insertRecord, values: recordValues(record, j) });
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreError('conflict', 'the record id is taken');
        throw err;
      }
      await this.claimUnique(c, record, uniqueKeys);
    });
    return rawRecordWritten(record, j);
  }

  async updateRecord(objectId: string, id: string, apply: (current: RecordRow) => RecordRow, uniqueKeys: readonly string[]): Promise<RawRecord | undefined> {
    return this.tx(async (c) => {
      // FOR UPDATE: a concurrent update of this record waits here until this one commits, then
      // reads what it wrote.
      const { rows } = await c.query({
        name: 'ghl_record_for_update',
        text: `SELECT ${RECORD_COLUMNS} FROM records WHERE id = $1 AND object_id = $2 FOR UPDATE`,
        values: [id, objectId],
      });
      if (!rows[0]) return undefined;
      const next = storedUpdate(toRecord(rows[0]), apply);
      const j = recordJsonColumns(next);
      await c.query({
        name: 'ghl_update_record',
        text: `UPDATE records SET owner = $1::jsonb, followers = $2::jsonb, properties = $3::jsonb, updated_at = $4, last_updated_by = $5::jsonb WHERE id = $6`,
        values: [j.owner, j.followers, j.properties, next.updatedAt, j.lastUpdatedBy, id],
      });
      if (uniqueKeys.length) {
        await c.query({ name: 'ghl_delete_unique_of_record', text: 'DELETE FROM unique_values WHERE record_id = $1', values: [id] });
        await this.claimUnique(c, next, uniqueKeys);
      }
      return rawRecordWritten(next, j);
    });
  }

  async deleteRecord(objectId: string, id: string): Promise<boolean> {
    // One statement: the record goes, and its unique values with it (ON DELETE CASCADE).
    const { rowCount } = await this.query('DELETE FROM records WHERE id = $1 AND object_id = $2', [id, objectId], 'ghl_delete_record');
    return (rowCount ?? 0) > 0;
  }

  /** Runs a search plan (services/search-plan.ts): the page and the total from one snapshot. */
  async searchRecords(plan: SearchPlan): Promise<SearchResult> {
    return this.search.search(plan);
  }

  /** PostgreSQL's plan for a search (EXPLAIN lines): to check which indexes it uses. */
  async explainSearch(plan: SearchPlan): Promise<string[]> {
    return this.search.explain(plan);
  }
}

async function loadChunks(c: Db, sql: string, rows: readonly unknown[]): Promise<void> {
  for (let i = 0; i < rows.length; i += LOAD_CHUNK) await c.query(sql, [json(rows.slice(i, i + LOAD_CHUNK))]);
}
