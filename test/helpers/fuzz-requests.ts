/**
 * fast-check arbitraries of HTTP requests for every route of the README's API table, made from the
 * routes' own schemas (src/http/schemas): values each schema accepts, values it must refuse, and
 * everything around a body (JSON text, content types, sizes, nesting), the headers (Version,
 * Authorization), the path (encoding, dot segments, length, unicode) and the method.
 *
 * Two families:
 * - `refusedRequest`: every request carries at least one defect the contract refuses whatever the
 *   rest holds (bad auth, a body its schema refuses, a body that is no JSON object, a path
 *   parameter of the wrong form or naming nothing, a foreign location). Noise added on top (header
 *   case, extra headers, dot segments, query noise, methods no route has) never lifts a refusal.
 *   A request with one defect and nothing else carries the exact answer that defect decides
 *   (`expect`: 401 with the contract's body, 403, 400, 413, 422).
 * - `anyRequest`: mostly well-formed requests on real ids, valid bodies from the schemas, plus any
 *   of the defects: some succeed and change data.
 */
import fc from 'fast-check';
import type { TSchema } from '@sinclair/typebox';
import { LocationQuery, RequiredLocationQuery } from '../../src/http/schemas/common.js';
import { CreateFieldBody, CreateFolderBody, UpdateFieldBody, UpdateFolderBody } from '../../src/http/schemas/custom-fields.js';
import { CreateObjectBody, GetObjectQuery, UpdateObjectBody } from '../../src/http/schemas/objects.js';
import { CreateRecordBody, UpdateRecordBody } from '../../src/http/schemas/records.js';
import { SearchBodySchema } from '../../src/http/schemas/search.js';
import { contractErrors as E } from './contract-errors.js';
import { A_PET_FIELDS, A_PET_KEY, FIELD, FOLDER, OBJ, REC, USER_A1, USER_A2, VERSION, type RawRequest } from './robustness.js';

type Json = Record<string, unknown>;
type Schema = Json;

/** Where the fuzzer may point: location A's things (B stays out: it is the sentinel). */
export interface FuzzContext {
  locationId: string;
  foreignLocationId: string;
  tokens: {
    full: string;
    oauthFull: string;
    read: string;
    noScope: string[];
    wrongScope: string[];
    revoked: string[];
    expired: string[];
    /** JWTs forged from a real one (alg none, foreign key, tampered payload, HS256 with the public key). */
    forged: string[];
  };
}

export const BODY_LIMIT = 1_048_576;

// ---------------------------------------------------------------------------------------------
// Routes: the README's API table, each with the schemas its route declares
// ---------------------------------------------------------------------------------------------

type ParamKind = 'schemaKey' | 'recordId' | 'objectKey' | 'objectId' | 'fieldId' | 'folderId' | 'fieldObjectKey';
export interface RouteSpec {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  template: string;
  params: Record<string, ParamKind>;
  query?: Schema;
  body?: Schema;
  /** Whether an accepted request of this route changes stored data. */
  write: boolean;
  /** Where `locationId` goes: body, query, or nowhere (then a query one is misplaced). */
  location: 'body' | 'query' | 'none' | 'optional-query';
}

const s = (t: TSchema): Schema => t as unknown as Schema;

export const ROUTES: readonly RouteSpec[] = [
  { name: 'get record', method: 'GET', template: '/objects/{schemaKey}/records/{id}', params: { schemaKey: 'schemaKey', id: 'recordId' }, query: s(LocationQuery), write: false, location: 'optional-query' },
  { name: 'create record', method: 'POST', template: '/objects/{schemaKey}/records', params: { schemaKey: 'schemaKey' }, body: s(CreateRecordBody), write: true, location: 'body' },
  { name: 'update record', method: 'PUT', template: '/objects/{schemaKey}/records/{id}', params: { schemaKey: 'schemaKey', id: 'recordId' }, query: s(RequiredLocationQuery), body: s(UpdateRecordBody), write: true, location: 'query' },
  { name: 'delete record', method: 'DELETE', template: '/objects/{schemaKey}/records/{id}', params: { schemaKey: 'schemaKey', id: 'recordId' }, write: true, location: 'none' },
  { name: 'search records', method: 'POST', template: '/objects/{schemaKey}/records/search', params: { schemaKey: 'schemaKey' }, body: s(SearchBodySchema), write: false, location: 'body' },
  { name: 'list objects', method: 'GET', template: '/objects/', params: {}, query: s(RequiredLocationQuery), write: false, location: 'query' },
  { name: 'get object', method: 'GET', template: '/objects/{key}', params: { key: 'objectKey' }, query: s(GetObjectQuery), write: false, location: 'query' },
  { name: 'create object', method: 'POST', template: '/objects/', params: {}, body: s(CreateObjectBody), write: true, location: 'body' },
  { name: 'update object', method: 'PUT', template: '/objects/{key}', params: { key: 'objectKey' }, body: s(UpdateObjectBody), write: true, location: 'body' },
  { name: 'delete object', method: 'DELETE', template: '/objects/{id}', params: { id: 'objectId' }, query: s(RequiredLocationQuery), write: true, location: 'query' },
  { name: 'create field', method: 'POST', template: '/custom-fields/', params: {}, body: s(CreateFieldBody), write: true, location: 'body' },
  { name: 'get field', method: 'GET', template: '/custom-fields/{id}', params: { id: 'fieldId' }, write: false, location: 'none' },
  { name: 'update field', method: 'PUT', template: '/custom-fields/{id}', params: { id: 'fieldId' }, body: s(UpdateFieldBody), write: true, location: 'body' },
  { name: 'delete field', method: 'DELETE', template: '/custom-fields/{id}', params: { id: 'fieldId' }, write: true, location: 'none' },
  { name: 'list fields', method: 'GET', template: '/custom-fields/object-key/{objectKey}', params: { objectKey: 'fieldObjectKey' }, query: s(RequiredLocationQuery), write: false, location: 'query' },
  { name: 'create folder', method: 'POST', template: '/custom-fields/folder', params: {}, body: s(CreateFolderBody), write: true, location: 'body' },
  { name: 'update folder', method: 'PUT', template: '/custom-fields/folder/{id}', params: { id: 'folderId' }, body: s(UpdateFolderBody), write: true, location: 'body' },
  { name: 'delete folder', method: 'DELETE', template: '/custom-fields/folder/{id}', params: { id: 'folderId' }, query: s(RequiredLocationQuery), write: true, location: 'query' },
];

// ---------------------------------------------------------------------------------------------
// Strings and JSON values
// ---------------------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const NASTY = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\ud83d', '😀', '👩‍👩‍👧', 'é', 'e\u0301', '\u202e', '\ufeff', '\u2028', '\u00a0',
  '%', '%00', '%zz', '..', '.', '/', '\\', '?', '#', '&', '=', '+', '"', "'", '`', '<script>alert(1)</script>', '${x}', '{{x}}',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'null', 'undefined', 'NaN', '-1', '1e309', '0x10', 'true',
  '[]', '{}', 'custom_objects.', 'custom_objects.pet', 'custom_object.pet', 'CUSTOM_OBJECTS.PET', 'business', 'contact', 'opportunity',
  "'; DROP TABLE records; --", '" OR 1=1 --', '\r\n', '\t', '\n\nX-Injected: 1', 'properties.name', '$where', '*', '%s%s%s',
];
export const nasty = fc.constantFrom(...NASTY);

/**
 * One code point of the whole range, surrogates aside (a unit of our own: fast-check's 'binary'
 * and 'grapheme' units cost over a second to build in every thread).
 */
const anyCodePoint = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xd7ff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xffff }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
).map((c) => String.fromCodePoint(c));
const unicodeString = (maxLength: number) => fc.string({ unit: anyCodePoint, maxLength });

/** Any string: printable, full unicode, the nasty ones, lone surrogates and NUL mixed in. */
export const fuzzString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 3, arbitrary: unicodeString(20) },
  { weight: 2, arbitrary: nasty },
  { weight: 2, arbitrary: fc.array(fc.oneof(nasty, unicodeString(4), loneSurrogate), { maxLength: 5 }).map((a) => a.join('')) },
);
/** The same without NUL (a NUL anywhere in a body is refused outright, which hides what follows). */
const cleanString = fuzzString.map((x) => x.replace(/\u0000/g, ''));

const plainKey = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/);
// fast-check's webUrl and emailAddress are built on a unit that costs over a second to build: simpler ones.
const webUrl = fc.tuple(fc.constantFrom('https', 'http', 'ftp', 'javascript'), plainKey, fc.array(plainKey, { maxLength: 3 }), fc.constantFrom('', '.png', '.pdf', '?a=1#x'))
  .map(([scheme, host, parts, end]) => `${scheme}://${host}.example.com/${parts.join('/')}${end}`);
const emailAddress = fc.tuple(plainKey, plainKey, fc.constantFrom('com', 'org', 'co.uk')).map(([user, domain, tld]) => `${user}@${domain}.${tld}`);

export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, 1e308, -1e-308, Number.MAX_SAFE_INTEGER + 2, 2 ** 53),
    cleanString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(plainKey, cleanString), tie('value'), { maxKeys: 4 }),
  ),
})).value;

// ---------------------------------------------------------------------------------------------
// Values a schema accepts, values it refuses
// ---------------------------------------------------------------------------------------------

const OPTION_KEYS: Record<string, string[]> = Object.fromEntries(
  A_PET_FIELDS.filter((f) => 'options' in f).map((f) => [f.fieldKey.split('.').pop()!, (f as unknown as { options: Array<{ key: string }> }).options.map((o) => o.key)]),
);

/** A value for one of A's pet fields: mostly of its type, sometimes not. */
function propertyValue(dataType: string, key: string): fc.Arbitrary<unknown> {
  const options = OPTION_KEYS[key] ?? [];
  const typed: Record<string, fc.Arbitrary<unknown>> = {
    TEXT: cleanString,
    LARGE_TEXT: fc.oneof(cleanString, fc.integer({ min: 11_990, max: 12_010 }).map((n) => 'x'.repeat(n))),
    NUMERICAL: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('12', '1e3')),
    PHONE: fc.oneof(fc.constantFrom('+917000000000', '+1 (415) 555-0123', '+44.20.7946.0958', '12', '+0123', 'phone'), cleanString),
    EMAIL: fc.oneof(emailAddress, cleanString),
    MONETORY: fc.oneof(fc.record({ currency: fc.constantFrom('default', 'USD'), value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant('1')) }), anyJson),
    CHECKBOX: fc.oneof(fc.subarray([...options, 'nope']), fc.record({ add: fc.subarray([...options, 'x']), remove: fc.subarray(options) }, { requiredKeys: [] })),
    SINGLE_OPTIONS: fc.constantFrom(...options, 'nope', ''),
    MULTIPLE_OPTIONS: fc.oneof(fc.subarray([...options, 'nope']), fc.record({ add: fc.subarray(options), remove: fc.subarray([...options, 'x']) }, { requiredKeys: [] })),
    RADIO: cleanString,
    DATE: fc.oneof(
      fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') }).map((d) => d.toISOString()),
      fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') }).map((d) => d.toISOString().slice(0, 10)),
      fc.constantFrom('2024-02-30', '2024-13-01', '99999-01-01', '2024-01-01T25:00:00Z', '0000-00-00'),
    ),
    FILE_UPLOAD: fc.oneof(
      fc.array(fc.record({ url: fc.oneof(webUrl, cleanString), name: cleanString }, { requiredKeys: ['url'] }), { maxLength: 5 }),
      fc.record({ add: fc.array(fc.record({ url: webUrl }), { maxLength: 3 }), remove: fc.array(webUrl, { maxLength: 2 }) }, { requiredKeys: [] }),
    ),
  };
  return fc.oneof({ weight: 8, arbitrary: typed[dataType] ?? anyJson }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: fc.constant(null) });
}

/** `properties` of a record body: A's pet fields (TEXTBOX_LIST as `diet.<option>`), business fields, strangers. */
const recordProperties: fc.Arbitrary<Json> = (() => {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of A_PET_FIELDS) {
    const key = f.fieldKey.split('.').pop()!;
    if (f.dataType === 'TEXTBOX_LIST') {
      for (const k of [`${key}.morning`, `${key}.evening`, key]) model[k] = fc.oneof(cleanString, fc.constant(null), anyJson);
    } else model[key] = propertyValue(f.dataType, key);
  }
  const stranger = fc.tuple(fc.oneof(plainKey, cleanString, fc.constantFrom('diet.nope', 'tier', 'business.name', 'name.x', '__proto__')), anyJson);
  return fc.tuple(fc.record(model, { requiredKeys: [] }), fc.option(stranger, { freq: 4 })).map(([props, extra]) => {
    if (extra) Object.defineProperty(props, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true });
    return props as Json;
  });
})();

const searchFieldName = fc.oneof(
  fc.constantFrom('createdAt', 'updatedAt', 'dateAdded', 'id', 'properties.', 'properties.diet', 'properties.diet.morning', 'custom_objects.pet.name'),
  fc.constantFrom(...A_PET_FIELDS.map((f) => `properties.${f.fieldKey.split('.').pop()}`)),
  cleanString,
);
const searchLeaf = fc.record(
  {
    field: searchFieldName,
    operator: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('eq', 'not_eq', 'contains', 'not_contains', 'exists', 'not_exists', 'range') }, { weight: 1, arbitrary: cleanString }),
    value: fc.oneof(
      anyJson,
      cleanString,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.record({ gte: anyJson, gt: anyJson, lte: anyJson, lt: anyJson }, { requiredKeys: [] }),
      fc.date({ noInvalidDate: true, min: new Date('1970-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString()),
    ),
  },
  { requiredKeys: ['field', 'operator'] },
);
const searchFilters: fc.Arbitrary<unknown[]> = fc.letrec<{ list: unknown[]; item: unknown }>((tie) => ({
  list: fc.array(tie('item'), { maxLength: 4 }),
  item: fc.oneof({ depthSize: 'small', maxDepth: 6 }, searchLeaf, fc.record({ group: fc.constantFrom('AND', 'OR', 'and', 'XOR'), filters: tie('list') }), anyJson),
})).list;

const hintCache = new WeakMap<FuzzContext, Record<string, fc.Arbitrary<unknown>>>();

/** Values by property name, where the schema alone would rarely reach past the first check. */
function hints(ctx: FuzzContext): Record<string, fc.Arbitrary<unknown>> {
  const hit = hintCache.get(ctx);
  if (hit) return hit;
  const made = makeHints(ctx);
  hintCache.set(ctx, made);
  return made;
}

function makeHints(ctx: FuzzContext): Record<string, fc.Arbitrary<unknown>> {
  const objectKeys = fc.constantFrom(A_PET_KEY, 'business', 'custom_objects.temp_one', 'custom_objects.temp_two', 'pet', 'custom_object.pet', 'contact', 'opportunity');
  return {
    locationId: fc.oneof({ weight: 20, arbitrary: fc.constant(ctx.locationId) }, { weight: 1, arbitrary: cleanString }),
    objectKey: fc.oneof({ weight: 6, arbitrary: objectKeys }, { weight: 1, arbitrary: cleanString }),
    parentId: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(FOLDER.aGeneral, FOLDER.aImaging, FOLDER.aSpareOne, FOLDER.aTempOne) }, { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{24}$/) }),
    fieldKey: fc.oneof(
      fc.tuple(objectKeys, plainKey).map(([o, k]) => `${o}.fz_${k}`),
      fc.tuple(objectKeys, cleanString).map(([o, k]) => `${o}.${k}`),
      cleanString,
    ),
    key: fc.oneof(plainKey.map((k) => `custom_objects.fz_${k}`), plainKey.map((k) => `fz_${k}`), fc.constantFrom('custom_objects.pet', 'business', 'contact'), cleanString),
    properties: fc.oneof({ weight: 6, arbitrary: recordProperties }, { weight: 1, arbitrary: fc.dictionary(cleanString, anyJson, { maxKeys: 3 }) }),
    owner: fc.oneof(fc.constant([USER_A1]), fc.constant([]), fc.subarray([USER_A1, USER_A2, 'NotAUserOfThisLocatn', '']), fc.array(cleanString, { maxLength: 3 })),
    followers: fc.oneof(fc.subarray([USER_A1, USER_A2]), fc.array(fc.constantFrom(USER_A1, USER_A2, 'x'), { maxLength: 12 }), fc.array(cleanString, { maxLength: 3 })),
    searchableProperties: fc.oneof(
      fc.subarray(['custom_objects.pet.name', 'custom_objects.pet.owner_email', 'custom_objects.pet.weight_kg', 'custom_objects.pet.chip', 'custom_objects.pet.vaccines', 'custom_objects.temp_one.title']),
      fc.array(cleanString, { maxLength: 4 }),
    ),
    filters: fc.oneof({ weight: 4, arbitrary: searchFilters }, { weight: 1, arbitrary: fc.array(anyJson, { maxLength: 3 }) }),
    field: searchFieldName,
    query: cleanString,
    pageLimit: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: -5, max: 20_000 })),
    page: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: -5, max: 20_000 })),
    dataType: fc.constantFrom('TEXT', 'LARGE_TEXT', 'NUMERICAL', 'PHONE', 'MONETORY', 'CHECKBOX', 'SINGLE_OPTIONS', 'MULTIPLE_OPTIONS', 'RADIO', 'DATE', 'TEXTBOX_LIST', 'FILE_UPLOAD', 'EMAIL'),
    maxFileLimit: fc.oneof(fc.integer({ min: 0, max: 25 }), fc.double()),
  };
}

function types(schema: Schema): string[] {
  const t = schema.type;
  return Array.isArray(t) ? (t as string[]) : typeof t === 'string' ? [t] : [];
}

const validCache = new WeakMap<FuzzContext, WeakMap<Schema, Map<string, fc.Arbitrary<unknown>>>>();

/** A value `schema` accepts (hints steer named properties to values that reach the services). */
export function validFor(schema: Schema, ctx: FuzzContext, name = ''): fc.Arbitrary<unknown> {
  let bySchema = validCache.get(ctx);
  if (!bySchema) validCache.set(ctx, (bySchema = new WeakMap()));
  let byName = bySchema.get(schema);
  if (!byName) bySchema.set(schema, (byName = new Map()));
  let arb = byName.get(name);
  if (!arb) byName.set(name, (arb = makeValid(schema, ctx, name)));
  return arb;
}

function makeValid(schema: Schema, ctx: FuzzContext, name: string): fc.Arbitrary<unknown> {
  const hint = name ? hints(ctx)[name] : undefined;
  if (hint && !(types(schema).includes('object') && schema.properties)) return hint;
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const ts = types(schema);
  if (ts.length > 1) return fc.oneof(...ts.map((t) => validFor({ ...schema, type: t }, ctx)));
  switch (ts[0]) {
    case 'string': {
      if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern as string));
      const min = (schema.minLength as number | undefined) ?? 0;
      const max = Math.min((schema.maxLength as number | undefined) ?? 40, 40);
      return cleanString.filter((x) => x.length >= min && x.length <= max).map((x) => x || 'x'.repeat(min));
    }
    case 'number':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    case 'integer':
      return fc.integer({ min: (schema.minimum as number | undefined) ?? -1000, max: 1000 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (schema.items as Schema | undefined) ?? {};
      return fc.array(validFor(items, ctx), { maxLength: Math.min((schema.maxItems as number | undefined) ?? 4, 4) });
    }
    case 'object': {
      const props = schema.properties as Record<string, Schema> | undefined;
      if (!props) return fc.dictionary(cleanString, anyJson, { maxKeys: 3 });
      const required = (schema.required as string[] | undefined) ?? [];
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) model[k] = validFor(v, ctx, k);
      return fc.record(model, { requiredKeys: required });
    }
    default:
      return anyJson;
  }
}

/** Values of other JSON types than `allowed`. */
function otherType(allowed: string[]): fc.Arbitrary<unknown> {
  const all: Array<[string, fc.Arbitrary<unknown>]> = [
    ['string', fc.oneof(cleanString, fc.constantFrom('1', 'true', 'null', '{}'))],
    ['number', fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))],
    ['integer', fc.integer()],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.array(anyJson, { maxLength: 3 })],
    ['object', fc.dictionary(plainKey, anyJson, { maxKeys: 3 })],
  ];
  const refuses = (t: string) => !allowed.includes(t) && !(t === 'integer' && allowed.includes('number'));
  const candidates = all.filter(([t]) => refuses(t) && !(t === 'number' && allowed.includes('integer')));
  return fc.oneof(...candidates.map(([, a]) => a));
}

/** A value `schema` refuses, or null when it accepts anything. */
export function invalidFor(schema: Schema, ctx: FuzzContext): fc.Arbitrary<unknown> | null {
  const ts = types(schema);
  if (ts.length === 0) return null;
  const options: fc.Arbitrary<unknown>[] = [otherType(ts)];
  if (Array.isArray(schema.enum)) options.push(cleanString.filter((x) => !(schema.enum as unknown[]).includes(x)));
  if (ts.length === 1) {
    switch (ts[0]) {
      case 'string': {
        if (typeof schema.pattern === 'string') {
          const re = new RegExp(schema.pattern as string);
          options.push(fuzzString.filter((x) => !re.test(x)));
        }
        if (typeof schema.minLength === 'number' && schema.minLength > 0) options.push(fc.constant(''));
        if (typeof schema.maxLength === 'number') {
          const max = schema.maxLength as number;
          options.push(fc.integer({ min: max + 1, max: max + 50 }).map((n) => 'y'.repeat(n)));
        }
        break;
      }
      case 'integer':
        options.push(fc.constantFrom(1.5, -0.25, 1e-9));
        if (typeof schema.minimum === 'number') options.push(fc.integer({ min: -1000, max: (schema.minimum as number) - 1 }));
        break;
      case 'array': {
        if (typeof schema.maxItems === 'number') {
          const max = schema.maxItems as number;
          const items = validFor((schema.items as Schema | undefined) ?? {}, ctx);
          options.push(fc.array(items, { minLength: max + 1, maxLength: max + 3 }));
        }
        const bad = schema.items ? invalidFor(schema.items as Schema, ctx) : null;
        if (bad) options.push(fc.tuple(validFor(schema, ctx), bad).map(([arr, x]) => [...(arr as unknown[]), x]));
        break;
      }
      case 'object': {
        const props = schema.properties as Record<string, Schema> | undefined;
        if (!props) break;
        const required = (schema.required as string[] | undefined) ?? [];
        const valid = validFor(schema, ctx) as fc.Arbitrary<Json>;
        if (schema.additionalProperties === false) {
          const extraKey = fc.oneof(plainKey, cleanString, fc.constantFrom('locationid', 'LocationId', 'id', 'objectId', 'access_token')).filter((k) => !(k in props) && k !== '__proto__');
          options.push(fc.tuple(valid, extraKey, anyJson).map(([v, k, x]) => ({ ...v, [k]: x })));
        }
        if (required.length) options.push(fc.tuple(valid, fc.constantFrom(...required)).map(([v, k]) => Object.fromEntries(Object.entries(v).filter(([kk]) => kk !== k))));
        const invalidProps = Object.entries(props)
          .map(([k, p]) => [k, invalidFor(p, ctx)] as const)
          .filter((e): e is readonly [string, fc.Arbitrary<unknown>] => e[1] !== null);
        if (invalidProps.length) {
          options.push(fc.tuple(valid, fc.constantFrom(...invalidProps)).chain(([v, [k, bad]]) => bad.map((x) => ({ ...v, [k]: x }))));
        }
        break;
      }
    }
  }
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/** UTF-8 of any string, lone surrogates as their 3-byte (WTF-8) form, which no decoder accepts. */
export function wtf8(str: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    const next = str.charCodeAt(i + 1);
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Buffer.from(bytes);
}

/** A path segment: percent-encoded (lone surrogates too), or raw bytes where Node lets them through. */
export function encodeSegment(value: string, raw: boolean): string {
  let out = '';
  for (const b of wtf8(value)) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(ch)) out += ch;
    else if (raw && b > 0x20 && b !== 0x7f && ch !== '/' && ch !== '?' && ch !== '#' && ch !== '%') out += ch; // latin1 on the wire: the bytes themselves
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function encodeQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${encodeSegment(k, false)}=${encodeSegment(v, false)}`).join('&');
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
}

const hex24 = fc.stringMatching(/^[0-9a-f]{24}$/);
const short20 = fc.stringMatching(/^[A-Za-z0-9]{20}$/);
const KNOWN_IDS = new Set<string>([...Object.values(OBJ), ...Object.values(FOLDER), ...Object.values(REC), ...Object.values(FIELD), 'AfTempOne00000000000', 'AfTempTwo00000000000']);
const absent24 = hex24.filter((x) => !KNOWN_IDS.has(x));
const absent20 = short20.filter((x) => !KNOWN_IDS.has(x));
const malformed = (re: RegExp) => fc.oneof(fuzzString, fc.stringMatching(/^[0-9A-Fa-f]{20,30}$/), fc.constantFrom('..', '.', 'null', '0', 'x'.repeat(600))).filter((x) => !re.test(x) && x !== '');

const OBJECT_ID = /^[0-9a-f]{24}$/;
const SHORT_ID = /^[A-Za-z0-9]{20}$/;

/** Existing (valid) path values of A that no request deletes (never the sentinel record). */
const existing: Record<ParamKind, fc.Arbitrary<string>> = {
  schemaKey: fc.constantFrom(A_PET_KEY, OBJ.aPet, 'business'),
  recordId: fc.constantFrom(REC.aRex, REC.aMisty, REC.aBiz),
  objectKey: fc.constantFrom(A_PET_KEY, 'pet', OBJ.aPet, 'business', 'contact'),
  objectId: fc.constantFrom(OBJ.aPet),
  fieldId: fc.constantFrom(...A_PET_FIELDS.filter((f) => !f.fieldKey.includes('spare') && !f.fieldKey.endsWith('.chip')).map((f) => f.id as string), FIELD.aTier),
  folderId: fc.constantFrom(FOLDER.aGeneral, FOLDER.aImaging),
  fieldObjectKey: fc.constantFrom(A_PET_KEY, 'business', 'pet', 'contact'),
};

/** What DELETE requests may name: things kept for deleting (not the pet object: its sentinel record must be served at the end). */
const deletable: Record<ParamKind, fc.Arbitrary<string>> = {
  ...existing,
  schemaKey: fc.constantFrom(A_PET_KEY, OBJ.aPet, 'business', 'custom_objects.temp_one', OBJ.aTempTwo),
  recordId: fc.constantFrom(REC.aDelOne, REC.aDelTwo, REC.aBizDel),
  objectId: fc.constantFrom(OBJ.aTempOne, OBJ.aTempTwo),
  fieldId: fc.constantFrom(FIELD.aSpareOne, FIELD.aSpareTwo, FIELD.aChip),
  folderId: fc.constantFrom(FOLDER.aSpareOne, FOLDER.aSpareTwo, FOLDER.aImaging, FOLDER.aTempOne),
};

/** Well-formed path values that name nothing of A (every route answers 404 for them, or 400 for a standard object it does not serve). */
const nothing: Record<ParamKind, fc.Arbitrary<string>> = {
  schemaKey: fc.oneof(plainKey.map((k) => `custom_objects.zz_${k}`), absent24, fc.constantFrom('contact', 'opportunity', 'custom_objects.bravo_vault', 'custom_objects.')),
  recordId: absent24,
  objectKey: fc.oneof(plainKey.map((k) => `custom_objects.zz_${k}`), absent24, fc.constantFrom('custom_objects.bravo_vault')),
  objectId: absent24,
  fieldId: absent20,
  folderId: absent24,
  fieldObjectKey: fc.oneof(plainKey.map((k) => `custom_objects.zz_${k}`), fc.constantFrom('contact', 'opportunity', 'custom_objects.bravo_vault')),
};

/** Could name one of A's objects however the server reads keys (prefix, singular prefix, case, id). */
const mayNameAnObject = (x: string) => /pet|temp|business|contact|opportunit/i.test(x) || /^[0-9a-f]{24}$/i.test(x) || x === '';
const unknownKey = fuzzString.filter((x) => !mayNameAnObject(x));

/** Values refused for their form: 400 (ids), 414 (over 500 characters), or nothing found (keys). */
const wrongForm: Record<ParamKind, fc.Arbitrary<string>> = {
  schemaKey: fc.oneof(unknownKey, fc.constant('k'.repeat(501))),
  recordId: malformed(OBJECT_ID),
  objectKey: fc.oneof(unknownKey, fc.constant('k'.repeat(501))),
  objectId: malformed(OBJECT_ID),
  fieldId: malformed(SHORT_ID),
  folderId: malformed(OBJECT_ID),
  fieldObjectKey: fc.oneof(unknownKey, fc.constant('k'.repeat(501))),
};

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** The answer a request must get when one defect alone decides it (the contract's order of checks). */
export interface Expected {
  status: number;
  /** Compared byte for byte with JSON.stringify of it. */
  body?: unknown;
}

export interface FuzzRequest extends RawRequest {
  /** Route and what was done to it, for the report. */
  label: string;
  /** The route the request was made from (before any path or method noise). */
  route: string;
  expect?: Expected;
}

interface Draft {
  route: RouteSpec;
  params: Record<string, string>;
  rawSegments: boolean;
  query: Array<readonly [string, string]>;
  headers: Record<string, string | string[]>;
  body?: string | Buffer | (() => string | Buffer);
  chunked?: boolean;
  method: string;
  pathNoise: (path: string) => string;
  tags: string[];
  /** Set by a defect that alone decides the answer; any later change drops it. */
  expect?: Expected;
}

function toRequest(d: Draft): FuzzRequest {
  const params = Object.fromEntries(Object.entries(d.params).map(([k, v]) => [k, encodeSegment(v, d.rawSegments)]));
  let path = d.pathNoise(fill(d.route.template, params));
  if (d.query.length) path += `?${encodeQuery(d.query)}`;
  return { method: d.method, path, headers: d.headers, body: d.body, chunked: d.chunked, label: `${d.route.name}: ${d.tags.join(', ') || 'plain'}`, route: d.route.name, expect: d.expect };
}

const latin1 = (x: string) => wtf8(x).toString('latin1').replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');

/** Header values Node's client lets through (raw UTF-8 bytes as latin1, no control characters). */
const headerValue = fuzzString.map(latin1);

function baseHeaders(token: string, withBody: boolean): Record<string, string | string[]> {
  return { Version: VERSION, Authorization: `Bearer ${token}`, ...(withBody ? { 'Content-Type': 'application/json' } : {}) };
}

/** A well-formed draft of `route`: existing ids (mostly), a valid query and body. */
function baseDraft(route: RouteSpec, ctx: FuzzContext, paramSource: 'existing' | 'mixed'): fc.Arbitrary<Draft> {
  const paramArbs: Record<string, fc.Arbitrary<string>> = {};
  const pool = route.method === 'DELETE' ? deletable : existing;
  for (const [name, kind] of Object.entries(route.params)) {
    paramArbs[name] = paramSource === 'existing' ? pool[kind] : fc.oneof({ weight: 6, arbitrary: pool[kind] }, { weight: 1, arbitrary: nothing[kind] }, { weight: 1, arbitrary: wrongForm[kind] });
  }
  const query: fc.Arbitrary<Array<readonly [string, string]>> =
    route.location === 'query'
      ? fc.constant<Array<readonly [string, string]>>([['locationId', ctx.locationId]])
      : route.location === 'optional-query'
        ? fc.constantFrom<Array<readonly [string, string]>>([], [['locationId', ctx.locationId]])
        : fc.constant<Array<readonly [string, string]>>([]);
  const withFetch = route.name === 'get object' ? fc.constantFrom<Array<readonly [string, string]>>([], [['fetchProperties', 'true']], [['fetchProperties', 'false']]) : fc.constant([]);
  const body = route.body ? validFor(route.body, ctx).map((b) => JSON.stringify(b)) : fc.constant(undefined);
  return fc.record({ params: fc.record(paramArbs), query, withFetch, body, rawSegments: fc.boolean() }).map(({ params, query: q, withFetch: wf, body: b, rawSegments }) => ({
    route,
    params,
    rawSegments,
    query: [...q, ...wf],
    headers: baseHeaders(ctx.tokens.full, b !== undefined),
    body: b,
    method: route.method,
    pathNoise: (p: string) => p,
    tags: [],
  }));
}

type Mutation = (d: Draft) => Draft;
const tag = (d: Draft, t: string, change: Partial<Draft>): Draft => ({ ...d, ...change, expect: change.expect, tags: [...d.tags, t] });

function setHeader(d: Draft, name: string, value: string | string[] | undefined): Record<string, string | string[]> {
  const out = Object.fromEntries(Object.entries(d.headers).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));
  if (value !== undefined) out[name] = value;
  return out;
}

/** Defects of Version and Authorization: 401 on every route, whatever else the request holds. */
function authDefect(ctx: FuzzContext, route: RouteSpec): fc.Arbitrary<Mutation> {
  const t = ctx.tokens;
  const bearer = (tok: string) => `Bearer ${tok}`;
  const invalid: Expected = { status: 401, body: E.invalidToken };
  const scope: Expected = { status: 401, body: E.scopeMissing };
  const defects: Array<fc.Arbitrary<Mutation>> = [
    fc.constant((d: Draft) => tag(d, 'no Version', { headers: setHeader(d, 'Version', undefined), expect: { status: 401, body: E.versionMissing } })),
    headerValue.filter((v) => v.trim() !== VERSION).map((v) => (d: Draft) => tag(d, 'bad Version', { headers: setHeader(d, 'Version', v), expect: { status: 401, body: E.versionInvalid } })),
    fc.constantFrom('2023-02-21', '2021-07-27', '2021-07-28,2021-07-28', '2021-07-28;q=1', 'v2021-07-28', '2021-07-28\u00a0').map((v) => (d: Draft) => tag(d, 'other Version', { headers: setHeader(d, 'Version', v), expect: { status: 401, body: E.versionInvalid } })),
    fc.constant((d: Draft) => tag(d, 'duplicate Version', { headers: setHeader(d, 'Version', [VERSION, VERSION]), expect: { status: 401, body: E.versionInvalid } })),
    fc.constant((d: Draft) => tag(d, 'no Authorization', { headers: setHeader(d, 'Authorization', undefined), expect: invalid })),
    fc.constantFrom('Bearer', 'Bearer ', 'Bearer  ', 'Basic ' + t.full, 'Token ' + t.full, t.full, 'Bearer: ' + t.full, 'Bearer ' + t.full + 'x', 'Bearer ' + t.full.toUpperCase(), 'Bearer ' + t.full.slice(0, -1), 'Bearer ' + t.full + ' ' + t.full, 'Bearer pit-', 'Bearer a.b.c', 'Bearer ..', 'Bearer null')
      .map((v) => (d: Draft) => tag(d, 'malformed Authorization', { headers: setHeader(d, 'Authorization', v), expect: invalid })),
    fc.uuid({ version: 4 }).map((u) => (d: Draft) => tag(d, 'unknown PIT', { headers: setHeader(d, 'Authorization', bearer(`pit-${u}`)), expect: invalid })),
    headerValue.map((v) => (d: Draft) => tag(d, 'garbage token', { headers: setHeader(d, 'Authorization', bearer(v)), expect: invalid })),
    fc.constantFrom(...t.revoked).map((v) => (d: Draft) => tag(d, 'revoked token', { headers: setHeader(d, 'Authorization', bearer(v)), expect: invalid })),
    fc.constantFrom(...t.expired).map((v) => (d: Draft) => tag(d, 'expired token', { headers: setHeader(d, 'Authorization', bearer(v)), expect: invalid })),
    fc.constantFrom(...t.forged).map((v) => (d: Draft) => tag(d, 'forged JWT', { headers: setHeader(d, 'Authorization', bearer(v)), expect: invalid })),
    fc.constantFrom(...t.noScope, ...t.wrongScope).map((v) => (d: Draft) => tag(d, 'token without the scope', { headers: setHeader(d, 'Authorization', bearer(v)), expect: scope })),
    fc.oneof(fc.integer({ min: 4_000, max: 16_000 }), fc.integer({ min: 16_000, max: 20_000 })).map((n) => (d: Draft) => tag(d, 'huge Authorization', { headers: setHeader(d, 'Authorization', bearer('A'.repeat(n))) })),
    fc.constantFrom('bearer', 'BEARER', 'BeArEr').chain((scheme) =>
      fc.constantFrom(...t.revoked, ...t.noScope).map((v) => (d: Draft) => tag(d, `${scheme} scheme, refused token`, { headers: setHeader(d, 'Authorization', `${scheme} ${v}`), expect: t.revoked.includes(v) ? invalid : scope })),
    ),
    fc.constantFrom(...t.revoked).map((v) => (d: Draft) => tag(d, 'duplicate Authorization, refused first', { headers: setHeader(d, 'Authorization', [bearer(v), bearer(t.full)]), expect: invalid })),
  ];
  if (route.write) defects.push(fc.constant((d: Draft) => tag(d, 'read-only token on a write', { headers: setHeader(d, 'Authorization', bearer(t.read)), expect: scope })));
  return fc.oneof(...defects);
}

/** Bodies the route's schema refuses, as JSON. */
function invalidBodyDefect(route: RouteSpec, ctx: FuzzContext): fc.Arbitrary<Mutation> | null {
  if (!route.body) return null;
  const bad = invalidFor(route.body, ctx);
  if (!bad) return null;
  return bad.map((b) => (d: Draft) => tag(d, 'body its schema refuses', { body: JSON.stringify(b), headers: setHeader(d, 'Content-Type', 'application/json') }));
}

const BAD_JSON = ['{', '}', '{"a":}', '{"a":1,}', "{'a':1}", '{"a":1}}', '[1,2', 'nul', 'tru', '{"a":"\\x41"}', '{"a":"\\u12"}', '{"a":01}', '{"a":NaN}', '{"a":Infinity}', '{"a":1e}', '"unterminated', '{"a":1}{"b":2}', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":{"__proto__":{"polluted":true}}}'];

/** A nested value `depth` levels deep, with `inner` at the bottom. */
export function deepJson(depth: number, shape: 'array' | 'object', inner: string): string {
  return shape === 'array' ? '['.repeat(depth) + inner + ']'.repeat(depth) : '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}

/** A JSON body of `size` bytes: a valid-looking one with one long string (or long whitespace), built as bytes. */
function bigBody(route: RouteSpec, ctx: FuzzContext, size: number, where: 'string' | 'whitespace'): () => Buffer {
  return () => {
    const [head, tail] =
      where === 'whitespace'
        ? [`{"locationId":${JSON.stringify(ctx.locationId)}`, '}']
        : route.name === 'create record'
          ? [`{"locationId":${JSON.stringify(ctx.locationId)},"properties":{"history":"`, '"}}']
          : [`{"locationId":${JSON.stringify(ctx.locationId)},"name":"`, '"}'];
    const pad = Math.max(0, size - head.length - tail.length);
    return Buffer.concat([Buffer.from(head), Buffer.alloc(pad, where === 'whitespace' ? ' ' : 'h'), Buffer.from(tail)]);
  };
}

/**
 * Bodies that are no JSON object the route can take: bad JSON, NUL, over the size limit, empty,
 * another content type, deep nesting where a scalar belongs. Every one is refused.
 */
function parseDefect(route: RouteSpec, ctx: FuzzContext): fc.Arbitrary<Mutation> | null {
  if (!route.body) return null;
  const validBody = validFor(route.body, ctx) as fc.Arbitrary<Json>;
  const defects: Array<fc.Arbitrary<Mutation>> = [
    fc.constantFrom(...BAD_JSON).map((b) => (d: Draft) => tag(d, 'bad JSON', { body: b, headers: setHeader(d, 'Content-Type', 'application/json'), expect: { status: 400 } })),
    validBody.map((b) => (d: Draft) => tag(d, 'truncated JSON', { body: JSON.stringify(b).slice(0, -1), headers: setHeader(d, 'Content-Type', 'application/json'), expect: { status: 400 } })),
    fc.tuple(validBody, fc.constantFrom('\u0000', 'a\u0000', '\u0000\ud800')).map(([b, nul]) => (d: Draft) => {
      // NUL in a string the body holds (locationId is a string in every body of this family).
      const withNul = { ...b, locationId: `${String(b.locationId ?? ctx.locationId)}${nul}` };
      return tag(d, 'NUL in a string', { body: JSON.stringify(withNul), headers: setHeader(d, 'Content-Type', 'application/json'), expect: { status: 400 } });
    }),
    // Up to the limit (1 MiB included): a value far too long, 422. Past it: 413, with or without a Content-Length.
    fc.tuple(
      fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 100_000, max: BODY_LIMIT }) }, { weight: 1, arbitrary: fc.constantFrom(BODY_LIMIT - 1, BODY_LIMIT) }),
      fc.constantFrom<'string' | 'whitespace'>('string', 'whitespace'),
      fc.boolean(),
    ).map(([size, where, chunked]) => (d: Draft) => tag(d, `huge body (${size} B${chunked ? ', chunked' : ''})`, { body: bigBody(route, ctx, size, where), chunked, headers: setHeader(d, 'Content-Type', 'application/json'), expect: { status: 422 } })),
    fc.tuple(
      fc.oneof({ weight: 4, arbitrary: fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT + 1_000 }) }, { weight: 1, arbitrary: fc.integer({ min: BODY_LIMIT + 1_000, max: 2_500_000 }) }),
      fc.constantFrom<'string' | 'whitespace'>('string', 'whitespace'),
      fc.boolean(),
    ).map(([size, where, chunked]) => (d: Draft) => tag(d, `over the body limit (${size} B${chunked ? ', chunked' : ''})`, { body: bigBody(route, ctx, size, where), chunked, headers: setHeader(d, 'Content-Type', 'application/json'), expect: { status: 413 } })),
    fc.constant((d: Draft) => tag(d, 'empty JSON body', { body: '', headers: setHeader(d, 'Content-Type', 'application/json') })),
    fc.constantFrom('null', '[]', '1', '"text"', 'true', '[{"locationId":"x"}]').map((b) => (d: Draft) => tag(d, 'JSON that is no object', { body: b, headers: setHeader(d, 'Content-Type', 'application/json') })),
    fc.tuple(validBody, fc.constantFrom('text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=XyZ', 'application/xml', 'application/octet-stream', 'application/jsonx', 'json', '*/*', 'text/json'))
      .map(([b, type]) => (d: Draft) => tag(d, `content type ${type.split(';')[0]}`, {
        body: type.startsWith('multipart') ? `--XyZ\r\nContent-Disposition: form-data; name="body"\r\n\r\n${JSON.stringify(b)}\r\n--XyZ--\r\n` : type.includes('urlencoded') ? `locationId=${ctx.locationId}&name=x` : JSON.stringify(b),
        headers: setHeader(d, 'Content-Type', type),
      })),
    validBody.map((b) => (d: Draft) => tag(d, 'no content type', { body: JSON.stringify(b), headers: setHeader(d, 'Content-Type', undefined) })),
    fc.tuple(validBody, fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1_000, max: 10_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 150_000 }) }), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.constantFrom('1', '"\\u0000"', '{"__proto__":{"x":1}}', '"x"'), fc.constantFrom('extra', 'locationId'))
      .map(([b, depth, shape, inner, where]) => (d: Draft) => {
        const json = JSON.stringify(where === 'extra' ? { ...b, zz_deep: 0 } : { ...b, locationId: 0 });
        const marker = where === 'extra' ? '"zz_deep":0' : '"locationId":0';
        const body = json.replace(marker, `${marker.split(':')[0]}:${deepJson(depth, shape, inner)}`);
        return tag(d, `nested ${depth} deep`, { body, headers: setHeader(d, 'Content-Type', 'application/json') });
      }),
  ];
  return fc.oneof(...defects);
}

/** A path parameter of the wrong form or naming nothing, a foreign or misplaced `locationId`. */
function paramDefect(route: RouteSpec, ctx: FuzzContext): fc.Arbitrary<Mutation> {
  const defects: Array<fc.Arbitrary<Mutation>> = [];
  for (const [name, kind] of Object.entries(route.params)) {
    defects.push(wrongForm[kind].map((v) => (d: Draft) => tag(d, `${name} of the wrong form`, { params: { ...d.params, [name]: v } })));
    defects.push(nothing[kind].map((v) => (d: Draft) => tag(d, `${name} naming nothing`, { params: { ...d.params, [name]: v } })));
  }
  const foreign = fc.oneof(fc.constant(ctx.foreignLocationId), fc.stringMatching(/^[A-Za-z0-9]{20}$/).filter((x) => x !== ctx.locationId), cleanString.filter((x) => x !== ctx.locationId));
  defects.push(foreign.map((loc) => (d: Draft) => tag(d, 'foreign locationId in the query', { query: [...d.query.filter(([k]) => k !== 'locationId'), ['locationId', loc] as const], expect: { status: 403, body: E.locationForbidden } })));
  if (route.location === 'query' && route.name !== 'update record') {
    defects.push(fc.constant((d: Draft) => tag(d, 'locationId missing from the query', { query: d.query.filter(([k]) => k !== 'locationId') })));
  }
  if (route.location === 'query' || route.location === 'optional-query') {
    defects.push(fc.constant((d: Draft) => tag(d, 'locationId twice in the query', { query: [...d.query.filter(([k]) => k !== 'locationId'), ['locationId', ctx.locationId] as const, ['locationId', ctx.locationId] as const], expect: { status: 403, body: E.locationForbidden } })));
  }
  if (route.body && route.location === 'body') {
    defects.push(
      fc.tuple(validFor(route.body, ctx) as fc.Arbitrary<Json>, foreign).map(([b, loc]) => (d: Draft) => tag(d, 'foreign locationId in the body', { body: JSON.stringify({ ...b, locationId: loc }), headers: setHeader(d, 'Content-Type', 'application/json') })),
    );
  }
  if (route.name === 'create record') {
    defects.push(fc.constant((d: Draft) => tag(d, 'locationId in the query of a create', { query: [['locationId', ctx.locationId] as const] })));
  }
  if (route.name === 'update record') {
    defects.push(fc.constant((d: Draft) => tag(d, 'locationId in the body of an update', { body: JSON.stringify({ locationId: ctx.locationId, properties: { name: 'moved' } }), headers: setHeader(d, 'Content-Type', 'application/json') })));
    defects.push(fc.constant((d: Draft) => tag(d, 'update without locationId', { query: [] })));
  }
  if (route.name === 'delete record') {
    defects.push(fc.constant((d: Draft) => tag(d, 'locationId in the query of a delete', { query: [['locationId', ctx.locationId] as const] })));
    defects.push(fc.constant((d: Draft) => tag(d, 'locationId in the body of a delete', { body: JSON.stringify({ locationId: ctx.locationId }), headers: setHeader(d, 'Content-Type', 'application/json') })));
  }
  return fc.oneof(...defects);
}

/** Methods no route has: 404 (or 400 from the HTTP parser) on any path. */
const NO_ROUTE_METHODS = ['PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'REPORT', 'MKACTIVITY', 'CHECKOUT', 'MERGE', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LINK', 'UNLINK', 'QUERY'];

/**
 * Changes that never lift a refusal: header case and extra headers, dot segments and doubled
 * slashes (no route has a `..` id), query noise without `locationId`, methods no route has.
 */
function noise(): fc.Arbitrary<Mutation> {
  const upper = (h: Record<string, string | string[]>, f: (k: string) => string) => Object.fromEntries(Object.entries(h).map(([k, v]) => [f(k), v]));
  return fc.oneof(
    fc.constantFrom<(k: string) => string>((k) => k.toLowerCase(), (k) => k.toUpperCase()).map((f) => (d: Draft) => tag(d, 'header names recased', { headers: upper(d.headers, f) })),
    fc.tuple(fc.constantFrom('Accept', 'Accept-Encoding', 'X-Forwarded-For', 'Cookie', 'X-Request-Id', 'Origin', 'Referer', 'User-Agent', 'X-Http-Method-Override', 'Forwarded', 'Expect', 'Content-Encoding'), headerValue)
      .map(([name, value]) => (d: Draft) => {
        if (name === 'Expect') value = '100-continue';
        if (name === 'Content-Encoding') value = 'identity';
        return tag(d, `odd ${name}`, { headers: { ...d.headers, [name]: value } });
      }),
    fc.constantFrom<[string, (p: string) => string]>(
      ['trailing slash', (p) => (p.endsWith('/') ? p : `${p}/`)],
      ['dot segment', (p) => p.replace(/^\/([^/]+)/, '/$1/.')],
      ['dot-dot segment', (p) => p.replace(/^\/([^/]+)/, '/$1/..')],
      ['encoded dot-dot', (p) => p.replace(/^\/([^/]+)/, '/$1/%2e%2e')],
      ['leading dot-dot', (p) => `/..${p}`],
      ['doubled slash', (p) => p.replace(/^\//, '//')],
      ['uppercase path', (p) => p.replace(/[a-z]/g, (c) => c.toUpperCase())],
      ['encoded first letter', (p) => p.replace(/^\/(\w)/, (_, c: string) => `/%${c.charCodeAt(0).toString(16).toUpperCase()}`)],
      ['semicolon parameter', (p) => p.replace(/^\/([^/]+)/, '/$1;jsessionid=1')],
      ['backslash', (p) => p.replace(/^\/([^/]+)\//, '/$1\\')],
    ).map(([name, f]) => (d: Draft) => tag(d, name, { pathNoise: (p) => f(d.pathNoise(p)) })),
    fc.array(fc.tuple(fc.oneof(plainKey, fuzzString, fc.constantFrom('__proto__', 'constructor', 'constructor[prototype][x]', 'a[b]', 'fetchProperties', 'access_token', 'Version')), fuzzString), { minLength: 1, maxLength: 4 })
      .map((pairs) => (d: Draft) => tag(d, 'query noise', { query: [...d.query, ...pairs.filter(([k]) => k !== 'locationId')] })),
    fc.constantFrom(...NO_ROUTE_METHODS).map((m) => (d: Draft) => tag(d, `method ${m}`, { method: m })),
  );
}

/** A request the contract refuses, on any route of the table. */
export function refusedRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const perRoute = ROUTES.map((route) => {
    const defects = [
      { weight: 4, arbitrary: authDefect(ctx, route) },
      { weight: 3, arbitrary: paramDefect(route, ctx) },
      ...(invalidBodyDefect(route, ctx) ? [{ weight: 5, arbitrary: invalidBodyDefect(route, ctx)! }] : []),
      ...(parseDefect(route, ctx) ? [{ weight: 3, arbitrary: parseDefect(route, ctx)! }] : []),
    ];
    return fc
      .tuple(baseDraft(route, ctx, 'existing'), fc.oneof(...defects), fc.array(noise(), { maxLength: 2 }), fc.array(fc.oneof(...defects), { maxLength: 1 }))
      .map(([d, defect, extra, more]) => {
        const done = [...more, ...extra].reduce((acc, m) => m(acc), defect(d));
        // The exact answer is known only when one defect alone decides it.
        return toRequest(more.length + extra.length === 0 ? done : { ...done, expect: undefined });
      });
  });
  return fc.oneof(...perRoute);
}

/**
 * Any request: a well-formed one (real ids mostly, a valid body), or with defects; some succeed
 * and change data. Methods may be swapped for any other, HEAD included; bodies may come in any
 * encoding the wire allows (raw invalid UTF-8, a byte order mark, chunked).
 */
export function anyRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const perRoute = ROUTES.map((route) => {
    const defects: Array<fc.Arbitrary<Mutation>> = [authDefect(ctx, route), paramDefect(route, ctx), noise()];
    const ib = invalidBodyDefect(route, ctx);
    const pd = parseDefect(route, ctx);
    if (ib) defects.push(ib);
    if (pd) defects.push(pd);
    const wire: fc.Arbitrary<Mutation> = fc.oneof(
      fc.constant((d: Draft) => (typeof d.body === 'string' ? tag(d, 'byte order mark', { body: `\ufeff${d.body}` }) : d)),
      fc.constant((d: Draft) => (typeof d.body === 'string' ? tag(d, 'chunked', { chunked: true }) : d)),
      fc.constant((d: Draft) => (typeof d.body === 'string' ? tag(d, 'raw invalid UTF-8', { body: Buffer.concat([Buffer.from(d.body.slice(0, -2)), Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80, 0xc0]), Buffer.from(d.body.slice(-2))]) }) : d)),
      // Not DELETE: a GET of the pet object by id would become its deletion (and its sentinel record's).
      fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'PATCH', 'OPTIONS').map((m) => (d: Draft) => tag(d, `method ${m}`, { method: m })),
      fc.constant((d: Draft) => tag(d, 'OAuth token', { headers: setHeader(d, 'Authorization', `Bearer ${ctx.tokens.oauthFull}`) })),
      fc.constantFrom('bearer', 'BEARER', 'Bearer  ').map((scheme) => (d: Draft) => tag(d, `scheme ${JSON.stringify(scheme)}`, { headers: setHeader(d, 'Authorization', `${scheme} ${ctx.tokens.full}`) })),
      fc.constant((d: Draft) => tag(d, 'body on a bodiless route', { body: d.body ?? JSON.stringify({ locationId: ctx.locationId }), headers: setHeader(d, 'Content-Type', 'application/json') })),
      fc.constantFrom('application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8', 'application/json; charset=latin1', 'application/vnd.api+json').map((type) => (d: Draft) => (d.body === undefined ? d : tag(d, `content type ${type}`, { headers: setHeader(d, 'Content-Type', type) }))),
    );
    return fc
      .tuple(baseDraft(route, ctx, 'mixed'), fc.array(fc.oneof({ weight: 2, arbitrary: wire }, { weight: 3, arbitrary: fc.oneof(...defects) }), { maxLength: 2 }), fc.integer({ min: 0, max: 9 }))
      .map(([d, mutations, roll]) => {
        const done = (roll < 4 ? [] : mutations).reduce((acc, m) => m(acc), d);
        // Path values of any form here: the router may answer first (400, 414), so no exact answer is known.
        return toRequest({ ...done, expect: undefined });
      });
  });
  return fc.oneof(...perRoute);
}
