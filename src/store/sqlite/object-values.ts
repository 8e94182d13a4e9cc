/**
 * Per-object value tables: the search side of the SQLite store.
 *
 * Each object has a narrow table `object_values_<objectId>` with one row per record (its rowid
 * is the record's rowid), holding the record's id, its timestamps and one column per field that
 * has a single comparable value, with an index on each column. Search filters, sorts and counts
 * on these rows and joins `records` only for what it returns or for conditions no column holds
 * (lists, files, TEXTBOX_LIST entries). A condition on a second field is then a read of a row of
 * some 100 bytes, where on `records` it was the whole record and a JSON parse: a filtered count
 * over 100,000 records went from ~32 ms to ~6 ms (bench/README.md).
 *
 * Every column value is `json_extract` of the record's stored JSON text, computed by SQLite, so
 * what search compares is exactly what it compared when it read `records.properties` (numbers
 * past 2^53 included). The tables are derived data: `syncAll` rebuilds whatever is missing or
 * stale when the store opens, and the store's writes keep them current in the same transaction.
 */
import type Database from 'better-sqlite3';
import type { DataType } from '../../services/field-types.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;
const FIELD_ID = /^[A-Za-z0-9]{20}$/;
/** Field keys a column is made for: custom keys are `[a-z0-9_]+`; business has camelCase ones (`postalCode`). */
const COLUMN_KEY = /^[A-Za-z0-9_]+$/;
const TABLE_PREFIX = 'object_values_';
/** Fields whose few values a search typically narrows by first (a status, a category). */
const CATEGORY_TYPES: ReadonlySet<DataType> = new Set(['SINGLE_OPTIONS', 'RADIO']);
/** Fields a search typically compares or sorts by a range. */
const RANGE_TYPES: ReadonlySet<DataType> = new Set(['NUMERICAL', 'MONETORY', 'DATE']);
/** At most this many range columns ride along in a category column's index. */
const RANGE_COLUMNS_MAX = 6;
/**
 * At most this many fields of an object get a column, the first made first: each is an index
 * every write of a record updates, and SQLite caps a table's columns. A field past them is
 * searched in the records' JSON, as LARGE_TEXT is.
 */
export const COLUMNS_MAX = 100;

/** The JSON path of a property's comparable value: a money value compares by its `value`. */
export function jsonPath(key: string, money: boolean): string {
  // Keys are quoted because they may hold a dot (TEXTBOX_LIST entries) or start with a digit.
  if (key.includes('"')) throw new Error(`property key ${JSON.stringify(key)} cannot be addressed by a JSON path`);
  return money ? `$."${key}".value` : `$."${key}"`;
}

/**
 * Whether a field of this type gets a column: only single values compare by one expression, and
 * not LARGE_TEXT. Long texts would make the rows several times wider, so that the table no longer
 * stays in SQLite's page cache, while what is asked of them (`contains`) cannot use an index anyway.
 */
export function hasColumn(dataType: DataType): boolean {
  return dataType !== 'CHECKBOX' && dataType !== 'MULTIPLE_OPTIONS' && dataType !== 'FILE_UPLOAD' && dataType !== 'TEXTBOX_LIST' && dataType !== 'LARGE_TEXT';
}

/** The value table of an object. Throws unless the id is an ObjectId: it becomes SQL text. */
export function valuesTableName(objectId: string): string {
  if (!OBJECT_ID.test(objectId)) throw new Error(`not an object id: ${JSON.stringify(objectId)}`);
  return `${TABLE_PREFIX}${objectId}`;
}

/** The column of a field. Throws unless the id has the field-id form: it becomes SQL text. */
export function columnName(fieldId: string): string {
  if (!FIELD_ID.test(fieldId)) throw new Error(`not a field id: ${JSON.stringify(fieldId)}`);
  return `f_${fieldId}`;
}

/** The index of a field's column: one per field id. */
export const columnIndexName = (fieldId: string): string => `values_${columnName(fieldId)}`;

export interface ValueColumn {
  fieldId: string;
  /** The property key (the field key without the object's prefix). */
  key: string;
  dataType: DataType;
  /** Quoted SQL name of the column. */
  sql: string;
  path: string;
}

/** What search and the writes need of one object's value table. */
export interface ValuesTable {
  objectId: string;
  /** Quoted SQL name of the table. */
  sql: string;
  /** Columns by property key (the field key without the object's prefix). */
  columns: ReadonlyMap<string, ValueColumn>;
  insert: Database.Statement;
  update: Database.Statement;
  remove: Database.Statement;
}

interface FieldInfo {
  id: string;
  key: string;
  dataType: DataType;
}

/** One field of an object that gets a column, or undefined when its type or key gets none. */
function columnOf(f: FieldInfo): ValueColumn | undefined {
  if (!hasColumn(f.dataType) || !COLUMN_KEY.test(f.key)) return undefined;
  return { fieldId: f.id, key: f.key, dataType: f.dataType, sql: `"${columnName(f.id)}"`, path: jsonPath(f.key, f.dataType === 'MONETORY') };
}

export class ObjectValues {
  /** Optimization: each object's table and statements, built once per schema version. */
  private readonly cache = new Map<string, ValuesTable>();
  private cachedSchemaVersion = -1;
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      // Moves on every schema change, by any connection: the cache follows DDL made elsewhere too.
      schemaVersion: db.prepare<[], number>('SELECT schema_version FROM pragma_schema_version').pluck(),
      fieldsOf: db.prepare<[string], { id: string; field_key: string; data_type: string; object_key: string }>(
        'SELECT f.id, f.field_key, f.data_type, o.key AS object_key FROM fields f JOIN objects o ON o.id = f.object_id WHERE f.object_id = ? ORDER BY f.rowid',
      ),
      objectIds: db.prepare<[], string>('SELECT id FROM objects').pluck(),
      tables: db.prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '${TABLE_PREFIX}%'`).pluck(),
      tableExists: db.prepare<[string], number>("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck(),
      indexesOf: db.prepare<[string], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"),
      oldFieldIndexes: db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'records_f_%'").pluck(),
    };
  }

  /**
   * The value table of an object, or undefined when it has none (a deleted object). Follows
   * schema changes made by any connection.
   */
  table(objectId: string): ValuesTable | undefined {
    this.followSchema();
    return this.tableAsOfLastCheck(objectId);
  }

  /** Drops the cached tables when the schema moved, by DDL of this connection or another. */
  followSchema(): void {
    const version = this.stmts.schemaVersion.get()!;
    if (version === this.cachedSchemaVersion) return;
    this.cache.clear();
    this.cachedSchemaVersion = version;
  }

  /**
   * `table` without its look at the schema version: for a batch of writes, whose transaction
   * calls `followSchema` once it holds the write lock, after which no other connection's DDL can
   * come in. One query less per write (1.3% of a create's CPU).
   */
  tableAsOfLastCheck(objectId: string): ValuesTable | undefined {
    let t = this.cache.get(objectId);
    if (!t) {
      t = this.build(objectId);
      if (!t) return undefined;
      this.cache.set(objectId, t);
    }
    return t;
  }

  /** The columns an object's fields should have, in field order. */
  private columnsOf(objectId: string): ValueColumn[] {
    const out: ValueColumn[] = [];
    for (const r of this.stmts.fieldsOf.all(objectId)) {
      const c = columnOf({ id: r.id, key: r.field_key.slice(r.object_key.length + 1), dataType: r.data_type as DataType });
      if (c) out.push(c);
      if (out.length === COLUMNS_MAX) break;
    }
    return out;
  }

  /** The columns the table has now, by property key: what its statements and search may use. */
  private build(objectId: string): ValuesTable | undefined {
    const name = valuesTableName(objectId);
    if (!this.stmts.tableExists.get(name)) return undefined;
    const present = new Set((this.db.pragma(`table_info("${name}")`) as Array<{ name: string }>).map((c) => c.name));
    const columns = new Map<string, ValueColumn>();
    for (const c of this.columnsOf(objectId)) if (present.has(columnName(c.fieldId))) columns.set(c.key, c);
    const cols = [...columns.values()];
    const sql = `"${name}"`;
    const extract = (c: ValueColumn) => `json_extract(@properties, '${c.path}')`;
    return {
      objectId,
      sql,
      columns,
      insert: this.db.prepare(
        `INSERT INTO ${sql} (rid, id, created_at, updated_at${cols.map((c) => `, ${c.sql}`).join('')})
         VALUES (@rid, @id, @createdAt, @updatedAt${cols.map((c) => `, ${extract(c)}`).join('')})`,
      ),
      update: this.db.prepare(
        `UPDATE ${sql} SET updated_at = @updatedAt${cols.map((c) => `, ${c.sql} = ${extract(c)}`).join('')}
         WHERE rid = (SELECT rowid FROM records WHERE id = @id)`,
      ),
      remove: this.db.prepare(`DELETE FROM ${sql} WHERE rid = (SELECT rowid FROM records WHERE id = ?)`),
    };
  }

  /**
   * Brings one object's table in line with its fields: creates it (filled from `records`), adds
   * the columns of new fields (filled likewise), drops those of fields that are gone, and makes
   * every index. Idempotent. Runs inside the caller's transaction.
   */
  sync(objectId: string): void {
    const name = valuesTableName(objectId);
    const sql = `"${name}"`;
    const wanted = this.columnsOf(objectId);
    if (!this.stmts.tableExists.get(name)) {
      this.db.exec(
        `CREATE TABLE ${sql} (rid INTEGER PRIMARY KEY, id TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL${wanted.map((c) => `, ${c.sql}`).join('')})`,
      );
      // The object id is a checked literal; the paths are built from checked keys.
      this.db.exec(
        `INSERT INTO ${sql} (rid, id, created_at, updated_at${wanted.map((c) => `, ${c.sql}`).join('')})
         SELECT rowid, id, created_at, updated_at${wanted.map((c) => `, json_extract(properties, '${c.path}')`).join('')}
         FROM records WHERE object_id = '${objectId}'`,
      );
    } else {
      const present = new Set((this.db.pragma(`table_info(${sql})`) as Array<{ name: string }>).map((c) => c.name).filter((n) => n.startsWith('f_')));
      for (const c of wanted) {
        const column = columnName(c.fieldId);
        if (present.delete(column)) continue;
        this.db.exec(`ALTER TABLE ${sql} ADD COLUMN ${c.sql}`);
        this.db.exec(`UPDATE ${sql} SET ${c.sql} = (SELECT json_extract(properties, '${c.path}') FROM records WHERE rowid = ${sql}.rid)`);
      }
      // What is left belongs to fields that are gone. A column an index holds cannot be dropped.
      for (const column of present) {
        for (const index of this.stmts.indexesOf.all(name)) if (index.sql.includes(`"${column}"`)) this.db.exec(`DROP INDEX "${index.name}"`);
        this.db.exec(`ALTER TABLE ${sql} DROP COLUMN "${column}"`);
      }
    }
    this.syncIndexes(name, wanted);
    this.analyze(objectId);
  }

  /**
   * Makes each index of the table what it should be: the timestamps', and one per column, by its
   * value then id (the order of a sort on it). A category column's index (SINGLE_OPTIONS, RADIO)
   * also carries the range columns (NUMERICAL, MONETORY, DATE), so that a search that narrows by a
   * category and compares or sorts by a number or a date (status = open, amount over N, newest
   * first) is answered from that index alone: a filtered count over 100,000 records went from
   * ~8 ms, reading a value row per match, to under 1 ms (bench/README.md).
   */
  private syncIndexes(table: string, columns: readonly ValueColumn[]): void {
    const sql = `"${table}"`;
    const ranges = columns.filter((c) => RANGE_TYPES.has(c.dataType)).slice(0, RANGE_COLUMNS_MAX).map((c) => c.sql);
    const wanted = new Map<string, string>([
      [`${table}_updated`, 'updated_at, id'],
      [`${table}_created`, 'created_at, id'],
      ...columns.map((c): [string, string] => [columnIndexName(c.fieldId), [c.sql, ...(CATEGORY_TYPES.has(c.dataType) ? ranges : []), 'id'].join(', ')]),
    ]);
    const present = new Map(this.stmts.indexesOf.all(table).map((i) => [i.name, i.sql]));
    for (const [index, keys] of wanted) {
      // SQLite keeps an index's CREATE statement as it was given: an index of other keys is made anew.
      const create = `CREATE INDEX "${index}" ON ${sql} (${keys})`;
      if (present.get(index) === create) continue;
      if (present.has(index)) this.db.exec(`DROP INDEX "${index}"`);
      this.db.exec(create);
    }
  }

  /** Syncs every object's table and drops the tables of objects that are gone. Runs inside the caller's transaction. */
  syncAll(): void {
    const objects = new Set(this.stmts.objectIds.all());
    for (const table of this.stmts.tables.all()) {
      if (!objects.has(table.slice(TABLE_PREFIX.length))) this.db.exec(`DROP TABLE "${table}"`);
    }
    // Per-field expression indexes on records: what search used before these tables.
    for (const index of this.stmts.oldFieldIndexes.all()) this.db.exec(`DROP INDEX "${index}"`);
    for (const id of objects) this.sync(id);
  }

  /** Drops every value table: before `records` is emptied and refilled in bulk (syncAll then rebuilds them). */
  dropAll(): void {
    for (const table of this.stmts.tables.all()) this.db.exec(`DROP TABLE "${table}"`);
  }

  drop(objectId: string): void {
    this.db.exec(`DROP TABLE IF EXISTS "${valuesTableName(objectId)}"`);
  }

  /**
   * Refreshes the planner's statistics of one table. Without them SQLite cannot tell a selective
   * condition from one that keeps every row. Sampled (analysis_limit), so it costs milliseconds.
   */
  analyze(objectId: string): void {
    this.db.pragma('analysis_limit = 1000');
    this.db.exec(`ANALYZE "${valuesTableName(objectId)}"`);
  }
}
