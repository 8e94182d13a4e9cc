/**
 * Turns a search request body into a `SearchPlan` (search-plan.ts): resolves field names against
 * the object's schema, checks every operator and value, normalises values to the form the plan
 * compares (DATE as YYYY-MM-DD, timestamps as ISO text) and applies the caps. Pure: no I/O.
 */
import { errors } from '../errors.js';
import type { SearchBody } from '../http/schemas/search.js';
import { isObjectId } from '../ids.js';
import { resolveProperty, validDate, type DataType } from './field-types.js';
import type { ObjectSchema, SchemaField } from './schema-registry.js';
import type { Condition, Range, SearchPlan, SortKey, Target, ValueKind } from './search-plan.js';

/** Largest `pageLimit`. The real service's is not documented; 100 is what its clients use and get. */
export const SEARCH_PAGE_LIMIT_MAX = 100;
/** `page * pageLimit` may not pass this: deeper pages need `searchAfter` (the contacts search engine's documented ceiling). */
export const SEARCH_DEEP_PAGING_MAX = 10_000;
/** How many groups may nest inside one another. */
export const SEARCH_MAX_DEPTH = 5;
/** Filter items (conditions and groups) in one search: bounds the size of the query a store runs. */
export const SEARCH_MAX_CONDITIONS = 100;
/** Longest filter value and `query`, in UTF-16 code units. */
export const SEARCH_MAX_VALUE_LENGTH = 255;
export const SEARCH_MAX_SORT_KEYS = 5;
/** The sort when a body gives none: most recently updated first (as the real service answers). */
export const DEFAULT_SORT = [{ field: 'updatedAt', direction: 'desc' }] as const;

export const SEARCH_OPERATORS = ['eq', 'not_eq', 'contains', 'not_contains', 'exists', 'not_exists', 'range'] as const;
type Operator = (typeof SEARCH_OPERATORS)[number];
const RANGE_KEYS = ['gte', 'gt', 'lte', 'lt'] as const;

/** How each dataType's values compare (the kinds are described in search-plan.ts). */
export function valueKindOf(dataType: DataType): ValueKind {
  switch (dataType) {
    case 'NUMERICAL':
      return 'number';
    case 'MONETORY':
      return 'money';
    case 'CHECKBOX':
    case 'MULTIPLE_OPTIONS':
      return 'list';
    case 'FILE_UPLOAD':
      return 'files';
    default:
      return 'text';
  }
}

/** Operators (their plain form) that make sense for each kind of value. */
const FITS: Record<ValueKind | 'timestamp', ReadonlySet<string>> = {
  text: new Set(['eq', 'contains', 'exists', 'range']),
  number: new Set(['eq', 'exists', 'range']),
  money: new Set(['eq', 'exists', 'range']),
  list: new Set(['eq', 'contains', 'exists']),
  files: new Set(['exists']),
  timestamp: new Set(['eq', 'exists', 'range']),
};

/** A field a filter or sort names, with how messages name it. */
interface Resolved {
  target: Target;
  /** `properties.weight_kg (NUMERICAL)` or `createdAt`. */
  label: string;
  /** DATE values are normalised to YYYY-MM-DD; null for timestamps. */
  dataType: DataType | null;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
/** ISO text compares in time order only for years 0000-9999 (toISOString writes others as ±YYYYYY). */
const FOUR_DIGIT_YEAR = /^\d{4}-/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


/** A DATE value as the plan compares it: `YYYY-MM-DD`, or the UTC date of an ISO date-time. */
function toDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = DATE_ONLY.exec(v);
  if (m) return validDate(Number(m[1]), Number(m[2]), Number(m[3])) ? v : undefined;
  const t = DATE_TIME.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) return undefined;
  const iso = new Date(t).toISOString();
  return FOUR_DIGIT_YEAR.test(iso) ? iso.slice(0, 10) : undefined;
}

/** A timestamp value as the plan compares it (ISO text): from an ISO date(-time) or epoch milliseconds. */
function toTimestamp(v: unknown, allowText: boolean): string | undefined {
  let t = NaN;
  if (typeof v === 'number' && Number.isInteger(v)) t = v;
  else if (allowText && typeof v === 'string' && (DATE_TIME.test(v) || DATE_ONLY.test(v))) t = Date.parse(v);
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) return undefined;
  const iso = new Date(t).toISOString();
  return FOUR_DIGIT_YEAR.test(iso) ? iso : undefined;
}

/**
 * The targets a property key of the object addresses, or a problem. `key` is what follows
 * `properties.` (a TEXTBOX_LIST entry is `<field>.<option>`).
 */
function resolveField(object: ObjectSchema, name: unknown, path: string): Resolved | string {
  if (typeof name !== 'string') return `${path} must be a string`;
  if (name === 'createdAt' || name === 'updatedAt') return { target: { type: 'timestamp', column: name }, label: name, dataType: null };
  const fields = object.fieldsByKey;
  if (name.startsWith('properties.')) {
    const key = name.slice('properties.'.length);
    const field = resolveProperty(fields, key);
    if (field) return propertyTarget(field, key);
    const prefix = `${object.key}.`;
    if (key.startsWith(prefix) && resolveProperty(fields, key.slice(prefix.length))) {
      return `${path} must use the field's short key "properties.${key.slice(prefix.length)}"`;
    }
    return `${path} "${name}" is not a field of ${object.key}`;
  }
  if (resolveProperty(fields, name)) return `${path} must be "properties.${name}"`;
  return `${path} "${name}" is not a field of ${object.key}: use properties.<key>, createdAt or updatedAt`;
}

function propertyTarget(field: SchemaField, key: string): Resolved {
  // A TEXTBOX_LIST entry holds one text: it compares as text whatever its field's type says.
  const kind = field.dataType === 'TEXTBOX_LIST' ? 'text' : valueKindOf(field.dataType);
  return { target: { type: 'property', key, kind }, label: `properties.${key} (${field.dataType})`, dataType: field.dataType };
}

const kindOf = (r: Resolved): ValueKind | 'timestamp' => (r.target.type === 'timestamp' ? 'timestamp' : r.target.kind);

/** What a value of the field must be, for messages. */
function expected(r: Resolved): string {
  switch (kindOf(r)) {
    case 'timestamp':
      return 'an ISO 8601 date-time or epoch milliseconds';
    case 'number':
    case 'money':
      return 'a number';
    default:
      return r.dataType === 'DATE' ? 'a date "YYYY-MM-DD"' : 'a string';
  }
}

type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** An eq value or a range bound: the field's type, normalised. */
function comparable(r: Resolved, v: unknown, path: string): Checked<string | number> {
  const wrong: Checked<string | number> = { ok: false, problem: `${path} must be ${expected(r)} for ${r.label}` };
  switch (kindOf(r)) {
    case 'timestamp': {
      const iso = toTimestamp(v, true);
      return iso === undefined ? wrong : { ok: true, value: iso };
    }
    case 'number':
    case 'money':
      return typeof v === 'number' && Number.isFinite(v) ? { ok: true, value: v } : wrong;
    default: {
      if (typeof v !== 'string') return wrong;
      if (v.length > SEARCH_MAX_VALUE_LENGTH) return { ok: false, problem: `${path} must be shorter than or equal to ${SEARCH_MAX_VALUE_LENGTH} characters` };
      if (r.dataType !== 'DATE') return { ok: true, value: v };
      const date = toDate(v);
      return date === undefined ? wrong : { ok: true, value: date };
    }
  }
}

/** A contains value: a non-empty string (a DATE is matched as its text, so it is not normalised). */
function substring(r: Resolved, v: unknown, path: string): Checked<string> {
  if (typeof v !== 'string') return { ok: false, problem: `${path} must be a string for ${r.label}` };
  if (v === '') return { ok: false, problem: `${path} should not be empty` };
  if (v.length > SEARCH_MAX_VALUE_LENGTH) return { ok: false, problem: `${path} must be shorter than or equal to ${SEARCH_MAX_VALUE_LENGTH} characters` };
  return { ok: true, value: v };
}

function range(r: Resolved, v: unknown, path: string, problems: string[]): Range | undefined {
  if (!isPlainObject(v)) {
    problems.push(`${path} must be an object with gte, gt, lte or lt`);
    return undefined;
  }
  const extra = Object.keys(v).filter((k) => !(RANGE_KEYS as readonly string[]).includes(k));
  if (extra.length) {
    problems.push(`${path} has ${extra.map((k) => `"${k}"`).join(', ')}; a range takes only gte, gt, lte and lt`);
    return undefined;
  }
  const out: Range = {};
  let ok = true;
  for (const key of RANGE_KEYS) {
    if (v[key] === undefined) continue;
    const c = comparable(r, v[key], `${path}.${key}`);
    if (c.ok) out[key] = c.value;
    else {
      problems.push(c.problem);
      ok = false;
    }
  }
  if (ok && Object.keys(out).length === 0) {
    problems.push(`${path} must have at least one of gte, gt, lte, lt`);
    return undefined;
  }
  return ok ? out : undefined;
}

/** Walks the filter tree once, collecting every problem; stops at the caps so no body can make it work hard. */
class FilterParser {
  readonly problems: string[] = [];
  private items = 0;
  private overflow = false;

  constructor(private readonly object: ObjectSchema) {}

  list(items: unknown, path: string, depth: number): Condition[] {
    if (!Array.isArray(items)) {
      this.problems.push(`${path} must be an array`);
      return [];
    }
    const out: Condition[] = [];
    for (const [i, item] of items.entries()) {
      if (++this.items > SEARCH_MAX_CONDITIONS) {
        if (!this.overflow) this.problems.push(`filters must contain no more than ${SEARCH_MAX_CONDITIONS} conditions (groups included)`);
        this.overflow = true;
        return out;
      }
      const c = this.item(item, `${path}.${i}`, depth);
      if (c) out.push(c);
    }
    return out;
  }

  private item(item: unknown, path: string, depth: number): Condition | undefined {
    if (!isPlainObject(item)) {
      this.problems.push(`${path} must be an object: {field, operator, value} or {group, filters}`);
      return undefined;
    }
    return 'group' in item || 'filters' in item ? this.group(item, path, depth) : this.leaf(item, path);
  }

  private group(item: Record<string, unknown>, path: string, depth: number): Condition | undefined {
    const extra = Object.keys(item).filter((k) => k !== 'group' && k !== 'filters');
    if (extra.length) {
      this.problems.push(`${path} has ${extra.map((k) => `"${k}"`).join(', ')}; a group takes only group and filters`);
      return undefined;
    }
    if (depth >= SEARCH_MAX_DEPTH) {
      this.problems.push(`${path} nests groups more than ${SEARCH_MAX_DEPTH} deep`);
      return undefined;
    }
    const op = item.group;
    const groupOk = op === 'AND' || op === 'OR';
    if (!groupOk) this.problems.push(`${path}.group must be one of the following values: AND, OR`);
    if (Array.isArray(item.filters) && item.filters.length === 0) {
      this.problems.push(`${path}.filters must contain at least 1 elements`);
      return undefined;
    }
    const items = this.list(item.filters, `${path}.filters`, depth + 1);
    return groupOk ? { kind: op === 'AND' ? 'and' : 'or', items } : undefined;
  }

  private leaf(item: Record<string, unknown>, path: string): Condition | undefined {
    const extra = Object.keys(item).filter((k) => k !== 'field' && k !== 'operator' && k !== 'value');
    if (extra.length) {
      this.problems.push(`${path} has ${extra.map((k) => `"${k}"`).join(', ')}; a condition takes only field, operator and value`);
      return undefined;
    }
    const resolved = resolveField(this.object, item.field, `${path}.field`);
    const operator = item.operator;
    const known = typeof operator === 'string' && (SEARCH_OPERATORS as readonly string[]).includes(operator);
    if (!known) this.problems.push(`${path}.operator must be one of the following values: ${SEARCH_OPERATORS.join(', ')}`);
    if (typeof resolved === 'string') {
      this.problems.push(resolved);
      return undefined;
    }
    if (!known) return undefined;
    const op = operator as Operator;
    const negate = op.startsWith('not_');
    const plain = negate ? op.slice(4) : op;
    if (!FITS[kindOf(resolved)].has(plain)) {
      this.problems.push(`${path}.operator ${op} does not apply to ${resolved.label}`);
      return undefined;
    }
    const target = resolved.target;
    const valuePath = `${path}.value`;
    switch (plain) {
      case 'exists':
        // null is tolerated: clients that always send a value send it for exists too.
        if (item.value !== undefined && item.value !== null) {
          this.problems.push(`${valuePath} must not be given for ${op}`);
          return undefined;
        }
        return { kind: 'leaf', op: 'exists', target, negate };
      case 'range': {
        const r = range(resolved, item.value, valuePath, this.problems);
        return r && { kind: 'leaf', op: 'range', target, range: r, negate: false };
      }
      case 'contains': {
        const c = substring(resolved, item.value, valuePath);
        if (c.ok) return { kind: 'leaf', op: 'contains', target, value: c.value, negate };
        this.problems.push(c.problem);
        return undefined;
      }
      default: {
        const c = comparable(resolved, item.value, valuePath);
        if (c.ok) return { kind: 'leaf', op: 'eq', target, value: c.value, negate };
        this.problems.push(c.problem);
        return undefined;
      }
    }
  }
}

function parseSort(object: ObjectSchema, sort: SearchBody['sort'], problems: string[]): Array<SortKey & { label: string }> | undefined {
  const given = sort === undefined || sort.length === 0 ? DEFAULT_SORT : sort;
  if (given.length > SEARCH_MAX_SORT_KEYS) {
    problems.push(`sort must contain no more than ${SEARCH_MAX_SORT_KEYS} elements`);
    return undefined;
  }
  const out: Array<SortKey & { label: string }> = [];
  for (const [i, s] of given.entries()) {
    const r = resolveField(object, s.field, `sort.${i}.field`);
    if (typeof r === 'string') problems.push(r);
    else if (kindOf(r) === 'list' || kindOf(r) === 'files') problems.push(`sort.${i}.field ${r.label} cannot be sorted on`);
    else if (s.direction !== 'asc' && s.direction !== 'desc') problems.push(`sort.${i}.direction must be one of the following values: asc, desc`);
    else out.push({ target: r.target, direction: s.direction, label: r.label });
  }
  return out.length === given.length ? out : undefined;
}

/** Checks a `searchAfter` against the sort it continues; timestamps come as epoch ms and go into the plan as ISO text. */
function parseAfter(searchAfter: unknown[], sort: Array<SortKey & { label: string }>, problems: string[]): SearchPlan['after'] {
  if (searchAfter.length !== sort.length + 1) {
    problems.push(`searchAfter must have ${sort.length + 1} elements (the sort values of the last record, then its id), not ${searchAfter.length}`);
    return null;
  }
  const values: Array<string | number | null> = [];
  for (const [i, key] of sort.entries()) {
    const v = searchAfter[i];
    const path = `searchAfter.${i}`;
    if (key.target.type === 'timestamp') {
      const iso = toTimestamp(v, false);
      if (iso === undefined) problems.push(`${path} must be epoch milliseconds (an integer) for ${key.label}`);
      else values.push(iso);
    } else if (key.target.kind === 'number' || key.target.kind === 'money') {
      if (v === null || (typeof v === 'number' && Number.isFinite(v))) values.push(v);
      else problems.push(`${path} must be a number or null for ${key.label}`);
    } else if (v === null || typeof v === 'string') values.push(v);
    else problems.push(`${path} must be a string or null for ${key.label}`);
  }
  const id = searchAfter[sort.length];
  if (!isObjectId(id)) problems.push(`searchAfter.${sort.length} must be a record id (24 hex characters)`);
  return isObjectId(id) && values.length === sort.length ? { values, id } : null;
}

/** Property targets a searchable full key (`custom_objects.pet.name`) stands for; a TEXTBOX_LIST stands for its entries. */
function searchableTargets(object: ObjectSchema): Map<string, Target[]> {
  const out = new Map<string, Target[]>();
  const prefix = `${object.key}.`;
  for (const full of object.searchableProperties) {
    const key = full.startsWith(prefix) ? full.slice(prefix.length) : full;
    const field = object.fieldsByKey.get(key);
    if (!field || field.dataType === 'FILE_UPLOAD') continue;
    const targets: Target[] =
      field.dataType === 'TEXTBOX_LIST'
        ? field.options.map((o) => ({ type: 'property', key: `${key}.${o.key}`, kind: 'text' }))
        : [{ type: 'property', key, kind: valueKindOf(field.dataType) }];
    out.set(key, targets);
  }
  return out;
}

/** `query`: free text over every searchable property, or `<key>:<text>` over that one searchable property. */
function parseQuery(object: ObjectSchema, query: string | undefined, problems: string[]): SearchPlan['query'] {
  if (query === undefined) return null;
  if (query.length > SEARCH_MAX_VALUE_LENGTH) {
    problems.push(`query must be shorter than or equal to ${SEARCH_MAX_VALUE_LENGTH} characters`);
    return null;
  }
  const searchable = searchableTargets(object);
  const colon = query.indexOf(':');
  const only = colon > 0 ? searchable.get(query.slice(0, colon).trim()) : undefined;
  const text = (only ? query.slice(colon + 1) : query).trim();
  if (text === '') return null;
  return { text, targets: only ?? [...searchable.values()].flat() };
}

/** Validates a search body against the object's schema; throws a 422 naming every problem. */
export function parseSearch(object: ObjectSchema, body: SearchBody): SearchPlan {
  const problems: string[] = [];
  const page = body.page ?? 1;
  const { pageLimit } = body;
  if (!Number.isInteger(page) || page < 1) problems.push('page must not be less than 1');
  if (!Number.isInteger(pageLimit) || pageLimit < 1) problems.push('pageLimit must not be less than 1');
  else if (pageLimit > SEARCH_PAGE_LIMIT_MAX) problems.push(`pageLimit must not be greater than ${SEARCH_PAGE_LIMIT_MAX}`);
  else if (page * pageLimit > SEARCH_DEEP_PAGING_MAX) {
    problems.push(`page * pageLimit must not be greater than ${SEARCH_DEEP_PAGING_MAX}: use searchAfter to page further`);
  }

  const filters = new FilterParser(object);
  const items = body.filters === undefined ? [] : filters.list(body.filters, 'filters', 0);
  problems.push(...filters.problems);

  const query = parseQuery(object, body.query, problems);
  const sort = parseSort(object, body.sort, problems);

  let after: SearchPlan['after'] = null;
  const searchAfter = body.searchAfter ?? [];
  if (searchAfter.length > 0) {
    // Like Elasticsearch's search_after: the cursor says where the page starts, so a page number would conflict.
    if (body.page !== undefined && body.page !== 1) problems.push('page must be 1 (or left out) when searchAfter is given');
    if (sort) after = parseAfter(searchAfter, sort, problems);
  }

  if (problems.length) throw errors.validation(problems);
  return {
    objectId: object.id,
    where: items.length === 0 ? null : items.length === 1 ? items[0]! : { kind: 'and', items },
    query,
    sort: sort!.map(({ target, direction }) => ({ target, direction })),
    after,
    offset: after ? 0 : (page - 1) * pageLimit,
    limit: pageLimit,
  };
}

/** The `searchAfter` a record carries in a search answer: its sort values (as the store returns them), then its id. */
export function searchAfterOf(record: { id: string; sortValues: ReadonlyArray<string | number | null> }): Array<string | number | null> {
  return [...record.sortValues, record.id];
}
