/**
 * Runs a `SearchPlan` (services/search-plan.ts) on SQLite: one parameterised query for the page
 * and one for the total, in one read transaction so both see the same data.
 *
 * Every value of the plan is a bound parameter. Two things are SQL text, each asserted against a
 * strict pattern first: the object id, and the JSON path of a scalar property. Both must be
 * literals for SQLite to use a per-field partial expression index (`createFieldIndex` below):
 * an expression index only matches an expression that is the same tree, literal for literal.
 */
import type Database from 'better-sqlite3';
import type { DataType } from '../../services/field-types.js';
import type { Condition, Leaf, SearchPlan, SortKey, Target } from '../../services/search-plan.js';
import { RAW_RECORD_COLUMNS, rawRecordOf } from '../raw-record.js';
import type { SearchResult } from '../store.js';

export type SortValue = string | number | null;
/** A found record with the values it was sorted by, in `searchAfter` form (timestamps as epoch ms). */
export type SearchHit = SearchResult['records'][number];

const OBJECT_ID = /^[0-9a-f]{24}$/;
const FIELD_ID = /^[A-Za-z0-9]{20}$/;
/** Field keys an index is made for: custom keys are `[a-z0-9_]+`; business has camelCase ones (`postalCode`). */
const INDEX_KEY = /^[A-Za-z0-9_]+$/;
/** Property keys that may stand in SQL text: a field key, or `<textbox list>.<option key>`. No quote can pass. */
const LITERAL_KEY = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_-]+)?$/;
const TIMESTAMP_COLUMNS = { createdAt: 'created_at', updatedAt: 'updated_at' } as const;
const RECORD_COLUMNS = 'id, owner, followers, properties, created_at, updated_at, created_by, last_updated_by';
const STATEMENT_CACHE_MAX = 200;

/** The JSON path of a property's comparable value: a money value compares by its `value`. */
function jsonPath(key: string, money: boolean): string {
  // Keys are quoted because they may hold a dot (TEXTBOX_LIST entries) or start with a digit.
  if (key.includes('"')) throw new Error(`property key ${JSON.stringify(key)} cannot be addressed by a JSON path`);
  return money ? `$."${key}".value` : `$."${key}"`;
}

/**
 * A number bound so that it compares exactly with what SQLite parsed from the stored JSON. JSON
 * holds `String(n)`; SQLite reads an integer literal as a 64-bit integer, which past 2^53 differs
 * from the double `n` (`2**60` is stored as 1152921504606847000): bind that same integer.
 */
function sqlNumber(n: number): number | bigint {
  if (!Number.isInteger(n) || Number.isSafeInteger(n)) return n;
  const text = String(n);
  if (text.includes('e')) return n;
  const big = BigInt(text);
  return big >= -(2n ** 63n) && big < 2n ** 63n ? big : n;
}

const bindable = (v: string | number): string | number | bigint => (typeof v === 'number' ? sqlNumber(v) : v);

/**
 * Builds one statement's SQL and its parameters side by side. Parameters are named (`@p1`), so
 * a clause may be built in any order and an expression may appear more than once in the text.
 */
class Sql {
  readonly params: Record<string, unknown> = {};
  private n = 0;

  bind(v: unknown): string {
    const name = `p${++this.n}`;
    this.params[name] = v;
    return `@${name}`;
  }

  /** The path as a literal when the key is safe to write, else bound (such a key just gets no index). */
  path(key: string, money: boolean): string {
    const p = jsonPath(key, money);
    return LITERAL_KEY.test(key) ? `'${p}'` : this.bind(p);
  }

  /** The comparable value of a scalar target: `json_extract(properties, '$."k"')`, exactly as `createFieldIndex` writes it. */
  scalar(t: Target): string {
    if (t.type === 'timestamp') return TIMESTAMP_COLUMNS[t.column];
    if (t.kind === 'list' || t.kind === 'files') throw new Error(`a ${t.kind} property has no single value`);
    return `json_extract(properties, ${this.path(t.key, t.kind === 'money')})`;
  }

  /** Some element of a list property satisfies `test` (SQL over json_each's `value`). */
  someElement(key: string, test: (value: string) => string): string {
    return `EXISTS (SELECT 1 FROM json_each(records.properties, ${this.bind(jsonPath(key, false))}) WHERE ${test('value')})`;
  }

  /**
   * A condition as SQL that is true, false or NULL; NULL only where a property is missing, and
   * only ever where it counts as false: no NOT is applied above a leaf that may be NULL (a negated
   * leaf is `NOT coalesce(...)`), and AND/OR keep "NULL acts as false". Plain leaves stay bare so
   * that an index on their expression can serve them.
   */
  condition(c: Condition): string {
    if (c.kind !== 'leaf') {
      const parts = c.items.map((i) => this.condition(i));
      if (parts.length === 0) return c.kind === 'and' ? '1' : '0';
      return `(${parts.join(c.kind === 'and' ? ' AND ' : ' OR ')})`;
    }
    const plain = this.leaf(c);
    return c.negate ? `NOT coalesce(${plain}, 0)` : plain;
  }

  private leaf(l: Leaf): string {
    const t = l.target;
    const list = t.type === 'property' && (t.kind === 'list' || t.kind === 'files');
    switch (l.op) {
      case 'exists':
        if (t.type === 'timestamp') return '1';
        return list ? `json_array_length(properties, ${this.bind(jsonPath(t.key, false))}) > 0` : `${this.scalar(t)} IS NOT NULL`;
      case 'eq':
        if (list) return this.someElement(t.key, (v) => `${v} = ${this.bind(l.value)}`);
        return `${this.scalar(t)} = ${this.bind(bindable(l.value))}`;
      case 'contains':
        // instr() on text finds characters; for well-formed UTF-8 that is the same as finding bytes.
        if (list) return this.someElement(t.key, (v) => `instr(${v}, ${this.bind(l.value)}) > 0`);
        return `instr(${this.scalar(t)}, ${this.bind(l.value)}) > 0`;
      case 'range': {
        const e = this.scalar(t);
        const parts: string[] = [];
        const ops = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;
        for (const k of ['gte', 'gt', 'lte', 'lt'] as const) {
          const v = l.range[k];
          if (v !== undefined) parts.push(`${e} ${ops[k]} ${this.bind(bindable(v))}`);
        }
        return parts.length ? `(${parts.join(' AND ')})` : '1';
      }
    }
  }

  /**
   * Free text, case-insensitive for ASCII letters (SQLite's built-in lower() folds only those, and
   * both sides go through it). A number matches by its JSON text, which is the JS `String(n)` the
   * record was written with (`->` returns a number's text as stored).
   */
  query(q: NonNullable<SearchPlan['query']>): string {
    const parts: string[] = [];
    for (const t of q.targets) {
      if (t.type === 'timestamp') continue;
      switch (t.kind) {
        case 'text':
          parts.push(`instr(lower(${this.scalar(t)}), lower(${this.bind(q.text)})) > 0`);
          break;
        case 'list':
          parts.push(this.someElement(t.key, (v) => `instr(lower(${v}), lower(${this.bind(q.text)})) > 0`));
          break;
        case 'number':
        case 'money':
          parts.push(`instr(lower(properties -> ${this.path(t.key, t.kind === 'money')}), lower(${this.bind(q.text)})) > 0`);
          break;
        case 'files':
          break;
      }
    }
    return parts.length ? `(${parts.join(' OR ')})` : '0';
  }

  /** ORDER BY: a missing property sorts last in either direction (a timestamp is never missing). */
  orderBy(sort: SortKey[]): string {
    const keys = sort.map((s) => {
      const e = this.scalar(s.target);
      const dir = s.direction === 'asc' ? 'ASC' : 'DESC';
      return s.target.type === 'timestamp' ? `${e} ${dir}` : `${e} ${dir} NULLS LAST`;
    });
    return [...keys, 'id ASC'].join(', ');
  }

  /**
   * Keyset: the rows strictly after (values, id) in the ORDER BY order. Nested as
   * `k1 after v1 OR (k1 = v1 AND (k2 after v2 OR (k2 = v2 AND ... id > ?)))`.
   */
  after(sort: SortKey[], after: NonNullable<SearchPlan['after']>): string {
    let sql = `id > ${this.bind(after.id)}`;
    for (let i = sort.length - 1; i >= 0; i--) {
      const s = sort[i]!;
      const v = after.values[i] ?? null;
      if (v === null) {
        // Nothing sorts after a missing value but other missing values, which tie.
        sql = `(${this.scalar(s.target)} IS NULL AND ${sql})`;
        continue;
      }
      const e = this.scalar(s.target);
      const cmp = s.direction === 'asc' ? '>' : '<';
      const beyond = s.target.type === 'timestamp' ? `${e} ${cmp} ${this.bind(v)}` : `(${e} ${cmp} ${this.bind(bindable(v))} OR ${e} IS NULL)`;
      sql = `(${beyond} OR (${e} = ${this.bind(bindable(v))} AND ${sql}))`;
    }
    return sql;
  }
}

/** The WHERE clause shared by the page and the count; `after` only for the page. */
function whereOf(sql: Sql, plan: SearchPlan, withAfter: boolean): string {
  if (!OBJECT_ID.test(plan.objectId)) throw new Error(`not an object id: ${JSON.stringify(plan.objectId)}`);
  // The object id as a literal: a partial index `WHERE object_id = '<id>'` only qualifies for a query that says the same.
  const parts = [`object_id = '${plan.objectId}'`];
  if (plan.where) parts.push(sql.condition(plan.where));
  if (plan.query) parts.push(sql.query(plan.query));
  if (withAfter && plan.after) parts.push(sql.after(plan.sort, plan.after));
  return parts.join(' AND ');
}

export interface CompiledQuery {
  sql: string;
  params: Record<string, unknown>;
}

/** The SQL of a plan: the page (records, then one column per sort key) and the total. Exported for tests and logs. */
export function compileSearch(plan: SearchPlan): { page: CompiledQuery; count: CompiledQuery } {
  const page = new Sql();
  const sortCols = plan.sort.map((s) => page.scalar(s.target));
  const where = whereOf(page, plan, true);
  const order = page.orderBy(plan.sort);
  const limit = `LIMIT ${page.bind(plan.limit)} OFFSET ${page.bind(plan.offset)}`;
  const cols = [RECORD_COLUMNS, ...sortCols].join(', ');
  const count = new Sql();
  return {
    page: { sql: `SELECT ${cols} FROM records WHERE ${where} ORDER BY ${order} ${limit}`, params: page.params },
    count: { sql: `SELECT count(*) FROM records WHERE ${whereOf(count, plan, false)}`, params: count.params },
  };
}

/** A sort value as a record's `searchAfter` carries it: a timestamp as epoch ms. */
function sortValue(target: Target, v: unknown): SortValue {
  if (target.type === 'timestamp') return Date.parse(v as string);
  return v === null || typeof v === 'string' || typeof v === 'number' ? v : Number(v);
}

export class SqliteSearch {
  /** Optimization: statements by SQL text. The text depends on the plan's shape and object, not its values. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  search(plan: SearchPlan): SearchResult {
    const { page, count } = compileSearch(plan);
    const run = this.db.transaction((): SearchResult => {
      const rows = this.statement(page.sql).raw().all(page.params) as unknown[][];
      const total = this.statement(count.sql).pluck().get(count.params) as number;
      return {
        total,
        records: rows.map((r) => ({ ...rawRecordOf(r), sortValues: plan.sort.map((s, i) => sortValue(s.target, r[RAW_RECORD_COLUMNS + i])) })),
      };
    });
    return run();
  }

  /** SQLite's plan for the page query (`EXPLAIN QUERY PLAN` details): to check which indexes a search uses. */
  explain(plan: SearchPlan): string[] {
    const { page } = compileSearch(plan);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${page.sql}`).all(page.params) as Array<{ detail: string }>).map((r) => r.detail);
  }

  private statement(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (s) {
      // Least recently used goes first: re-inserting moves this one to the end.
      this.statements.delete(text);
    } else {
      s = this.db.prepare(text);
      if (this.statements.size >= STATEMENT_CACHE_MAX) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(text, s);
    return s;
  }
}

/** The name of a field's index: one per field id, so it follows the field whatever happens to its object. */
export function fieldIndexName(fieldId: string): string {
  if (!FIELD_ID.test(fieldId)) throw new Error(`not a field id: ${JSON.stringify(fieldId)}`);
  return `records_f_${fieldId}`;
}

/** Whether a field of this type gets an index: only single values compare by one expression. */
export function isIndexable(dataType: DataType): boolean {
  return dataType !== 'CHECKBOX' && dataType !== 'MULTIPLE_OPTIONS' && dataType !== 'FILE_UPLOAD' && dataType !== 'TEXTBOX_LIST';
}

/**
 * Creates the partial expression index of one field of one object (idempotent); false when the
 * field's type gets none. The key and ids become SQL text here, so each is checked against its
 * pattern first and anything else throws.
 */
export function createFieldIndex(db: Database.Database, objectId: string, field: { id: string; key: string; dataType: DataType }): boolean {
  const name = fieldIndexName(field.id);
  if (!OBJECT_ID.test(objectId)) throw new Error(`not an object id: ${JSON.stringify(objectId)}`);
  if (!INDEX_KEY.test(field.key)) throw new Error(`not an indexable field key: ${JSON.stringify(field.key)}`);
  if (!isIndexable(field.dataType)) return false;
  const path = jsonPath(field.key, field.dataType === 'MONETORY');
  db.exec(`CREATE INDEX IF NOT EXISTS "${name}" ON records (json_extract(properties, '${path}'), id) WHERE object_id = '${objectId}'`);
  return true;
}

/**
 * Refreshes the planner's statistics of the records table and its indexes. Without them SQLite
 * guesses that `object_id = ?` is as selective as `<field> = ?` and often prefers the object's
 * timestamp index, which saves a sort but reads every record of the object. Sampled
 * (analysis_limit), so it costs milliseconds, not a scan of the table.
 */
export function analyzeRecords(db: Database.Database): void {
  db.pragma('analysis_limit = 1000');
  db.exec('ANALYZE records');
}

/** Drops a field's index, if there is one. */
export function dropFieldIndex(db: Database.Database, fieldId: string): void {
  db.exec(`DROP INDEX IF EXISTS "${fieldIndexName(fieldId)}"`);
}
