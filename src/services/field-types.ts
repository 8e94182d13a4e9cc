/**
 * Field data types and the rules for the values a record may hold in them
 * (CONTRACT.md, "Property values by field dataType"). Pure functions: no I/O, no HTTP.
 */

export const DATA_TYPES = [
  'TEXT', 'LARGE_TEXT', 'NUMERICAL', 'PHONE', 'MONETORY', 'CHECKBOX', 'SINGLE_OPTIONS',
  'MULTIPLE_OPTIONS', 'RADIO', 'DATE', 'TEXTBOX_LIST', 'FILE_UPLOAD', 'EMAIL',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** Types whose field carries a list of options. */
export const OPTION_TYPES: ReadonlySet<DataType> = new Set(['CHECKBOX', 'SINGLE_OPTIONS', 'MULTIPLE_OPTIONS', 'RADIO', 'TEXTBOX_LIST']);
/** Types whose value is a list (and which take `{add, remove}` on update). */
export const MULTI_VALUE_TYPES: ReadonlySet<DataType> = new Set(['CHECKBOX', 'MULTIPLE_OPTIONS', 'FILE_UPLOAD']);

export const LARGE_TEXT_MAX = 12_000;
/** A cap on single-line text so that no one value can bloat a record; the real service's is unknown. */
export const TEXT_MAX = 12_000;
export const FILE_LIMIT_DEFAULT = 1;
export const FILE_LIMIT_MAX = 20;

export interface FieldOption {
  key: string;
  label: string;
  url?: string;
}

/** What validation needs to know of a field. */
export interface FieldRules {
  /** Short key: the property name records use (`name`, not `custom_objects.pet.name`). */
  key: string;
  name: string;
  dataType: DataType;
  options: FieldOption[];
  allowCustomOption: boolean;
  maxFileLimit: number | null;
}

export type PropertyValue = string | number | string[] | { currency: string; value: number } | FileValue[];
export interface FileValue {
  url: string;
  name?: string;
}

type Check = { ok: true; value: PropertyValue } | { ok: false; problem: string };
const ok = (value: PropertyValue): Check => ({ ok: true, value });
const bad = (problem: string): Check => ({ ok: false, problem });

const E164 = /^\+[1-9]\d{6,14}$/;
const PHONE_SEPARATORS = /[\s().-]/g;
// Deliberately plain: one @, no spaces, a dot in the domain. RFC 5322 in full accepts addresses no mail system delivers.
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const EMAIL_MAX = 254;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Whether y-m-d is a calendar date. setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999. */
export function validDate(y: number, m: number, d: number): boolean {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/**
 * Each options list's keys, made on its first check rather than on every one. Keyed by the list
 * itself: a field's options are never changed in place, a change makes the field anew.
 */
const optionKeySets = new WeakMap<readonly FieldOption[], ReadonlySet<string>>();

function optionKeys(field: FieldRules): ReadonlySet<string> {
  let keys = optionKeySets.get(field.options);
  if (!keys) {
    keys = new Set(field.options.map((o) => o.key));
    optionKeySets.set(field.options, keys);
  }
  return keys;
}

function checkOptionList(field: FieldRules, path: string, value: unknown): Check {
  if (!Array.isArray(value)) return bad(`${path} must be an array of option keys, not ${describe(value)}`);
  const keys = optionKeys(field);
  const seen = new Set<string>();
  for (const item of value) {
    if (typeof item !== 'string') return bad(`${path} must contain only option keys (strings)`);
    if (!keys.has(item)) return bad(`${path} has "${item}", which is not an option of ${field.name} (${[...keys].join(', ')})`);
    seen.add(item);
  }
  return ok([...seen]);
}

function checkFiles(field: FieldRules, path: string, value: unknown): Check {
  if (!Array.isArray(value)) return bad(`${path} must be an array of files ({"url", "name"?}), not ${describe(value)}`);
  const limit = field.maxFileLimit ?? FILE_LIMIT_DEFAULT;
  if (value.length > limit) return bad(`${path} has ${value.length} files; ${field.name} takes at most ${limit}`);
  const files: FileValue[] = [];
  for (const [i, item] of value.entries()) {
    if (!isPlainObject(item)) return bad(`${path}[${i}] must be an object with a url`);
    const extra = Object.keys(item).filter((k) => k !== 'url' && k !== 'name');
    if (extra.length) return bad(`${path}[${i}] has ${extra.map((k) => `"${k}"`).join(', ')}; a file takes only url and name`);
    if (typeof item.url !== 'string' || !/^https?:\/\/\S+$/.test(item.url)) return bad(`${path}[${i}].url must be an http(s) URL`);
    if (item.name !== undefined && typeof item.name !== 'string') return bad(`${path}[${i}].name must be a string`);
    files.push(item.name === undefined ? { url: item.url } : { url: item.url, name: item.name });
  }
  return ok(files);
}

/**
 * Checks one property value against its field and returns it in stored form
 * (a phone in E.164, a date as YYYY-MM-DD, option lists without duplicates).
 * `path` names the property in messages, e.g. `properties.weight`.
 */
export function checkValue(field: FieldRules, path: string, value: unknown): Check {
  switch (field.dataType) {
    case 'TEXT':
    case 'LARGE_TEXT': {
      if (typeof value !== 'string') return bad(`${path} must be a string`);
      const max = field.dataType === 'LARGE_TEXT' ? LARGE_TEXT_MAX : TEXT_MAX;
      if (value.length > max) return bad(`${path} is ${value.length} characters long; ${field.name} takes at most ${max.toLocaleString('en-US')}`);
      return ok(value);
    }
    case 'NUMERICAL':
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad(`${path} must be a number`);
      return ok(value);
    case 'PHONE': {
      if (typeof value !== 'string') return bad(`${path} must be a string`);
      const phone = value.replace(PHONE_SEPARATORS, '');
      if (!E164.test(phone)) return bad(`${path} must be a phone number in E.164 format with its country code, e.g. +917000000000`);
      return ok(phone);
    }
    case 'EMAIL':
      if (typeof value !== 'string') return bad(`${path} must be a string`);
      if (value.length > EMAIL_MAX || !EMAIL.test(value)) return bad(`${path} must be a valid email address`);
      return ok(value);
    case 'MONETORY': {
      if (!isPlainObject(value)) return bad(`${path} must be an object {"currency": "default", "value": number}`);
      const extra = Object.keys(value).filter((k) => k !== 'currency' && k !== 'value');
      if (extra.length) return bad(`${path} has ${extra.map((k) => `"${k}"`).join(', ')}; it takes only currency and value`);
      if (typeof value.value !== 'number' || !Number.isFinite(value.value)) return bad(`${path}.value must be a number`);
      if (value.currency !== undefined && value.currency !== 'default') return bad(`${path}.currency must be "default" (only the location's currency is supported)`);
      return ok({ currency: 'default', value: value.value });
    }
    case 'CHECKBOX':
    case 'MULTIPLE_OPTIONS':
      return checkOptionList(field, path, value);
    case 'SINGLE_OPTIONS':
    case 'RADIO': {
      if (typeof value !== 'string') return bad(`${path} must be an option key (a string)`);
      if (field.dataType === 'RADIO' && field.allowCustomOption) return ok(value);
      const keys = optionKeys(field);
      if (!keys.has(value)) return bad(`${path} has "${value}", which is not an option of ${field.name} (${[...keys].join(', ')})`);
      return ok(value);
    }
    case 'DATE': {
      if (typeof value !== 'string') return bad(`${path} must be a date, "YYYY-MM-DD"`);
      const m = DATE_ONLY.exec(value);
      if (m) {
        if (!validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return bad(`${path} is not a calendar date`);
        return ok(value);
      }
      const t = DATE_TIME.test(value) ? Date.parse(value) : NaN;
      if (Number.isNaN(t)) return bad(`${path} must be a date, "YYYY-MM-DD" (or an ISO 8601 date-time)`);
      return ok(new Date(t).toISOString().slice(0, 10));
    }
    case 'TEXTBOX_LIST':
      // A TEXTBOX_LIST holds one text per option, each under its own property "<field>.<option>".
      if (typeof value !== 'string') return bad(`${path} must be a string`);
      if (value.length > TEXT_MAX) return bad(`${path} is ${value.length} characters long; it takes at most ${TEXT_MAX.toLocaleString('en-US')}`);
      return ok(value);
    case 'FILE_UPLOAD':
      return checkFiles(field, path, value);
  }
}

/** Finds the field a property key addresses: a field's short key, or `<textbox list>.<option>`. */
export function resolveProperty<F extends FieldRules>(fields: ReadonlyMap<string, F>, key: string): F | undefined {
  const field = fields.get(key);
  if (field) return field.dataType === 'TEXTBOX_LIST' ? undefined : field;
  const dot = key.indexOf('.');
  if (dot <= 0) return undefined;
  const list = fields.get(key.slice(0, dot));
  if (!list || list.dataType !== 'TEXTBOX_LIST') return undefined;
  const option = key.slice(dot + 1);
  return list.options.some((o) => o.key === option) ? list : undefined;
}

/** The message for a property key that addresses no field, pointing at the short key when a full one was sent. */
export function unknownPropertyProblem(fields: ReadonlyMap<string, FieldRules>, objectKey: string, key: string, path: string): string {
  const prefix = `${objectKey}.`;
  return key.startsWith(prefix) && fields.has(key.slice(prefix.length))
    ? `${path}.${key} must use the field's short key "${key.slice(prefix.length)}"`
    : `${path}.${key} is not a field of ${objectKey}`;
}

export interface CheckedProperties {
  values: Record<string, PropertyValue>;
  problems: string[];
}

/**
 * Checks a whole `properties` object of a new record: every key must address a field of the
 * object, every value must fit its field. `null` means "not set" and is left out.
 */
export function checkProperties<F extends FieldRules>(
  fields: ReadonlyMap<string, F>,
  objectKey: string,
  properties: unknown,
  path: string,
): CheckedProperties {
  const values: Record<string, PropertyValue> = {};
  const problems: string[] = [];
  if (!isPlainObject(properties)) {
    problems.push(`${path} must be an object`);
    return { values, problems };
  }
  for (const [key, value] of Object.entries(properties)) {
    const field = resolveProperty(fields, key);
    if (!field) {
      problems.push(unknownPropertyProblem(fields, objectKey, key, path));
      continue;
    }
    if (value === null) continue;
    const checked = checkValue(field, `${path}.${key}`, value);
    if (checked.ok) values[key] = checked.value;
    else problems.push(checked.problem);
  }
  return { values, problems };
}
