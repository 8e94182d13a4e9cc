/**
 * Runs a `SearchPlan` (services/search-plan.ts) on PostgreSQL, with the semantics the SQLite
 * search has (store/sqlite/search.ts): one statement yields the page and the total, so both come
 * from one snapshot in one round trip.
 *
 * Every value of the plan is a bound parameter, property keys included (`properties -> $3`).
 * The only SQL text that varies is built from constants here: operators, directions, column
 * names picked from a fixed map, and parameter numbers.
 *
 * How SQLite's behaviour is matched:
 * - Text compares and sorts by bytes (SQLite's BINARY): every text expression is `COLLATE "C"`.
 * - Numbers (and a money value's `value`) compare as exact decimals: jsonb holds them as numeric.
 * - A property that is missing (or JSON null) is SQL NULL. A plain condition on it is NULL, which
 *   filters the row out; a negated one is `NOT coalesce(plain, false)`, so it holds for records
 *   without the property; AND / OR treat NULL as false.
 * - eq on a scalar or list, and exists, are written as jsonb containment (`@>`) and key existence
 *   (`?`): the GIN index on `properties` serves them.
 */
import type { Condition, Leaf, SearchPlan, SortKey, Target } from '../../services/search-plan.js';
import type { SearchResult } from '../store.js';
import { RAW_RECORD_COLUMNS, rawRecordOf } from '../raw-record.js';

export type SortValue = string | number | null;
/** A found record with the values it was sorted by, in `searchAfter` form (timestamps as epoch ms). */
export type SearchHit = SearchResult['records'][number];

/** Runs one statement with bound values; rows as arrays, in column order. */
export type Execute = (text: string, values: unknown[]) => Promise<unknown[][]>;

const OBJECT_ID = /^[0-9a-f]{24}$/;
/** The timestamp columns a target may name: the map is the only way a column name gets into the SQL. */
const TIMESTAMP_COLUMNS = { createdAt: 'created_at', updatedAt: 'updated_at' } as const;
const RECORD_COLUMNS = 'id, owner::text, followers::text, properties::text, created_at, updated_at, created_by::text, last_updated_by::text';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

type ParamType = 'text' | 'numeric' | 'jsonb' | 'bigint';

/** ASCII letters to lower case, nothing else: what SQLite's built-in lower() does. */
const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/** A statement's SQL and its values side by side: `bind` returns the `$n` that stands for a value. */
class Sql {
  readonly values: unknown[] = [];
  /** The same value of the same type is bound once: repeated expressions then read the same. */
  private readonly bound = new Map<string, string>();

  bind(v: unknown, type: ParamType): string {
    const id = `${type}:${JSON.stringify(v)}`;
    let ref = this.bound.get(id);
    if (!ref) {
      this.values.push(v);
      ref = `$${this.values.length}::${type}`;
      this.bound.set(id, ref);
    }
    return ref;
  }

  /** A number value, refused when the plan holds anything else there: it could not compare as SQLite does. */
  number(v: unknown): string {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`a number was expected in the search plan, not ${JSON.stringify(v)}`);
    // String(n) is what JSON.stringify wrote into the record; numeric reads it exactly, exponent included.
    return this.bind(String(v), 'numeric');
  }

  text(v: unknown): string {
    if (typeof v !== 'string') throw new Error(`a string was expected in the search plan, not ${JSON.stringify(v)}`);
    return this.bind(v, 'text');
  }

  /** The jsonb of a property (SQL NULL when missing). */
  private raw(key: string): string {
    return `records.properties -> ${this.bind(key, 'text')}`;
  }

  /**
   * The comparable value of a scalar target, or NULL when missing: text for text (and
   * timestamps), numeric for number and money. A value of another JSON type than the kind's
   * counts as missing for number and money (a cast would fail the whole query).
   */
  scalar(t: Target): string {
    if (t.type === 'timestamp') return `records.${TIMESTAMP_COLUMNS[t.column]}`;
    switch (t.kind) {
      case 'text':
        return `(records.properties ->> ${this.bind(t.key, 'text')}) COLLATE "C"`;
      case 'number':
      case 'money': {
        const v = t.kind === 'money' ? `(${this.raw(t.key)} -> 'value')` : `(${this.raw(t.key)})`;
        return `(CASE WHEN jsonb_typeof(${v}) = 'number' THEN ${v}::numeric END)`;
      }
      default:
        throw new Error(`a ${t.kind} property has no single value`);
    }
  }

  /** A value bound with the type its target's scalar compares with. */
  private operand(t: Target, v: string | number): string {
    if (t.type === 'timestamp') return this.text(v);
    return t.kind === 'number' || t.kind === 'money' ? this.number(v) : this.text(v);
  }

  /** The elements of a list property as text; no rows when it is missing or not an array. */
  private elements(key: string): string {
    const v = this.raw(key);
    return `jsonb_array_elements_text(CASE WHEN jsonb_typeof(${v}) = 'array' THEN ${v} END)`;
  }

  private someElement(key: string, test: (value: string) => string): string {
    return `EXISTS (SELECT 1 FROM ${this.elements(key)} AS e(value) WHERE ${test('e.value')})`;
  }

  /** `properties @> {key: value}`: containment, which the GIN index on properties serves. */
  private contains(key: string, value: unknown): string {
    return `records.properties @> ${this.bind(JSON.stringify({ [key]: value }), 'jsonb')}`;
  }

  /**
   * A condition as SQL that is true, false or NULL; NULL only where a property is missing, and
   * only where that counts as false: no NOT above a leaf that may be NULL (a negated leaf is
   * `NOT coalesce(...)`), and AND/OR keep "NULL acts as false".
   */
  condition(c: Condition): string {
    if (c.kind !== 'leaf') {
      const parts = c.items.map((i) => this.condition(i));
      if (parts.length === 0) return c.kind === 'and' ? 'TRUE' : 'FALSE';
      return `(${parts.join(c.kind === 'and' ? ' AND ' : ' OR ')})`;
    }
    const plain = this.leaf(c);
    return c.negate ? `NOT coalesce(${plain}, FALSE)` : plain;
  }

  private leaf(l: Leaf): string {
    const t = l.target;
    if (t.type === 'timestamp') {
      const col = this.scalar(t);
      switch (l.op) {
        case 'exists':
          return 'TRUE';
        case 'eq':
          return `${col} = ${this.text(l.value)}`;
        case 'contains':
          return `strpos(${col}, ${this.text(l.value)}) > 0`;
        case 'range':
          return this.range(t, l.range);
      }
    }
    switch (l.op) {
      case 'exists': {
        const key = this.bind(t.key, 'text');
        // `?` first: the GIN index finds the candidates, the rest checks the value as SQLite does
        // (a JSON null is missing; a list or file list exists when it has an element).
        switch (t.kind) {
          case 'list':
          case 'files':
            return `(records.properties ? ${key} AND jsonb_typeof(${this.raw(t.key)}) = 'array' AND ${this.raw(t.key)} <> '[]'::jsonb)`;
          case 'money':
            return `(records.properties ? ${key} AND (${this.raw(t.key)} ->> 'value') IS NOT NULL)`;
          default:
            return `(records.properties ? ${key} AND (records.properties ->> ${key}) IS NOT NULL)`;
        }
      }
      case 'eq':
        return this.eq(t, l.value);
      case 'contains':
        // strpos finds characters; in well-formed UTF-8 that is finding bytes, as SQLite's instr().
        if (t.kind === 'list' || t.kind === 'files') return this.someElement(t.key, (v) => `strpos(${v}, ${this.text(l.value)}) > 0`);
        return `strpos(${this.scalar(t)}, ${this.text(l.value)}) > 0`;
      case 'range':
        return this.range(t, l.range);
    }
  }

  /** eq as containment of `{key: value}`; for a list, of `{key: [value]}`: some element equals it. */
  private eq(t: Extract<Target, { type: 'property' }>, value: unknown): string {
    switch (t.kind) {
      case 'list':
        return this.contains(t.key, [this.textValue(value)]);
      case 'money':
        return this.contains(t.key, { value: this.numberValue(value) });
      case 'number':
        return this.contains(t.key, this.numberValue(value));
      case 'text':
        return this.contains(t.key, this.textValue(value));
      case 'files':
        throw new Error('eq does not apply to a file list');
    }
  }

  private textValue(v: unknown): string {
    if (typeof v !== 'string') throw new Error(`a string was expected in the search plan, not ${JSON.stringify(v)}`);
    return v;
  }

  private numberValue(v: unknown): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`a number was expected in the search plan, not ${JSON.stringify(v)}`);
    return v;
  }

  private range(t: Target, range: Extract<Leaf, { op: 'range' }>['range']): string {
    const ops = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;
    const parts: string[] = [];
    for (const k of ['gte', 'gt', 'lte', 'lt'] as const) {
      const v = range[k];
      // scalar() per bound, not once before: with no bound at all, the key would be bound and unused.
      if (v !== undefined) parts.push(`${this.scalar(t)} ${ops[k]} ${this.operand(t, v)}`);
    }
    return parts.length ? `(${parts.join(' AND ')})` : 'TRUE';
  }

  /**
   * Free text, case-insensitive for ASCII letters only, as SQLite's lower(): translate() folds
   * A-Z and nothing else (PostgreSQL's lower() would fold other letters too), and the text is
   * folded the same way here. A number matches by its JSON text.
   */
  query(q: NonNullable<SearchPlan['query']>): string {
    // Bound when first used: a parameter that appears nowhere in the text has no type, and PostgreSQL refuses the statement.
    const needleOf = (): string => this.bind(asciiLower(q.text), 'text');
    const fold = (e: string): string => `translate(${e}, '${UPPER}', '${LOWER}')`;
    const parts: string[] = [];
    for (const t of q.targets) {
      if (t.type === 'timestamp') continue;
      switch (t.kind) {
        case 'text':
          parts.push(`strpos(${fold(this.scalar(t))}, ${needleOf()}) > 0`);
          break;
        case 'list':
          parts.push(this.someElement(t.key, (v) => `strpos(${fold(v)}, ${needleOf()}) > 0`));
          break;
        case 'number':
          parts.push(`strpos(${fold(`(${this.raw(t.key)})::text`)}, ${needleOf()}) > 0`);
          break;
        case 'money':
          parts.push(`strpos(${fold(`(${this.raw(t.key)} -> 'value')::text`)}, ${needleOf()}) > 0`);
          break;
        case 'files':
          break;
      }
    }
    return parts.length ? `(${parts.join(' OR ')})` : 'FALSE';
  }

  /**
   * ORDER BY over `cols` (one expression per sort key, then the id): a missing property sorts
   * last either way; ties by id. Text orders by bytes (`COLLATE "C"`, restated for the outer
   * query's columns).
   */
  orderBy(sort: SortKey[], cols: string[]): string {
    const byBytes = (e: string): string => `${e} COLLATE "C"`;
    const keys = sort.map((s, i) => {
      const numeric = s.target.type === 'property' && (s.target.kind === 'number' || s.target.kind === 'money');
      const e = numeric ? cols[i]! : byBytes(cols[i]!);
      return `${e} ${s.direction === 'asc' ? 'ASC' : 'DESC'}${s.target.type === 'timestamp' ? '' : ' NULLS LAST'}`;
    });
    return [...keys, `${byBytes(cols[sort.length]!)} ASC`].join(', ');
  }

  /**
   * Keyset: the rows strictly after (values, id) in the ORDER BY order. Nested as
   * `k1 after v1 OR (k1 = v1 AND (k2 after v2 OR (k2 = v2 AND ... id > ?)))`.
   */
  after(sort: SortKey[], after: NonNullable<SearchPlan['after']>): string {
    let sql = `records.id > ${this.text(after.id)}`;
    for (let i = sort.length - 1; i >= 0; i--) {
      const s = sort[i]!;
      const v = after.values[i] ?? null;
      const e = this.scalar(s.target);
      if (v === null) {
        // Nothing sorts after a missing value but other missing values, which tie.
        sql = `(${e} IS NULL AND ${sql})`;
        continue;
      }
      const cmp = s.direction === 'asc' ? '>' : '<';
      const b = this.operand(s.target, v);
      const beyond = s.target.type === 'timestamp' ? `${e} ${cmp} ${b}` : `(${e} ${cmp} ${b} OR ${e} IS NULL)`;
      sql = `(${beyond} OR (${e} = ${b} AND ${sql}))`;
    }
    return sql;
  }
}

/** The WHERE clause shared by the page and the count; `after` only for the page. */
function whereOf(sql: Sql, plan: SearchPlan, withAfter: boolean): string {
  if (!OBJECT_ID.test(plan.objectId)) throw new Error(`not an object id: ${JSON.stringify(plan.objectId)}`);
  const parts = [`records.object_id = ${sql.text(plan.objectId)}`];
  if (plan.where) parts.push(sql.condition(plan.where));
  if (plan.query) parts.push(sql.query(plan.query));
  if (withAfter && plan.after) parts.push(sql.after(plan.sort, plan.after));
  return parts.join(' AND ');
}

/**
 * The statement: a one-row count, joined to the page (LEFT JOIN LATERAL, so an empty page still
 * yields the total). The page carries its sort values as s0..sN, and the outer ORDER BY repeats
 * the order over them: a join does not promise to keep a subquery's order.
 */
export function compileSearch(plan: SearchPlan): { text: string; values: unknown[] } {
  if (!Number.isSafeInteger(plan.limit) || plan.limit < 0) throw new Error(`not a page limit: ${plan.limit}`);
  if (!Number.isSafeInteger(plan.offset) || plan.offset < 0) throw new Error(`not an offset: ${plan.offset}`);
  const sql = new Sql();
  const count = whereOf(sql, plan, false);
  const page = whereOf(sql, plan, true);
  const sortExprs = plan.sort.map((s) => sql.scalar(s.target));
  const sortCols = plan.sort.map((_, i) => `s${i}`);
  const innerOrder = sql.orderBy(plan.sort, [...sortExprs, 'records.id']);
  const outerOrder = sql.orderBy(plan.sort, [...sortCols, 'p.id']);
  const selected = [RECORD_COLUMNS, ...sortExprs.map((e, i) => `${e} AS s${i}`)].join(', ');
  const limit = `LIMIT ${sql.bind(plan.limit, 'bigint')} OFFSET ${sql.bind(plan.offset, 'bigint')}`;
  const text =
    `SELECT t.total, p.* FROM (SELECT count(*)::bigint AS total FROM records WHERE ${count}) t ` +
    `LEFT JOIN LATERAL (SELECT ${selected} FROM records WHERE ${page} ORDER BY ${innerOrder} ${limit}) p ON TRUE ` +
    `ORDER BY ${outerOrder}`;
  return { text, values: sql.values };
}

/** A sort value as a record's `searchAfter` carries it: a timestamp as epoch ms, a numeric as a number. */
function sortValue(target: Target, v: unknown): SortValue {
  if (v === null || v === undefined) return null;
  if (target.type === 'timestamp') return Date.parse(v as string);
  // pg returns numeric as text (it may not fit a double); the plan's numbers are doubles anyway.
  if (target.kind === 'number' || target.kind === 'money') return Number(v);
  return v as string;
}

export class PostgresSearch {
  constructor(private readonly execute: Execute) {}

  async search(plan: SearchPlan): Promise<SearchResult> {
    const { text, values } = compileSearch(plan);
    const rows = await this.execute(text, values);
    const total = Number(rows[0]?.[0] ?? 0);
    const records: SearchHit[] = [];
    for (const r of rows) {
      if (r[1] === null) continue; // the count row of an empty page
      // Column 0 is the total; the record follows in RAW_RECORD_COLUMNS order, then the sort values.
      records.push({ ...rawRecordOf(r.slice(1)), sortValues: plan.sort.map((s, i) => sortValue(s.target, r[1 + RAW_RECORD_COLUMNS + i])) });
    }
    return { total, records };
  }

  /** PostgreSQL's plan for a search (EXPLAIN lines): to check which indexes a search uses. */
  async explain(plan: SearchPlan): Promise<string[]> {
    const { text, values } = compileSearch(plan);
    return (await this.execute(`EXPLAIN ${text}`, values)).map((r) => String(r[0]));
  }
}
