/**
 * Runs a `SearchPlan` (services/search-plan.ts) on SQLite: one parameterised query for the page
 * and one for the total, in one read transaction so both see the same data.
 *
 * Both run on the object's value table (object-values.ts): conditions and sorts on a field with a
 * column read that column, and `records` is joined only for the page's records and for conditions
 * on what no column holds (lists, files, TEXTBOX_LIST entries, free text on numbers).
 *
 * Every value of the plan is a bound parameter. What is SQL text is each checked against a strict
 * pattern first: table and column names (from object and field ids), and the JSON path of a
 * property (from its key).
 */
import type Database from 'better-sqlite3';
import type { Condition, Leaf, SearchPlan, SortKey, Target } from '../../services/search-plan.js';
import { RAW_RECORD_COLUMNS, rawRecordOf } from '../raw-record.js';
import type { SearchResult } from '../store.js';
import { jsonPath, type ObjectValues, type ValuesTable } from './object-values.js';

export type SortValue = string | number | null;
/** A found record with the values it was sorted by, in `searchAfter` form (timestamps as epoch ms). */
export type SearchHit = SearchResult['records'][number];

/** Property keys that may stand in SQL text: a field key, or `<textbox list>.<option key>`. No quote can pass. */
const LITERAL_KEY = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_-]+)?$/;
const TIMESTAMP_COLUMNS = { createdAt: 'v.created_at', updatedAt: 'v.updated_at' } as const;
const RECORD_COLUMNS = 'r.id, r.owner, r.followers, r.properties, r.created_at, r.updated_at, r.created_by, r.last_updated_by';
const STATEMENT_CACHE_MAX = 200;
/** A page is first looked for among this many rows per row it needs, in sort order (see `walk`)… */
const WALK_ROWS_PER_ROW = 50;
/** …and never among more than this many rows. */
const WALK_ROWS_MAX = 10_000;

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
  /** Whether some expression reads `records` (alias r), which the count then has to join. */
  usesRecord = false;

  constructor(private readonly table: ValuesTable) {}

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

  /** The stored JSON of the properties: marks the query as needing `records`. */
  private properties(): string {
    this.usesRecord = true;
    return 'r.properties';
  }

  /**
   * The comparable value of a scalar target: its field's column (which holds exactly
   * `json_extract(properties, '$."k"')`), or that expression on `records` when it has none.
   */
  scalar(t: Target): string {
    if (t.type === 'timestamp') return TIMESTAMP_COLUMNS[t.column];
    if (t.kind === 'list' || t.kind === 'files') throw new Error(`a ${t.kind} property has no single value`);
    const column = this.table.columns.get(t.key);
    if (column && column.path === jsonPath(t.key, t.kind === 'money')) return `v.${column.sql}`;
    return `json_extract(${this.properties()}, ${this.path(t.key, t.kind === 'money')})`;
  }

  /**
   * Some element of a list property satisfies `test` (SQL over json_each's `value`). `LIMIT 1`
   * keeps SQLite (3.53) from turning the EXISTS into a join: with the join to `records`, that
   * join yields a row per matching element, and OFFSET counted those, so pages repeated records.
   */
  someElement(key: string, test: (value: string) => string): string {
    return `EXISTS (SELECT 1 FROM json_each(${this.properties()}, ${this.bind(jsonPath(key, false))}) WHERE ${test('value')} LIMIT 1)`;
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
        return list ? `json_array_length(${this.properties()}, ${this.bind(jsonPath(t.key, false))}) > 0` : `${this.scalar(t)} IS NOT NULL`;
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
          parts.push(`instr(lower(${this.properties()} -> ${this.path(t.key, t.kind === 'money')}), lower(${this.bind(q.text)})) > 0`);
          break;
        case 'files':
          break;
      }
    }
    return parts.length ? `(${parts.join(' OR ')})` : '0';
  }

  /** ORDER BY on the value table. */
  orderBy(sort: SortKey[]): string {
    return orderOf(sort, sort.map((s) => this.scalar(s.target)), 'v.id');
  }

  /**
   * Keyset: the rows strictly after (values, id) in the ORDER BY order. Nested as
   * `k1 after v1 OR (k1 = v1 AND (k2 after v2 OR (k2 = v2 AND ... id > ?)))`.
   */
  after(sort: SortKey[], after: NonNullable<SearchPlan['after']>): string {
    let sql = `v.id > ${this.bind(after.id)}`;
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

/** ORDER BY of the sort keys' expressions, then the id: a missing property sorts last in either direction (a timestamp is never missing). */
function orderOf(sort: SortKey[], exprs: string[], id: string): string {
  const keys = sort.map((s, i) => {
    const dir = s.direction === 'asc' ? 'ASC' : 'DESC';
    return s.target.type === 'timestamp' ? `${exprs[i]} ${dir}` : `${exprs[i]} ${dir} NULLS LAST`;
  });
  return [...keys, `${id} ASC`].join(', ');
}

/** The WHERE clause shared by the page and the count; `after` only for the page. */
function whereOf(sql: Sql, plan: SearchPlan, withAfter: boolean): string {
  const parts: string[] = [];
  if (plan.where) parts.push(sql.condition(plan.where));
  if (plan.query) parts.push(sql.query(plan.query));
  if (withAfter && plan.after) parts.push(sql.after(plan.sort, plan.after));
  return parts.length ? parts.join(' AND ') : '1';
}

export interface CompiledQuery {
  sql: string;
  params: Record<string, unknown>;
}

/** `v` first: the value table drives, and each of its rows finds its record by rowid. */
const joined = (table: ValuesTable) => `${table.sql} v CROSS JOIN records r ON r.rowid = v.rid`;

const sameTarget = (a: Target, b: Target): boolean =>
  a.type === 'timestamp' ? b.type === 'timestamp' && a.column === b.column : b.type === 'property' && a.key === b.key && a.kind === b.kind;

/** The conditions of the plan's top-level AND that are on `target` alone (a lone leaf counts as such an AND). */
function leavesOn(where: Condition | null, target: Target): Condition[] {
  const items = where === null ? [] : where.kind === 'and' ? where.items : [where];
  return items.filter((c) => c.kind === 'leaf' && !c.negate && c.op !== 'contains' && sameTarget(c.target, target));
}

/** The page query around `chosen` (which picks and orders the page's value rows): only those rows fetch their records. */
function pageAround(chosen: string, sort: SortKey[]): string {
  const aliases = sort.map((_, i) => `p.s${i}`);
  return `SELECT ${[RECORD_COLUMNS, ...aliases].join(', ')} FROM (${chosen}) p CROSS JOIN records r ON r.rowid = p.rid ORDER BY ${orderOf(sort, aliases, 'p.id')}`;
}

/** What `compileSearch` makes of a plan. */
export interface CompiledSearch {
  page: CompiledQuery;
  count: CompiledQuery;
  /**
   * The page taken from the first rows in sort order only, when the sort allows it: with matches
   * spread through the object, a page of 20 is found among the first few hundred rows, where the
   * page query sorts every match. The caller uses its answer only when it holds every row the
   * page needs, and runs `page` otherwise.
   */
  walk?: CompiledQuery;
}

/**
 * The SQL of a plan on an object's value table: the page (records, then one column per sort key)
 * and the total. The page is chosen and sorted on the value rows alone (joined with `records`
 * only when a condition or sort needs it), and only its rows fetch their records: sorting the
 * matches with their whole records attached cost more than the search itself. Exported for tests and logs.
 */
export function compileSearch(plan: SearchPlan, table: ValuesTable): CompiledSearch {
  if (plan.objectId !== table.objectId) throw new Error(`the plan is for object ${plan.objectId}, the table for ${table.objectId}`);
  const page = new Sql(table);
  const sortCols = plan.sort.map((s) => page.scalar(s.target));
  const where = whereOf(page, plan, true);
  const order = page.orderBy(plan.sort);
  const limit = `LIMIT ${page.bind(plan.limit)} OFFSET ${page.bind(plan.offset)}`;
  const select = `SELECT v.rid, v.id${sortCols.map((c, i) => `, ${c} AS s${i}`).join('')}`;
  const count = new Sql(table);
  const countWhere = whereOf(count, plan, false);
  const compiled: CompiledSearch = {
    page: { sql: pageAround(`${select} FROM ${page.usesRecord ? joined(table) : `${table.sql} v`} WHERE ${where} ORDER BY ${order} ${limit}`, plan.sort), params: page.params },
    count: { sql: `SELECT count(*) FROM ${count.usesRecord ? joined(table) : `${table.sql} v`} WHERE ${countWhere}`, params: count.params },
  };
  const walk = walkOf(plan, table);
  if (walk) compiled.walk = walk;
  return compiled;
}

/**
 * The walk: the page among the first rows of the object in sort order (its index gives them in
 * that order, starting where the conditions on the sort key start). Those first rows are a prefix
 * of the full order, so the matches among them are the first matches of all. Only for one sort
 * key on a column, without a keyset cursor, and near pages.
 */
function walkOf(plan: SearchPlan, table: ValuesTable): CompiledQuery | undefined {
  const wanted = plan.offset + plan.limit;
  const key = plan.sort[0];
  if (plan.sort.length !== 1 || !key || plan.after || wanted * WALK_ROWS_PER_ROW > WALK_ROWS_MAX) return undefined;
  const sql = new Sql(table);
  const sortCol = sql.scalar(key.target);
  if (sql.usesRecord) return undefined;
  const keyed = leavesOn(plan.where, key.target).map((c) => sql.condition(c));
  const first = `SELECT * FROM ${table.sql} v${keyed.length ? ` WHERE ${keyed.join(' AND ')}` : ''} ORDER BY ${sql.orderBy(plan.sort)} LIMIT ${sql.bind(wanted * WALK_ROWS_PER_ROW)}`;
  const where = whereOf(sql, plan, false);
  const from = sql.usesRecord ? `(${first}) v CROSS JOIN records r ON r.rowid = v.rid` : `(${first}) v`;
  const chosen = `SELECT v.rid, v.id, ${sortCol} AS s0 FROM ${from} WHERE ${where} ORDER BY ${sql.orderBy(plan.sort)} LIMIT ${sql.bind(plan.limit)} OFFSET ${sql.bind(plan.offset)}`;
  return { sql: pageAround(chosen, plan.sort), params: sql.params };
}

/** A sort value as a record's `searchAfter` carries it: a timestamp as epoch ms. */
function sortValue(target: Target, v: unknown): SortValue {
  if (target.type === 'timestamp') return Date.parse(v as string);
  return v === null || typeof v === 'string' || typeof v === 'number' ? v : Number(v);
}

export class SqliteSearch {
  /** Optimization: statements by SQL text. The text depends on the plan's shape and object, not its values. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly values: ObjectValues,
    /** Whether to try the walk before the page query (off only to test the page query alone). */
    private readonly walks = true,
  ) {}

  search(plan: SearchPlan): SearchResult {
    const run = this.db.transaction((): SearchResult => {
      const table = this.values.table(plan.objectId);
      // An object without a value table has no records: it was deleted while the request ran.
      if (!table) return { total: 0, records: [] };
      const { page, count, walk } = compileSearch(plan, table);
      const total = this.statement(count.sql).pluck().get(count.params) as number;
      const needed = Math.min(plan.limit, total - plan.offset);
      if (needed <= 0) return { total, records: [] };
      let rows = walk && this.walks && (this.statement(walk.sql).raw().all(walk.params) as unknown[][]);
      if (!rows || rows.length < needed) rows = this.statement(page.sql).raw().all(page.params) as unknown[][];
      return {
        total,
        records: rows.map((r) => ({ ...rawRecordOf(r), sortValues: plan.sort.map((s, i) => sortValue(s.target, r[RAW_RECORD_COLUMNS + i])) })),
      };
    });
    return run();
  }

  /** SQLite's plan for the page query (`EXPLAIN QUERY PLAN` details): to check which indexes a search uses. */
  explain(plan: SearchPlan): string[] {
    const table = this.values.table(plan.objectId);
    if (!table) throw new Error(`object ${plan.objectId} has no value table`);
    const { page } = compileSearch(plan, table);
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
