import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../src/errors.js';
import type { SearchBody } from '../../src/http/schemas/search.js';
import type { DataType } from '../../src/services/field-types.js';
import type { ObjectSchema, SchemaField } from '../../src/services/schema-registry.js';
import {
  SEARCH_DEEP_PAGING_MAX,
  SEARCH_MAX_CONDITIONS,
  SEARCH_MAX_DEPTH,
  SEARCH_MAX_VALUE_LENGTH,
  SEARCH_PAGE_LIMIT_MAX,
  parseSearch,
  searchAfterOf,
  valueKindOf,
} from '../../src/services/search.js';
import type { Condition, SearchPlan, Target, ValueKind } from '../../src/services/search-plan.js';

const OBJECT_ID = '6798a1a18fc746e0eba2ccfe';
const LOCATION = 've9EPM428h8vShlRW1KT';
const REX = '661c06b4ffde146bdb469442';
const AT = '2024-07-11T10:00:00.000Z';

/** One field of every dataType; option fields with two options. */
const FIELDS: Array<[string, DataType]> = [
  ['name', 'TEXT'],
  ['notes', 'LARGE_TEXT'],
  ['weight_kg', 'NUMERICAL'],
  ['phone', 'PHONE'],
  ['price', 'MONETORY'],
  ['vaccines', 'CHECKBOX'],
  ['kind', 'SINGLE_OPTIONS'],
  ['tags', 'MULTIPLE_OPTIONS'],
  ['size', 'RADIO'],
  ['born', 'DATE'],
  ['address', 'TEXTBOX_LIST'],
  ['photos', 'FILE_UPLOAD'],
  ['email', 'EMAIL'],
];

function pet(searchable = ['custom_objects.pet.name', 'custom_objects.pet.weight_kg', 'custom_objects.pet.address']): ObjectSchema {
  const fields = FIELDS.map(
    ([key, dataType], i): SchemaField => ({
      id: `Field${String(i).padStart(15, '0')}`,
      locationId: LOCATION,
      objectId: OBJECT_ID,
      fieldKey: `custom_objects.pet.${key}`,
      key,
      name: key,
      dataType,
      description: null,
      placeholder: null,
      showInForms: true,
      options: ['CHECKBOX', 'SINGLE_OPTIONS', 'MULTIPLE_OPTIONS', 'RADIO', 'TEXTBOX_LIST'].includes(dataType)
        ? [
            { key: 'a', label: 'A' },
            { key: 'b', label: 'B' },
          ]
        : [],
      acceptedFormats: null,
      maxFileLimit: dataType === 'FILE_UPLOAD' ? 2 : null,
      allowCustomOption: false,
      unique: false,
      parentId: null,
      standard: false,
      createdAt: AT,
      updatedAt: AT,
    }),
  );
  return {
    id: OBJECT_ID,
    locationId: LOCATION,
    key: 'custom_objects.pet',
    standard: false,
    type: 'USER_DEFINED',
    labels: { singular: 'Pet', plural: 'Pets' },
    description: null,
    primaryDisplayProperty: 'custom_objects.pet.name',
    searchableProperties: searchable,
    createdAt: AT,
    updatedAt: AT,
    folders: [],
    fields,
    fieldsByKey: new Map(fields.map((f) => [f.key, f])),
    recordJsonTail: '',
  };
}

const PET = pet();
const body = (extra: Partial<SearchBody> = {}): SearchBody => ({ locationId: LOCATION, pageLimit: 10, ...extra });
const prop = (key: string, kind: ValueKind): Target => ({ type: 'property', key, kind });
const UPDATED: Target = { type: 'timestamp', column: 'updatedAt' };
const CREATED: Target = { type: 'timestamp', column: 'createdAt' };
const DEFAULT_SORT = [{ target: UPDATED, direction: 'desc' as const }];

/** The plan of a body with only the given parts differing from the defaults. */
function plan(extra: Partial<SearchPlan>): SearchPlan {
  return { objectId: OBJECT_ID, where: null, query: null, sort: DEFAULT_SORT, after: null, offset: 0, limit: 10, ...extra };
}

function problemsOf(b: unknown, object = PET): string[] {
  try {
    parseSearch(object, b as SearchBody);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.status, 422);
    return err.body.message as string[];
  }
  assert.fail('parseSearch accepted the body');
}

const f = (field: unknown, operator: unknown, value?: unknown) => (value === undefined ? { field, operator } : { field, operator, value });
/** A leaf condition; typed loosely so the tables stay short (the deepEqual checks the shape). */
const leaf = (c: Record<string, unknown>): Condition => ({ kind: 'leaf', ...c }) as Condition;

describe('valueKindOf', () => {
  test('maps every dataType as search-plan.ts describes', () => {
    const kinds = Object.fromEntries(FIELDS.map(([, t]) => [t, valueKindOf(t)]));
    assert.deepEqual(kinds, {
      TEXT: 'text', LARGE_TEXT: 'text', NUMERICAL: 'number', PHONE: 'text', MONETORY: 'money', CHECKBOX: 'list',
      SINGLE_OPTIONS: 'text', MULTIPLE_OPTIONS: 'list', RADIO: 'text', DATE: 'text', TEXTBOX_LIST: 'text', FILE_UPLOAD: 'files', EMAIL: 'text',
    });
  });
});

interface Accepted {
  why: string;
  body: Partial<SearchBody>;
  plan: Partial<SearchPlan>;
}

const ACCEPTED: Accepted[] = [
  { why: 'no filters: every record, newest update first', body: {}, plan: {} },
  { why: 'empty filters, sort and searchAfter are as absent', body: { filters: [], sort: [], searchAfter: [] }, plan: {} },
  { why: 'page turns into an offset', body: { page: 3, pageLimit: 20 }, plan: { offset: 40, limit: 20 } },
  {
    why: 'page * pageLimit at the deep-paging cap',
    body: { page: SEARCH_DEEP_PAGING_MAX / SEARCH_PAGE_LIMIT_MAX, pageLimit: SEARCH_PAGE_LIMIT_MAX },
    plan: { offset: SEARCH_DEEP_PAGING_MAX - SEARCH_PAGE_LIMIT_MAX, limit: SEARCH_PAGE_LIMIT_MAX },
  },
  {
    why: 'one top-level condition is the where itself',
    body: { filters: [f('properties.name', 'eq', 'Rex')] },
    plan: { where: leaf({ op: 'eq', target: prop('name', 'text'), value: 'Rex', negate: false }) },
  },
  {
    why: 'several top-level conditions are ANDed; not_* negate',
    body: { filters: [f('properties.name', 'not_eq', 'Rex'), f('properties.tags', 'not_contains', 'x'), f('properties.photos', 'not_exists')] },
    plan: {
      where: {
        kind: 'and',
        items: [
          leaf({ op: 'eq', target: prop('name', 'text'), value: 'Rex', negate: true }),
          leaf({ op: 'contains', target: prop('tags', 'list'), value: 'x', negate: true }),
          leaf({ op: 'exists', target: prop('photos', 'files'), negate: true }),
        ],
      },
    },
  },
  {
    why: 'groups nest; OR and AND',
    body: {
      filters: [{ group: 'OR', filters: [f('properties.weight_kg', 'range', { gte: 1, lt: 2.5 }), { group: 'AND', filters: [f('properties.price', 'eq', 100), f('properties.kind', 'exists', null)] }] }],
    },
    plan: {
      where: {
        kind: 'or',
        items: [
          leaf({ op: 'range', target: prop('weight_kg', 'number'), range: { gte: 1, lt: 2.5 }, negate: false }),
          {
            kind: 'and',
            items: [leaf({ op: 'eq', target: prop('price', 'money'), value: 100, negate: false }), leaf({ op: 'exists', target: prop('kind', 'text'), negate: false })],
          },
        ],
      },
    },
  },
  {
    why: 'a TEXTBOX_LIST entry is text under <field>.<option>',
    body: { filters: [f('properties.address.a', 'contains', 'Main')] },
    plan: { where: leaf({ op: 'contains', target: prop('address.a', 'text'), value: 'Main', negate: false }) },
  },
  {
    why: 'DATE values are normalised to YYYY-MM-DD (a date-time to its UTC date)',
    body: { filters: [f('properties.born', 'range', { gte: '2020-02-29', lt: '2021-01-01T23:30:00-02:00' })] },
    plan: { where: leaf({ op: 'range', target: prop('born', 'text'), range: { gte: '2020-02-29', lt: '2021-01-02' }, negate: false }) },
  },
  {
    why: 'a DATE is matched by contains as its text',
    body: { filters: [f('properties.born', 'contains', '-07-')] },
    plan: { where: leaf({ op: 'contains', target: prop('born', 'text'), value: '-07-', negate: false }) },
  },
  {
    why: 'timestamps take ISO date-times, dates and epoch ms, compared as ISO text',
    body: { filters: [f('createdAt', 'range', { gt: 1720692000000, lte: '2024-07-12T10:00:00+02:00' }), f('updatedAt', 'not_eq', '2024-07-12')] },
    plan: {
      where: {
        kind: 'and',
        items: [
          leaf({ op: 'range', target: CREATED, range: { gt: '2024-07-11T10:00:00.000Z', lte: '2024-07-12T08:00:00.000Z' }, negate: false }),
          leaf({ op: 'eq', target: UPDATED, value: '2024-07-12T00:00:00.000Z', negate: true }),
        ],
      },
    },
  },
  {
    why: 'text ranges (binary order) and list eq',
    body: { filters: [f('properties.email', 'range', { gte: 'a', lt: 'b' }), f('properties.vaccines', 'eq', 'a')] },
    plan: {
      where: {
        kind: 'and',
        items: [
          leaf({ op: 'range', target: prop('email', 'text'), range: { gte: 'a', lt: 'b' }, negate: false }),
          leaf({ op: 'eq', target: prop('vaccines', 'list'), value: 'a', negate: false }),
        ],
      },
    },
  },
  {
    why: 'sort keys in order, with a searchAfter of epoch ms, number, text and id',
    body: {
      sort: [{ field: 'createdAt', direction: 'asc' }, { field: 'properties.price', direction: 'desc' }, { field: 'properties.name', direction: 'asc' }],
      searchAfter: [1720692000000, 100, null, REX],
    },
    plan: {
      sort: [
        { target: CREATED, direction: 'asc' },
        { target: prop('price', 'money'), direction: 'desc' },
        { target: prop('name', 'text'), direction: 'asc' },
      ],
      after: { values: ['2024-07-11T10:00:00.000Z', 100, null], id: REX },
    },
  },
  {
    why: 'the default sort takes [epoch ms, id], the searchAfter shape the real service documents',
    body: { page: 1, searchAfter: [1738683828372, '67a235b49b289431bcf657f8'] },
    plan: { after: { values: ['2025-02-04T15:43:48.372Z'], id: '67a235b49b289431bcf657f8' } },
  },
  {
    why: 'query: free text over the searchable properties, TEXTBOX_LIST as its entries',
    body: { query: '  Rex  ' },
    plan: { query: { text: 'Rex', targets: [prop('name', 'text'), prop('weight_kg', 'number'), prop('address.a', 'text'), prop('address.b', 'text')] } },
  },
  {
    why: 'query <key>:<text> looks at that searchable property only',
    body: { query: 'name: Buddy' },
    plan: { query: { text: 'Buddy', targets: [prop('name', 'text')] } },
  },
  {
    why: 'a prefix that is not a searchable key is part of the text',
    body: { query: 'email:x@y' },
    plan: { query: { text: 'email:x@y', targets: [prop('name', 'text'), prop('weight_kg', 'number'), prop('address.a', 'text'), prop('address.b', 'text')] } },
  },
  { why: 'an empty or blank query is none', body: { query: '   ' }, plan: {} },
  {
    why: 'nesting exactly at the depth cap',
    body: { filters: [nested(SEARCH_MAX_DEPTH, f('properties.name', 'exists'))] },
    plan: { where: nestedPlan(SEARCH_MAX_DEPTH, leaf({ op: 'exists', target: prop('name', 'text'), negate: false })) },
  },
  {
    why: 'a value exactly at the length cap',
    body: { filters: [f('properties.name', 'eq', 'x'.repeat(SEARCH_MAX_VALUE_LENGTH))] },
    plan: { where: leaf({ op: 'eq', target: prop('name', 'text'), value: 'x'.repeat(SEARCH_MAX_VALUE_LENGTH), negate: false }) },
  },
];

function nested(depth: number, inner: unknown): unknown {
  return depth === 0 ? inner : { group: 'AND', filters: [nested(depth - 1, inner)] };
}
function nestedPlan(depth: number, inner: Condition): Condition {
  return depth === 0 ? inner : { kind: 'and', items: [nestedPlan(depth - 1, inner)] };
}

describe('parseSearch: accepted bodies', () => {
  for (const c of ACCEPTED) {
    test(c.why, () => {
      assert.deepEqual(parseSearch(PET, body(c.body)), plan(c.plan));
    });
  }

  test('a record\'s searchAfter ([...sortValues, id]) is accepted back as the cursor', () => {
    const sortValues = [1720692000000, 12.5, 'Rex'];
    const b = body({ sort: [{ field: 'updatedAt', direction: 'asc' }, { field: 'properties.weight_kg', direction: 'asc' }, { field: 'properties.name', direction: 'desc' }] });
    const next = parseSearch(PET, { ...b, searchAfter: searchAfterOf({ id: REX, sortValues }) });
    assert.deepEqual(next.after, { values: ['2024-07-11T10:00:00.000Z', 12.5, 'Rex'], id: REX });
  });
});

interface Rejected {
  why: string;
  body: unknown;
  messages: string[];
}

const P = 'custom_objects.pet';
const REJECTED: Rejected[] = [
  {
    why: 'a bare name, as the real service refuses',
    body: { filters: [f('oid', 'eq', 'x')] },
    messages: [`filters.0.field "oid" is not a field of ${P}: use properties.<key>, createdAt or updatedAt`],
  },
  { why: 'a bare field key', body: { filters: [f('name', 'eq', 'x')] }, messages: ['filters.0.field must be "properties.name"'] },
  { why: 'an unknown property', body: { filters: [f('properties.colour', 'eq', 'x')] }, messages: [`filters.0.field "properties.colour" is not a field of ${P}`] },
  {
    why: 'a full field key',
    body: { filters: [f('properties.custom_objects.pet.name', 'eq', 'x')] },
    messages: ['filters.0.field must use the field\'s short key "properties.name"'],
  },
  { why: 'a TEXTBOX_LIST as a whole', body: { filters: [f('properties.address', 'eq', 'x')] }, messages: [`filters.0.field "properties.address" is not a field of ${P}`] },
  { why: 'a field that is not a string', body: { filters: [f(3, 'eq', 'x')] }, messages: ['filters.0.field must be a string'] },
  {
    why: 'an unknown operator',
    body: { filters: [f('properties.name', 'like', 'x')] },
    messages: ['filters.0.operator must be one of the following values: eq, not_eq, contains, not_contains, exists, not_exists, range'],
  },
  {
    why: 'unknown operator and field both reported',
    body: { filters: [f('x', 'like', 'x')] },
    messages: [
      'filters.0.operator must be one of the following values: eq, not_eq, contains, not_contains, exists, not_exists, range',
      `filters.0.field "x" is not a field of ${P}: use properties.<key>, createdAt or updatedAt`,
    ],
  },
  { why: 'contains on a number', body: { filters: [f('properties.weight_kg', 'contains', '1')] }, messages: ['filters.0.operator contains does not apply to properties.weight_kg (NUMERICAL)'] },
  { why: 'not_contains on money', body: { filters: [f('properties.price', 'not_contains', '1')] }, messages: ['filters.0.operator not_contains does not apply to properties.price (MONETORY)'] },
  { why: 'range on a list', body: { filters: [f('properties.tags', 'range', { gte: 'a' })] }, messages: ['filters.0.operator range does not apply to properties.tags (MULTIPLE_OPTIONS)'] },
  { why: 'eq on files', body: { filters: [f('properties.photos', 'eq', 'x')] }, messages: ['filters.0.operator eq does not apply to properties.photos (FILE_UPLOAD)'] },
  { why: 'contains on a timestamp', body: { filters: [f('createdAt', 'contains', '2024')] }, messages: ['filters.0.operator contains does not apply to createdAt'] },
  {
    why: 'a string for a number, deep in groups',
    body: { filters: [f('properties.name', 'exists'), { group: 'OR', filters: [f('properties.weight_kg', 'eq', '12')] }] },
    messages: ['filters.1.filters.0.value must be a number for properties.weight_kg (NUMERICAL)'],
  },
  { why: 'a number for text', body: { filters: [f('properties.name', 'eq', 5)] }, messages: ['filters.0.value must be a string for properties.name (TEXT)'] },
  { why: 'eq without a value', body: { filters: [f('properties.name', 'eq')] }, messages: ['filters.0.value must be a string for properties.name (TEXT)'] },
  { why: 'a boolean', body: { filters: [f('properties.kind', 'not_eq', true)] }, messages: ['filters.0.value must be a string for properties.kind (SINGLE_OPTIONS)'] },
  { why: 'null for money', body: { filters: [f('properties.price', 'eq', null)] }, messages: ['filters.0.value must be a number for properties.price (MONETORY)'] },
  { why: 'a bad date', body: { filters: [f('properties.born', 'eq', '2021-02-29')] }, messages: ['filters.0.value must be a date "YYYY-MM-DD" for properties.born (DATE)'] },
  {
    why: 'a bad timestamp',
    body: { filters: [f('updatedAt', 'eq', 'yesterday'), f('createdAt', 'eq', 1.5)] },
    messages: ['filters.0.value must be an ISO 8601 date-time or epoch milliseconds for updatedAt', 'filters.1.value must be an ISO 8601 date-time or epoch milliseconds for createdAt'],
  },
  {
    why: 'a timestamp outside years 0000-9999',
    body: { filters: [f('updatedAt', 'range', { lt: 8.64e15 })] },
    messages: ['filters.0.value.lt must be an ISO 8601 date-time or epoch milliseconds for updatedAt'],
  },
  { why: 'an empty contains', body: { filters: [f('properties.name', 'contains', '')] }, messages: ['filters.0.value should not be empty'] },
  { why: 'contains with a number', body: { filters: [f('properties.tags', 'contains', 1)] }, messages: ['filters.0.value must be a string for properties.tags (MULTIPLE_OPTIONS)'] },
  {
    why: 'a value over the length cap',
    body: { filters: [f('properties.name', 'eq', 'x'.repeat(SEARCH_MAX_VALUE_LENGTH + 1)), f('properties.tags', 'contains', 'y'.repeat(SEARCH_MAX_VALUE_LENGTH + 1))] },
    messages: [`filters.0.value must be shorter than or equal to ${SEARCH_MAX_VALUE_LENGTH} characters`, `filters.1.value must be shorter than or equal to ${SEARCH_MAX_VALUE_LENGTH} characters`],
  },
  { why: 'a value for exists', body: { filters: [f('properties.name', 'not_exists', 'x')] }, messages: ['filters.0.value must not be given for not_exists'] },
  { why: 'a range that is not an object', body: { filters: [f('properties.weight_kg', 'range', 5)] }, messages: ['filters.0.value must be an object with gte, gt, lte or lt'] },
  { why: 'an empty range', body: { filters: [f('properties.weight_kg', 'range', {})] }, messages: ['filters.0.value must have at least one of gte, gt, lte, lt'] },
  {
    why: 'a range with unknown keys',
    body: { filters: [f('properties.weight_kg', 'range', { gte: 1, from: 2, to: 3 })] },
    messages: ['filters.0.value has "from", "to"; a range takes only gte, gt, lte and lt'],
  },
  {
    why: 'range bounds of the wrong type',
    body: { filters: [f('properties.weight_kg', 'range', { gte: '1', lt: 2 }), f('properties.name', 'range', { lte: 3 })] },
    messages: ['filters.0.value.gte must be a number for properties.weight_kg (NUMERICAL)', 'filters.1.value.lte must be a string for properties.name (TEXT)'],
  },
  { why: 'a filter that is not an object', body: { filters: ['name=Rex'] }, messages: ['filters.0 must be an object: {field, operator, value} or {group, filters}'] },
  {
    why: 'a condition with extra keys',
    body: { filters: [{ field: 'properties.name', operator: 'eq', value: 'x', not: true }] },
    messages: ['filters.0 has "not"; a condition takes only field, operator and value'],
  },
  {
    why: 'a bad group',
    body: { filters: [{ group: 'XOR', filters: [f('properties.name', 'exists')] }, { group: 'AND', filters: [] }, { group: 'AND' }, { group: 'OR', filters: [], x: 1 }] },
    messages: [
      'filters.0.group must be one of the following values: AND, OR',
      'filters.1.filters must contain at least 1 elements',
      'filters.2.filters must be an array',
      'filters.3 has "x"; a group takes only group and filters',
    ],
  },
  {
    why: 'nesting past the depth cap',
    body: { filters: [nested(SEARCH_MAX_DEPTH + 1, f('properties.name', 'exists'))] },
    messages: [`filters${'.0.filters'.repeat(SEARCH_MAX_DEPTH)}.0 nests groups more than ${SEARCH_MAX_DEPTH} deep`],
  },
  {
    why: 'too many conditions, reported once',
    body: { filters: Array.from({ length: SEARCH_MAX_CONDITIONS * 3 }, () => f('properties.name', 'bad')) },
    messages: [
      ...Array.from({ length: SEARCH_MAX_CONDITIONS }, (_, i) => `filters.${i}.operator must be one of the following values: eq, not_eq, contains, not_contains, exists, not_exists, range`),
      `filters must contain no more than ${SEARCH_MAX_CONDITIONS} conditions (groups included)`,
    ],
  },
  {
    why: 'groups count as conditions',
    body: { filters: [{ group: 'AND', filters: Array.from({ length: SEARCH_MAX_CONDITIONS }, () => f('properties.name', 'exists')) }] },
    messages: [`filters must contain no more than ${SEARCH_MAX_CONDITIONS} conditions (groups included)`],
  },
  { why: 'pageLimit over the cap', body: { pageLimit: SEARCH_PAGE_LIMIT_MAX + 1 }, messages: [`pageLimit must not be greater than ${SEARCH_PAGE_LIMIT_MAX}`] },
  { why: 'pageLimit below 1', body: { pageLimit: 0 }, messages: ['pageLimit must not be less than 1'] },
  {
    why: 'paging past the deep-paging cap',
    body: { page: SEARCH_DEEP_PAGING_MAX / 50 + 1, pageLimit: 50 },
    messages: [`page * pageLimit must not be greater than ${SEARCH_DEEP_PAGING_MAX}: use searchAfter to page further`],
  },
  { why: 'a query over the length cap', body: { query: 'q'.repeat(SEARCH_MAX_VALUE_LENGTH + 1) }, messages: [`query must be shorter than or equal to ${SEARCH_MAX_VALUE_LENGTH} characters`] },
  {
    why: 'sorting on a list, on files, on a bare name',
    body: { sort: [{ field: 'properties.tags', direction: 'asc' }, { field: 'properties.photos', direction: 'asc' }, { field: 'phone', direction: 'asc' }] },
    messages: [
      'sort.0.field properties.tags (MULTIPLE_OPTIONS) cannot be sorted on',
      'sort.1.field properties.photos (FILE_UPLOAD) cannot be sorted on',
      'sort.2.field must be "properties.phone"',
    ],
  },
  {
    why: 'too many sort keys',
    body: { sort: Array.from({ length: 6 }, () => ({ field: 'createdAt', direction: 'asc' })) },
    messages: ['sort must contain no more than 5 elements'],
  },
  { why: 'a searchAfter of the wrong length', body: { searchAfter: [REX] }, messages: ['searchAfter must have 2 elements (the sort values of the last record, then its id), not 1'] },
  {
    why: 'searchAfter values of the wrong types',
    body: {
      sort: [{ field: 'updatedAt', direction: 'asc' }, { field: 'properties.weight_kg', direction: 'asc' }, { field: 'properties.name', direction: 'asc' }],
      searchAfter: ['2024-07-11T10:00:00.000Z', '12', 3, 'not-an-id'],
    },
    messages: [
      'searchAfter.0 must be epoch milliseconds (an integer) for updatedAt',
      'searchAfter.1 must be a number or null for properties.weight_kg (NUMERICAL)',
      'searchAfter.2 must be a string or null for properties.name (TEXT)',
      'searchAfter.3 must be a record id (24 hex characters)',
    ],
  },
  { why: 'a timestamp searchAfter of null', body: { searchAfter: [null, REX] }, messages: ['searchAfter.0 must be epoch milliseconds (an integer) for updatedAt'] },
  { why: 'searchAfter with a page', body: { page: 2, searchAfter: [1720692000000, REX] }, messages: ['page must be 1 (or left out) when searchAfter is given'] },
];

describe('parseSearch: rejected bodies (422, one message per problem)', () => {
  for (const c of REJECTED) {
    test(c.why, () => {
      assert.deepEqual(problemsOf(body(c.body as Partial<SearchBody>)), c.messages);
    });
  }

  test('a bad sort does not also complain about searchAfter', () => {
    assert.deepEqual(problemsOf(body({ sort: [{ field: 'nope', direction: 'asc' }], searchAfter: [1, REX] })), [
      `sort.0.field "nope" is not a field of ${P}: use properties.<key>, createdAt or updatedAt`,
    ]);
  });

  test('problems of every part are reported together', () => {
    const messages = problemsOf(body({ pageLimit: 1000, query: 'q'.repeat(300), filters: [f('x', 'eq', 1)], sort: [{ field: 'properties.tags', direction: 'asc' }] }));
    assert.equal(messages.length, 4, messages.join('\n'));
  });

  test('a body nested far past the cap is refused without deep recursion', () => {
    let deep: unknown = f('properties.name', 'exists');
    for (let i = 0; i < 100_000; i++) deep = { group: 'AND', filters: [deep] };
    const messages = problemsOf(body({ filters: [deep] }));
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /nests groups more than 5 deep$/);
  });
});

describe('parseSearch: query targets', () => {
  test('a searchable file field is left out; a query with no targets matches nothing', () => {
    const only = pet(['custom_objects.pet.photos']);
    assert.deepEqual(parseSearch(only, body({ query: 'x' })).query, { text: 'x', targets: [] });
  });

  test('list and money searchable properties are targets of their kind', () => {
    const o = pet(['custom_objects.pet.tags', 'custom_objects.pet.price']);
    assert.deepEqual(parseSearch(o, body({ query: 'price:10' })).query, { text: '10', targets: [prop('price', 'money')] });
    assert.deepEqual(parseSearch(o, body({ query: 'a' })).query, { text: 'a', targets: [prop('tags', 'list'), prop('price', 'money')] });
  });
});

describe('parseSearch: any input', () => {
  // Filter-like values: the right keys with wrong, odd or nested values, and plain junk.
  const filterLike = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 4, depthIdentifier: 'junk' },
      fc.anything(),
      fc.record(
        {
          field: fc.oneof(fc.constantFrom('properties.name', 'properties.weight_kg', 'properties.tags', 'properties.photos', 'properties.born', 'createdAt', 'oid'), fc.anything()),
          operator: fc.oneof(fc.constantFrom('eq', 'not_eq', 'contains', 'not_contains', 'exists', 'not_exists', 'range'), fc.anything()),
          value: fc.oneof(fc.anything(), fc.record({ gte: fc.anything(), lt: fc.anything() }, { requiredKeys: [] })),
        },
        { requiredKeys: [] },
      ),
      fc.record({ group: fc.oneof(fc.constantFrom('AND', 'OR'), fc.anything()), filters: fc.oneof(fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'junk' }), fc.anything()) }, { requiredKeys: [] }),
    ),
  })).node;

  test('yields a plan or a 422, never another error', () => {
    fc.assert(
      fc.property(
        fc.array(filterLike, { maxLength: 4 }),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.array(fc.oneof(fc.string(), fc.double(), fc.constant(null)), { maxLength: 3 }), { nil: undefined }),
        fc.integer({ min: 1, max: 200 }),
        (filters, query, searchAfter, pageLimit) => {
          try {
            parseSearch(PET, body({ filters, query, searchAfter, pageLimit }));
          } catch (err) {
            assert.ok(err instanceof ApiError && err.status === 422, String(err));
            assert.ok((err.body.message as string[]).length > 0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
