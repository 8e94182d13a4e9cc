import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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
import { rawRecordWritten, recordJsonColumns, storedUpdate, type RecordJsonColumns } from '../raw-record.js';
import { rowReaders, str, strOrNull, type Row } from '../row-readers.js';
import { MIGRATIONS } from './migrations.js';
import { Checkpointer, WRITER_CHECKPOINT_PAGES } from './checkpointer.js';
import { GroupCommit } from './group-commit.js';
import { ObjectValues, type ValuesTable } from './object-values.js';
import { ReadBatch } from './read-batch.js';
import { recordRowid } from './record-rowid.js';
import { SqliteSearch } from './search.js';

/** How long a writer waits for another process's write lock (the CLI beside a running server). */
const BUSY_TIMEOUT_MS = 5_000;


// SQLite hands booleans over as 0/1 and JSON columns as text.
const {
  token: toToken,
  object: toObject,
  field: toField,
  folder: toFolder,
  record: toRecord,
} = rowReaders({ bool: (v) => v === 1, json: (v) => JSON.parse(v as string) });

const objectParams = (o: ObjectRow) => ({
  ...o,
  standard: o.standard ? 1 : 0,
  labelSingular: o.labels.singular,
  labelPlural: o.labels.plural,
  searchableProperties: JSON.stringify(o.searchableProperties),
});

const fieldParams = (f: FieldRow) => ({
  ...f,
  showInForms: f.showInForms ? 1 : 0,
  options: JSON.stringify(f.options),
  allowCustomOption: f.allowCustomOption ? 1 : 0,
  unique: f.unique ? 1 : 0,
  standard: f.standard ? 1 : 0,
});

/**
 * A record's parameters; a new record's also carry the rowid its id gives it (record-rowid.ts),
 * an update keeps its own. Optimization: one object literal of a fixed shape, not spreads of the
 * record and its JSON (1.7% of a create's CPU).
 */
const recordParams = (r: RecordRow, json: RecordJsonColumns, rowid: number | null = null) => ({
  rowid,
  id: r.id,
  locationId: r.locationId,
  objectId: r.objectId,
  owner: json.owner,
  followers: json.followers,
  properties: json.properties,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  createdBy: json.createdBy,
  lastUpdatedBy: json.lastUpdatedBy,
});

const insertParams = (r: RecordRow, json: RecordJsonColumns = recordJsonColumns(r)) => recordParams(r, json, recordRowid(r.id));

/** The unique-index entries of a record: one per unique field it holds a value in. */
function uniqueEntries(r: RecordRow, uniqueKeys: readonly string[]): Array<{ key: string; value: string | number }> {
  const out: Array<{ key: string; value: string | number }> = [];
  for (const key of uniqueKeys) {
    const value = r.properties[key];
    if (typeof value === 'string' || typeof value === 'number') out.push({ key, value });
  }
  return out;
}

/** A unique constraint broke: the caller's key is taken. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Get Record By Id's answer as SQLite builds it: recordAnswerJson (raw-record.ts), column for column,
 * with the object's members as the first parameter. Optimization: eight column strings, their
 * concatenation in JavaScript and its flattening before the write were about a tenth of a read's
 * instructions (bench/README.md); this is one string, made in one allocation.
 */
const RECORD_ANSWER_SQL = `concat(
  '{"record":{"id":"', id, '","owner":', owner, ',"followers":', followers, ',"properties":', properties,
  ',"dateAdded":"', created_at, '","dateUpdated":"', updated_at, '","createdAt":"', created_at, '","updatedAt":"', updated_at, '",',
  ?, ',"createdBy":', created_by, ',"lastUpdatedBy":', last_updated_by, '}}')`;

/** Opens (creating when absent) an SQLite database file and brings its schema up to date. */
export function openSqliteStore(path: string): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  let reads: ReadBatch | undefined;
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives a crash of the process (kill -9);
    // only a power loss can take the last few back. FULL would fsync on every commit.
    db.pragma('synchronous = NORMAL');
    // A batch of record writes in which one failed runs again with a savepoint for each
    // (group-commit.ts): their statement journals stay in memory instead of temp files.
    db.pragma('temp_store = MEMORY');
    // 32 MiB of page cache (the build's default is 16): at 100,000 records an object's value
    // table and the indexes a search walks stay in memory. Measured in bench/README.md.
    db.pragma('cache_size = -32768');
    // Checkpoint every 40,000 pages (~160 MiB of WAL) rather than 1,000: an index page that many
    // writes change is copied to the database file once per checkpoint, and each checkpoint
    // syncs. Under a stream of writes a worker thread copies the pages first (checkpointer.ts);
    // this checkpoint then copies only the last few, and lets the next transaction start the WAL
    // over. It still holds its COMMIT, on the event loop, for its two fsyncs (the worker writes
    // most of the pages it copied out first, checkpointer.ts):
    // at 10,000 pages that was 11 to 20% of the time batches took under a stream of creates, at
    // 40,000 4 to 6%, and creates went 4 to 9% faster; at 100,000 they were slower again, the
    // WAL file growing where it would otherwise be written over (bench/README.md).
    db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
    // 8 MiB of page cache of its own. A read by id walks the records table by rowid
    // (record-rowid.ts): at 1,000,000 records its interior pages (under 3 MiB) stay cached and the
    // leaf misses a cache of any affordable size (the table is about 800 MiB). 16 MiB was no
    // faster there in two rounds of measuring, once 10% slower; at 10,000 records 8 MiB still
    // holds the table.
    reads = new ReadBatch(path, db, { timeoutMs: BUSY_TIMEOUT_MS, cacheKiB: 8_192 });
    const store = new SqliteStore(db, reads, new Checkpointer(path));
    store.syncValues();
    return store;
  } catch (err) {
    reads?.close();
    db.close();
    throw err;
  }
}

function migrate(db: Database.Database): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a new
  // file at once cannot both apply the same migration.
  const run = db.transaction(() => {
    const applied = db.pragma('user_version', { simple: true }) as number;
    if (applied > MIGRATIONS.length) {
      throw new Error(`the database is at schema version ${applied}, newer than this ghl-objects (${MIGRATIONS.length}): upgrade ghl-objects`);
    }
    for (let v = applied; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  run.immediate();
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly stmts;
  private readonly searcher: SqliteSearch;
  /** Record writes: batched into shared transactions (group-commit.ts). */
  private readonly writes: GroupCommit;
  /** Each object's search columns (object-values.ts). */
  private readonly values: ObjectValues;

  private readonly recordJson: Database.Statement<[string, string, string], string>;
  private readonly recordJsonByRowid: Database.Statement<[string, number, string, string], string>;

  constructor(
    private readonly db: Database.Database,
    /** Reads of records by id: batched per turn of the event loop, on a connection of their own (read-batch.ts). */
    private readonly reads: ReadBatch,
    /** WAL checkpoints off the event loop while records are written (checkpointer.ts). */
    private readonly checkpoints: Checkpointer,
  ) {
    this.values = new ObjectValues(db);
    this.searcher = new SqliteSearch(db, this.values);
    // The batched reads' snapshot would hide what a commit wrote: each commit ends it.
    this.writes = new GroupCommit(db, {
      begin: () => this.values.followSchema(),
      committed: (count) => {
        reads.end();
        checkpoints.written(count);
      },
    });
    const recordJsonWhere = <P extends unknown[]>(where: string) =>
      reads.db.prepare<[string, ...P], string>(`SELECT ${RECORD_ANSWER_SQL} FROM records WHERE ${where}`).pluck();
    // First by the rowid the id would have (record-rowid.ts), then by the id index.
    this.recordJsonByRowid = recordJsonWhere<[number, string, string]>('rowid = ? AND id = ? AND object_id = ?');
    this.recordJson = recordJsonWhere<[string, string]>('id = ? AND object_id = ?');
    // Optimization: every statement is prepared once here, never per call.
    this.stmts = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      putMetaIfAbsent: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
      revision: db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'revision'").pluck(),
      bumpRevision: db.prepare("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'revision'"),
      anyLocation: db.prepare('SELECT 1 FROM locations LIMIT 1').pluck(),
      getLocation: db.prepare<[string], Row>('SELECT * FROM locations WHERE id = ?'),
      userIds: db.prepare<[string], string>('SELECT id FROM users WHERE location_id = ? ORDER BY id').pluck(),
      insertLocation: db.prepare('INSERT INTO locations (id, name, created_at) VALUES (@id, @name, @createdAt)'),
      insertUser: db.prepare('INSERT INTO users (id, location_id, name, email) VALUES (@id, @locationId, @name, @email)'),
      insertToken: db.prepare(
        `INSERT INTO tokens (id, location_id, kind, hash, scopes, client_id, created_at, expires_at, revoked_at)
         VALUES (@id, @locationId, @kind, @hash, @scopes, @clientId, @createdAt, @expiresAt, @revokedAt)`,
      ),
      revokeToken: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      tokenByHash: db.prepare<[string], Row>('SELECT * FROM tokens WHERE hash = ?'),
      tokenById: db.prepare<[string], Row>('SELECT * FROM tokens WHERE id = ?'),
      insertObject: db.prepare(
        `INSERT INTO objects (id, location_id, key, standard, type, label_singular, label_plural, description,
           primary_display_property, searchable_properties, created_at, updated_at)
         VALUES (@id, @locationId, @key, @standard, @type, @labelSingular, @labelPlural, @description,
           @primaryDisplayProperty, @searchableProperties, @createdAt, @updatedAt)`,
      ),
      insertField: db.prepare(
        `INSERT INTO fields (id, location_id, object_id, field_key, name, data_type, description, placeholder,
           show_in_forms, options, accepted_formats, max_file_limit, allow_custom_option, parent_id, is_unique,
           standard, created_at, updated_at)
         VALUES (@id, @locationId, @objectId, @fieldKey, @name, @dataType, @description, @placeholder,
           @showInForms, @options, @acceptedFormats, @maxFileLimit, @allowCustomOption, @parentId, @unique,
           @standard, @createdAt, @updatedAt)`,
      ),
      insertRecord: db.prepare(
        // The derived rowid (record-rowid.ts) unless another row holds it; NULL lets SQLite pick one.
        `INSERT INTO records (rowid, id, location_id, object_id, owner, followers, properties, created_at, updated_at,
           created_by, last_updated_by)
         VALUES (CASE WHEN EXISTS (SELECT 1 FROM records WHERE rowid = @rowid) THEN NULL ELSE @rowid END,
           @id, @locationId, @objectId, @owner, @followers, @properties, @createdAt, @updatedAt,
           @createdBy, @lastUpdatedBy)`,
      ),
      insertFolder: db.prepare(
        `INSERT INTO folders (id, location_id, object_id, name, created_at, updated_at)
         VALUES (@id, @locationId, @objectId, @name, @createdAt, @updatedAt)`,
      ),
      folderById: db.prepare<[string], Row>('SELECT * FROM folders WHERE id = ?'),
      renameFolder: db.prepare('UPDATE folders SET name = ?, updated_at = ? WHERE id = ?'),
      deleteFolder: db.prepare('DELETE FROM folders WHERE id = ?'),
      fieldsInFolder: db.prepare<[string], number>('SELECT count(*) FROM fields WHERE parent_id = ?').pluck(),
      foldersOf: db.prepare<[string], Row>('SELECT * FROM folders WHERE location_id = ? ORDER BY created_at, rowid'),
      countCustom: db.prepare<[string], number>('SELECT count(*) FROM objects WHERE location_id = ? AND standard = 0').pluck(),
      objectById: db.prepare<[string], Row>('SELECT * FROM objects WHERE id = ?'),
      updateObject: db.prepare(
        `UPDATE objects SET label_singular = @labelSingular, label_plural = @labelPlural, description = @description,
           searchable_properties = @searchableProperties, updated_at = @updatedAt WHERE id = @id`,
      ),
      fieldKeysOf: db.prepare<[string], string>('SELECT field_key FROM fields WHERE object_id = ? ORDER BY created_at, rowid').pluck(),
      deleteRecordsOf: db.prepare('DELETE FROM records WHERE object_id = ?'),
      deleteFieldsOf: db.prepare('DELETE FROM fields WHERE object_id = ?'),
      deleteFoldersOf: db.prepare('DELETE FROM folders WHERE object_id = ?'),
      deleteObject: db.prepare('DELETE FROM objects WHERE id = ?'),
      fieldById: db.prepare<[string], Row>('SELECT * FROM fields WHERE id = ?'),
      updateField: db.prepare(
        `UPDATE fields SET name = @name, description = @description, placeholder = @placeholder,
           show_in_forms = @showInForms, options = @options, accepted_formats = @acceptedFormats,
           max_file_limit = @maxFileLimit, updated_at = @updatedAt WHERE id = @id`,
      ),
      deleteField: db.prepare('DELETE FROM fields WHERE id = ?'),
      // The JSON path is a bound parameter: no key ever becomes SQL text.
      removeProperty: db.prepare(
        'UPDATE records SET properties = json_remove(properties, @path) WHERE object_id = @objectId AND json_type(properties, @path) IS NOT NULL',
      ),
      setSearchable: db.prepare('UPDATE objects SET searchable_properties = ? WHERE id = ?'),
      recordById: db.prepare<[string, string], Row>('SELECT * FROM records WHERE id = ? AND object_id = ?'),
      updateRecord: db.prepare(
        `UPDATE records SET owner = @owner, followers = @followers, properties = @properties, updated_at = @updatedAt,
           last_updated_by = @lastUpdatedBy WHERE id = @id`,
      ),
      deleteRecord: db.prepare('DELETE FROM records WHERE id = ? AND object_id = ?'),
      insertUnique: db.prepare('INSERT INTO unique_values (object_id, field_key, value, record_id) VALUES (?, ?, ?, ?)'),
      deleteUniqueOfRecord: db.prepare('DELETE FROM unique_values WHERE record_id = ?'),
      deleteUniqueOfField: db.prepare('DELETE FROM unique_values WHERE object_id = ? AND field_key = ?'),
      deleteUniqueOfObject: db.prepare('DELETE FROM unique_values WHERE object_id = ?'),
      objectsOf: db.prepare<[string], Row>('SELECT * FROM objects WHERE location_id = ? ORDER BY standard DESC, created_at, id'),
      fieldsOf: db.prepare<[string], Row>('SELECT * FROM fields WHERE location_id = ? ORDER BY created_at, rowid'),
      // dumpDataset: every table in insertion order (folders and fields in listing order).
      dumpLocations: db.prepare<[], Row>('SELECT id, name, created_at FROM locations ORDER BY rowid'),
      dumpUsers: db.prepare<[], Row>('SELECT id, location_id, name, email FROM users ORDER BY rowid'),
      dumpTokens: db.prepare<[], Row>('SELECT * FROM tokens ORDER BY rowid'),
      dumpObjects: db.prepare<[], Row>('SELECT * FROM objects ORDER BY rowid'),
      dumpFolders: db.prepare<[], Row>('SELECT * FROM folders ORDER BY created_at, rowid'),
      dumpFields: db.prepare<[], Row>('SELECT * FROM fields ORDER BY created_at, rowid'),
      dumpRecords: db.prepare<[], Row>('SELECT * FROM records ORDER BY rowid'),
    };
  }

  /** Makes every object's value table whole and current (object-values.ts). Cheap when nothing changed. */
  syncValues(): void {
    const run = this.db.transaction(() => this.values.syncAll());
    run.immediate();
  }

  /** An object's value table, in a batch of writes; made first if the object exists and it is missing. */
  private valuesOf(objectId: string): ValuesTable | undefined {
    const t = this.values.tableAsOfLastCheck(objectId);
    if (t || !this.stmts.objectById.get(objectId)) return t;
    this.values.sync(objectId);
    return this.values.table(objectId);
  }

  async close(): Promise<void> {
    this.writes.drain();
    // The worker's connection first: closed last, the writer's checkpoints the WAL and removes it.
    await this.checkpoints.close();
    this.reads.close();
    this.db.close();
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.stmts.getMeta.get(key)?.value;
  }

  async putMetaIfAbsent(key: string, value: string): Promise<string> {
    this.stmts.putMetaIfAbsent.run(key, value);
    return this.stmts.getMeta.get(key)!.value;
  }

  async revision(): Promise<number> {
    return Number(this.stmts.revision.get());
  }

  async isEmpty(): Promise<boolean> {
    return this.stmts.anyLocation.get() === undefined;
  }

  async loadDataset(data: Dataset, options: { reset: boolean }): Promise<void> {
    const s = this.stmts;
    const load = this.db.transaction(() => {
      if (options.reset) {
        this.values.dropAll();
        // Children before parents; the signing key and the revision counter in meta stay.
        for (const table of ['unique_values', 'records', 'fields', 'folders', 'objects', 'tokens', 'users', 'locations']) this.db.exec(`DELETE FROM ${table}`);
      } else if (s.anyLocation.get() !== undefined) {
        throw new StoreError('not_empty', 'the database already holds data');
      }
      for (const l of data.locations) s.insertLocation.run(l);
      for (const u of data.users) s.insertUser.run(u);
      for (const t of data.tokens) s.insertToken.run({ ...t, scopes: JSON.stringify(t.scopes) });
      for (const o of data.objects) s.insertObject.run(objectParams(o));
      for (const f of data.folders) s.insertFolder.run(f);
      for (const f of data.fields) s.insertField.run(fieldParams(f));
      const uniqueKeysOf = new Map<string, string[]>();
      for (const f of data.fields) {
        if (!f.unique) continue;
        const object = data.objects.find((o) => o.id === f.objectId);
        if (object) uniqueKeysOf.set(f.objectId, [...(uniqueKeysOf.get(f.objectId) ?? []), f.fieldKey.slice(object.key.length + 1)]);
      }
      for (const r of data.records) {
        s.insertRecord.run(insertParams(r));
        this.indexUnique(r, uniqueKeysOf.get(r.objectId) ?? []);
      }
      // Value tables and their indexes after the rows: one sorted build is faster than growing them row by row.
      this.values.syncAll();
      s.bumpRevision.run();
    });
    load.immediate();
    this.reads.end();
  }

  async dumpDataset(): Promise<Dataset> {
    const s = this.stmts;
    // One read transaction: one snapshot of every table, whatever another process writes meanwhile.
    const read = this.db.transaction(
      (): Dataset => ({
        locations: s.dumpLocations.all().map((r) => ({ id: str(r.id), name: str(r.name), createdAt: str(r.created_at) })),
        users: s.dumpUsers.all().map((r) => ({ id: str(r.id), locationId: str(r.location_id), name: str(r.name), email: strOrNull(r.email) })),
        tokens: s.dumpTokens.all().map(toToken),
        objects: s.dumpObjects.all().map(toObject),
        folders: s.dumpFolders.all().map(toFolder),
        fields: s.dumpFields.all().map(toField),
        records: s.dumpRecords.all().map(toRecord),
      }),
    );
    return read();
  }

  async getLocation(id: string): Promise<LocationRow | undefined> {
    const r = this.stmts.getLocation.get(id);
    return r && { id: str(r.id), name: str(r.name), createdAt: str(r.created_at) };
  }

  async userIds(locationId: string): Promise<string[]> {
    return this.stmts.userIds.all(locationId);
  }

  async insertToken(token: TokenRow): Promise<void> {
    this.stmts.insertToken.run({ ...token, scopes: JSON.stringify(token.scopes) });
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const revoke = this.db.transaction(() => {
      const changed = this.stmts.revokeToken.run(at, id).changes > 0;
      if (changed) this.stmts.bumpRevision.run();
      return changed;
    });
    return revoke.immediate();
  }

  async findTokenByHash(hash: string): Promise<TokenRow | undefined> {
    const r = this.stmts.tokenByHash.get(hash);
    return r && toToken(r);
  }

  async findTokenById(id: string): Promise<TokenRow | undefined> {
    const r = this.stmts.tokenById.get(id);
    return r && toToken(r);
  }

  async listObjects(locationId: string): Promise<LocationSchemaRows> {
    const read = this.db.transaction(() => ({
      objects: this.stmts.objectsOf.all(locationId).map(toObject),
      folders: this.stmts.foldersOf.all(locationId).map(toFolder),
      fields: this.stmts.fieldsOf.all(locationId).map(toField),
    }));
    return read();
  }

  /** Runs a schema change in one write transaction and bumps the revision, so every process drops its caches. */
  private schemaChange<T>(fn: () => T): T {
    const run = this.db.transaction(() => {
      const result = fn();
      this.stmts.bumpRevision.run();
      return result;
    });
    try {
      return run.immediate();
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreError('conflict', 'the key is taken');
      throw err;
    } finally {
      // Deleting an object or a field changes its records.
      this.reads.end();
    }
  }

  async insertObject(object: ObjectRow, folders: FolderRow[], fields: FieldRow[], maxCustomObjects: number): Promise<void> {
    this.schemaChange(() => {
      if (this.stmts.countCustom.get(object.locationId)! >= maxCustomObjects) throw new StoreError('limit', 'custom object limit reached');
      this.stmts.insertObject.run(objectParams(object));
      for (const f of folders) this.stmts.insertFolder.run(f);
      for (const f of fields) this.stmts.insertField.run(fieldParams(f));
      this.values.sync(object.id);
    });
  }

  async updateObject(id: string, patch: ObjectPatch): Promise<ObjectRow | undefined> {
    return this.schemaChange(() => {
      const current = this.stmts.objectById.get(id);
      if (!current) return undefined;
      const next: ObjectRow = { ...toObject(current), ...patch };
      this.stmts.updateObject.run(objectParams(next));
      return next;
    });
  }

  async deleteObject(id: string): Promise<string[] | undefined> {
    return this.schemaChange(() => {
      if (!this.stmts.objectById.get(id)) return undefined;
      const keys = this.stmts.fieldKeysOf.all(id);
      this.values.drop(id);
      this.stmts.deleteUniqueOfObject.run(id);
      this.stmts.deleteRecordsOf.run(id);
      this.stmts.deleteFieldsOf.run(id);
      this.stmts.deleteFoldersOf.run(id);
      this.stmts.deleteObject.run(id);
      return keys;
    });
  }

  async insertFolder(folder: FolderRow): Promise<void> {
    this.schemaChange(() => this.stmts.insertFolder.run(folder));
  }

  async updateFolder(id: string, name: string, updatedAt: string): Promise<FolderRow | undefined> {
    return this.schemaChange(() => {
      if (this.stmts.renameFolder.run(name, updatedAt, id).changes === 0) return undefined;
      return toFolder(this.stmts.folderById.get(id)!);
    });
  }

  async deleteFolder(id: string): Promise<boolean> {
    return this.schemaChange(() => {
      if (this.stmts.fieldsInFolder.get(id)! > 0) throw new StoreError('conflict', 'the folder holds fields');
      return this.stmts.deleteFolder.run(id).changes > 0;
    });
  }

  async insertField(field: FieldRow): Promise<void> {
    this.schemaChange(() => {
      this.stmts.insertField.run(fieldParams(field));
      if (this.stmts.objectById.get(field.objectId)) this.values.sync(field.objectId);
    });
  }

  async updateField(id: string, patch: FieldPatch): Promise<FieldRow | undefined> {
    return this.schemaChange(() => {
      const current = this.stmts.fieldById.get(id);
      if (!current) return undefined;
      const next: FieldRow = { ...toField(current), ...patch };
      this.stmts.updateField.run(fieldParams(next));
      return next;
    });
  }

  async deleteField(id: string, propertyKeys: string[]): Promise<boolean> {
    return this.schemaChange(() => {
      const row = this.stmts.fieldById.get(id);
      if (!row) return false;
      const field = toField(row);
      const object = toObject(this.stmts.objectById.get(field.objectId)!);
      for (const key of propertyKeys) this.stmts.removeProperty.run({ path: `$."${key}"`, objectId: field.objectId });
      this.stmts.deleteUniqueOfField.run(field.objectId, field.fieldKey.slice(object.key.length + 1));
      const searchable = object.searchableProperties.filter((k) => k !== field.fieldKey);
      if (searchable.length !== object.searchableProperties.length) {
        this.stmts.setSearchable.run(JSON.stringify(searchable.length ? searchable : [object.primaryDisplayProperty]), object.id);
      }
      this.stmts.deleteField.run(id);
      this.values.sync(field.objectId);
      return true;
    });
  }

  getRecordJson(objectId: string, id: string, objectJson: string): string | undefined {
    this.reads.enter();
    const rowid = recordRowid(id);
    return (rowid !== null ? this.recordJsonByRowid.get(objectJson, rowid, id, objectId) : undefined) ?? this.recordJson.get(objectJson, id, objectId);
  }

  /** Claims the unique values of a record; a value another record holds is a conflict. */
  private indexUnique(r: RecordRow, uniqueKeys: readonly string[]): void {
    for (const { key, value } of uniqueEntries(r, uniqueKeys)) {
      try {
        this.stmts.insertUnique.run(r.objectId, key, JSON.stringify(value), r.id);
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreError('conflict', `duplicate value in unique field ${key}`, { key, value });
        throw err;
      }
    }
  }

  async searchRecords(plan: SearchPlan): Promise<SearchResult> {
    return this.searcher.search(plan);
  }

  async getRecord(objectId: string, id: string): Promise<RecordRow | undefined> {
    const r = this.stmts.recordById.get(id, objectId);
    return r && toRecord(r);
  }

  async insertRecord(record: RecordRow, uniqueKeys: readonly string[]): Promise<RawRecord> {
    const json = recordJsonColumns(record);
    try {
      await this.writes.run(() => {
        const { lastInsertRowid } = this.stmts.insertRecord.run(insertParams(record, json));
        this.valuesOf(record.objectId)?.insert.run({ rid: lastInsertRowid, id: record.id, createdAt: record.createdAt, updatedAt: record.updatedAt, properties: json.properties });
        this.indexUnique(record, uniqueKeys);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreError('conflict', 'the record id is taken');
      throw err;
    }
    return rawRecordWritten(record, json);
  }

  async updateRecord(objectId: string, id: string, apply: (current: RecordRow) => RecordRow, uniqueKeys: readonly string[]): Promise<RawRecord | undefined> {
    // The batch's transaction is IMMEDIATE: the write lock is held before the read, so no other writer slips in between.
    return this.writes.run(() => {
      const row = this.stmts.recordById.get(id, objectId);
      if (!row) return undefined;
      const next = storedUpdate(toRecord(row), apply);
      const json = recordJsonColumns(next);
      this.stmts.updateRecord.run(recordParams(next, json));
      this.valuesOf(objectId)?.update.run({ id, updatedAt: next.updatedAt, properties: json.properties });
      if (uniqueKeys.length) {
        this.stmts.deleteUniqueOfRecord.run(id);
        this.indexUnique(next, uniqueKeys);
      }
      return rawRecordWritten(next, json);
    });
  }

  async deleteRecord(objectId: string, id: string): Promise<boolean> {
    return this.writes.run(() => {
      // Only a record of this object is deleted; its unique values and search row go with it (and only then).
      this.valuesOf(objectId)?.remove.run(id);
      const deleted = this.stmts.deleteRecord.run(id, objectId).changes > 0;
      if (deleted) this.stmts.deleteUniqueOfRecord.run(id);
      return deleted;
    });
  }
}
