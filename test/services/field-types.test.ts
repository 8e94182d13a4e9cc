import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DATA_TYPES,
  checkProperties,
  checkValue,
  resolveProperty,
  type DataType,
  type FieldOption,
  type FieldRules,
} from '../../src/services/field-types.js';

/** A field of the given type, named after its type so messages are predictable. */
function field(dataType: DataType, extra: Partial<FieldRules> = {}): FieldRules {
  return { key: 'f', name: 'Field', dataType, options: [], allowCustomOption: false, maxFileLimit: null, ...extra };
}

const ABC: FieldOption[] = [
  { key: 'a', label: 'A' },
  { key: 'b', label: 'B' },
  { key: 'c', label: 'C' },
];

const long = (n: number) => 'x'.repeat(n);

interface Accepted {
  dataType: DataType;
  extra?: Partial<FieldRules>;
  value: unknown;
  /** The stored form; the value itself when absent. */
  stored?: unknown;
  why: string;
}

const ACCEPTED: Accepted[] = [
  { dataType: 'TEXT', value: 'Rex', why: 'a string' },
  { dataType: 'TEXT', value: '', why: 'an empty string' },
  { dataType: 'TEXT', value: long(12_000), why: 'exactly 12,000 characters' },
  { dataType: 'LARGE_TEXT', value: long(12_000), why: 'exactly 12,000 characters' },
  { dataType: 'LARGE_TEXT', value: 'line 1\nline 2', why: 'several lines' },
  { dataType: 'NUMERICAL', value: 31.5, why: 'a decimal' },
  { dataType: 'NUMERICAL', value: 0, why: 'zero' },
  { dataType: 'NUMERICAL', value: -7, why: 'a negative number' },
  { dataType: 'PHONE', value: '+917000000000', why: 'E.164 already' },
  { dataType: 'PHONE', value: '+1 (415) 555-0123', stored: '+14155550123', why: 'spaces, parentheses and dashes stripped' },
  { dataType: 'PHONE', value: '+44.20.7946.0958', stored: '+442079460958', why: 'dots stripped' },
  { dataType: 'EMAIL', value: 'rex.owner@example.com', why: 'a plain address' },
  { dataType: 'EMAIL', value: 'a+tag@mail.example.co.uk', why: 'a tag and a subdomain' },
  { dataType: 'MONETORY', value: { currency: 'default', value: 100 }, why: 'currency and value' },
  { dataType: 'MONETORY', value: { value: 12.5 }, stored: { currency: 'default', value: 12.5 }, why: 'currency defaulted' },
  { dataType: 'CHECKBOX', extra: { options: ABC }, value: ['a', 'c'], why: 'known option keys' },
  { dataType: 'CHECKBOX', extra: { options: ABC }, value: ['a', 'b', 'a', 'b'], stored: ['a', 'b'], why: 'duplicates dropped' },
  { dataType: 'CHECKBOX', extra: { options: ABC }, value: [], why: 'an empty list' },
  { dataType: 'MULTIPLE_OPTIONS', extra: { options: ABC }, value: ['c', 'c'], stored: ['c'], why: 'duplicates dropped' },
  { dataType: 'SINGLE_OPTIONS', extra: { options: ABC }, value: 'b', why: 'a known option key' },
  { dataType: 'RADIO', extra: { options: ABC }, value: 'a', why: 'a known option key' },
  { dataType: 'RADIO', extra: { options: ABC, allowCustomOption: true }, value: 'tiny', why: 'any string with allowCustomOption' },
  { dataType: 'DATE', value: '2024-02-29', why: 'a leap day' },
  { dataType: 'DATE', value: '2024-07-11T10:00:00.000Z', stored: '2024-07-11', why: 'a UTC date-time becomes its date' },
  { dataType: 'DATE', value: '2024-07-11T23:30:00-05:00', stored: '2024-07-12', why: 'an offset date-time becomes its UTC date' },
  { dataType: 'DATE', value: '2024-07-11T01:00+02:00', stored: '2024-07-10', why: 'a date-time without seconds' },
  { dataType: 'TEXTBOX_LIST', extra: { options: ABC }, value: 'Dry food, 200 g', why: 'a string' },
  { dataType: 'FILE_UPLOAD', value: [{ url: 'https://example.com/a.png' }], why: 'one file without a name' },
  {
    dataType: 'FILE_UPLOAD',
    extra: { maxFileLimit: 2 },
    value: [{ url: 'https://example.com/a.png', name: 'a.png' }, { url: 'http://example.com/b.png' }],
    why: 'as many files as maxFileLimit',
  },
];

interface Refused {
  dataType: DataType;
  extra?: Partial<FieldRules>;
  value: unknown;
  /** Exact message, for the path `properties.f`. */
  problem: string;
  why: string;
}

const P = 'properties.f';

const REFUSED: Refused[] = [
  { dataType: 'TEXT', value: 12, problem: `${P} must be a string`, why: 'a number' },
  { dataType: 'TEXT', value: null, problem: `${P} must be a string`, why: 'null (checkValue itself takes no null)' },
  { dataType: 'TEXT', value: long(12_001), problem: `${P} is 12001 characters long; Field takes at most 12,000`, why: 'over 12,000 characters' },
  { dataType: 'LARGE_TEXT', value: ['a'], problem: `${P} must be a string`, why: 'an array' },
  { dataType: 'LARGE_TEXT', value: long(12_001), problem: `${P} is 12001 characters long; Field takes at most 12,000`, why: 'over 12,000 characters' },
  { dataType: 'NUMERICAL', value: '12', problem: `${P} must be a number`, why: 'a numeric string is not coerced' },
  { dataType: 'NUMERICAL', value: Number.NaN, problem: `${P} must be a number`, why: 'NaN' },
  { dataType: 'NUMERICAL', value: Number.POSITIVE_INFINITY, problem: `${P} must be a number`, why: 'Infinity' },
  { dataType: 'NUMERICAL', value: true, problem: `${P} must be a number`, why: 'a boolean' },
  { dataType: 'PHONE', value: 917000000000, problem: `${P} must be a string`, why: 'a number' },
  {
    dataType: 'PHONE',
    value: '7000000000',
    problem: `${P} must be a phone number in E.164 format with its country code, e.g. +917000000000`,
    why: 'no country code',
  },
  {
    dataType: 'PHONE',
    value: '+91 700 CALL ME',
    problem: `${P} must be a phone number in E.164 format with its country code, e.g. +917000000000`,
    why: 'letters',
  },
  {
    dataType: 'PHONE',
    value: '+0123456789',
    problem: `${P} must be a phone number in E.164 format with its country code, e.g. +917000000000`,
    why: 'a country code starting with 0',
  },
  {
    dataType: 'PHONE',
    value: '+1234567890123456',
    problem: `${P} must be a phone number in E.164 format with its country code, e.g. +917000000000`,
    why: 'more than 15 digits',
  },
  { dataType: 'EMAIL', value: 'not-an-email', problem: `${P} must be a valid email address`, why: 'no @' },
  { dataType: 'EMAIL', value: 'a@localhost', problem: `${P} must be a valid email address`, why: 'no dot in the domain' },
  { dataType: 'EMAIL', value: 'a b@example.com', problem: `${P} must be a valid email address`, why: 'a space' },
  { dataType: 'EMAIL', value: 'a@@example.com', problem: `${P} must be a valid email address`, why: 'two @' },
  { dataType: 'EMAIL', value: `${long(250)}@example.com`, problem: `${P} must be a valid email address`, why: 'over 254 characters' },
  { dataType: 'EMAIL', value: { email: 'a@example.com' }, problem: `${P} must be a string`, why: 'an object' },
  { dataType: 'MONETORY', value: 100, problem: `${P} must be an object {"currency": "default", "value": number}`, why: 'a bare number' },
  { dataType: 'MONETORY', value: [100], problem: `${P} must be an object {"currency": "default", "value": number}`, why: 'an array' },
  { dataType: 'MONETORY', value: { value: '100' }, problem: `${P}.value must be a number`, why: 'a numeric string value' },
  { dataType: 'MONETORY', value: { currency: 'default' }, problem: `${P}.value must be a number`, why: 'no value' },
  {
    dataType: 'MONETORY',
    value: { currency: 'USD', value: 1 },
    problem: `${P}.currency must be "default" (only the location's currency is supported)`,
    why: 'another currency',
  },
  { dataType: 'MONETORY', value: { value: 1, cents: 0 }, problem: `${P} has "cents"; it takes only currency and value`, why: 'an extra key' },
  { dataType: 'CHECKBOX', extra: { options: ABC }, value: 'a', problem: `${P} must be an array of option keys, not a string`, why: 'a single key' },
  { dataType: 'CHECKBOX', extra: { options: ABC }, value: { a: true }, problem: `${P} must be an array of option keys, not an object`, why: 'an object' },
  { dataType: 'CHECKBOX', extra: { options: ABC }, value: ['a', 1], problem: `${P} must contain only option keys (strings)`, why: 'a number in the list' },
  {
    dataType: 'CHECKBOX',
    extra: { options: ABC },
    value: ['a', 'z'],
    problem: `${P} has "z", which is not an option of Field (a, b, c)`,
    why: 'an unknown option key',
  },
  {
    dataType: 'MULTIPLE_OPTIONS',
    extra: { options: ABC },
    value: ['A'],
    problem: `${P} has "A", which is not an option of Field (a, b, c)`,
    why: 'a label instead of a key (keys are case-sensitive)',
  },
  { dataType: 'MULTIPLE_OPTIONS', extra: { options: ABC }, value: null, problem: `${P} must be an array of option keys, not null`, why: 'null' },
  {
    dataType: 'SINGLE_OPTIONS',
    extra: { options: ABC },
    value: 'z',
    problem: `${P} has "z", which is not an option of Field (a, b, c)`,
    why: 'an unknown option key',
  },
  { dataType: 'SINGLE_OPTIONS', extra: { options: ABC }, value: ['a'], problem: `${P} must be an option key (a string)`, why: 'a list' },
  {
    dataType: 'RADIO',
    extra: { options: ABC },
    value: 'tiny',
    problem: `${P} has "tiny", which is not an option of Field (a, b, c)`,
    why: 'an unknown key without allowCustomOption',
  },
  {
    dataType: 'RADIO',
    extra: { options: ABC, allowCustomOption: true },
    value: 3,
    problem: `${P} must be an option key (a string)`,
    why: 'a number, even with allowCustomOption',
  },
  { dataType: 'DATE', value: '2023-02-30', problem: `${P} is not a calendar date`, why: 'February 30th' },
  { dataType: 'DATE', value: '2023-02-29', problem: `${P} is not a calendar date`, why: 'a leap day of a common year' },
  { dataType: 'DATE', value: '2024-13-01', problem: `${P} is not a calendar date`, why: 'month 13' },
  { dataType: 'DATE', value: '11/07/2024', problem: `${P} must be a date, "YYYY-MM-DD" (or an ISO 8601 date-time)`, why: 'a local format' },
  {
    dataType: 'DATE',
    value: '2024-07-11T10:00:00',
    problem: `${P} must be a date, "YYYY-MM-DD" (or an ISO 8601 date-time)`,
    why: 'a date-time without a zone',
  },
  { dataType: 'DATE', value: 1720692000000, problem: `${P} must be a date, "YYYY-MM-DD"`, why: 'epoch milliseconds' },
  { dataType: 'TEXTBOX_LIST', extra: { options: ABC }, value: ['x'], problem: `${P} must be a string`, why: 'a list' },
  {
    dataType: 'TEXTBOX_LIST',
    extra: { options: ABC },
    value: long(12_001),
    problem: `${P} is 12001 characters long; it takes at most 12,000`,
    why: 'over 12,000 characters',
  },
  {
    dataType: 'FILE_UPLOAD',
    value: { url: 'https://example.com/a.png' },
    problem: `${P} must be an array of files ({"url", "name"?}), not an object`,
    why: 'a single file, not a list',
  },
  {
    dataType: 'FILE_UPLOAD',
    value: [{ url: 'https://example.com/a.png' }, { url: 'https://example.com/b.png' }],
    problem: `${P} has 2 files; Field takes at most 1`,
    why: 'over the default limit of 1',
  },
  {
    dataType: 'FILE_UPLOAD',
    extra: { maxFileLimit: 3 },
    value: [1, 2, 3, 4].map((i) => ({ url: `https://example.com/${i}.png` })),
    problem: `${P} has 4 files; Field takes at most 3`,
    why: 'over maxFileLimit',
  },
  { dataType: 'FILE_UPLOAD', value: [{ name: 'a.png' }], problem: `${P}[0].url must be an http(s) URL`, why: 'a file without a url' },
  { dataType: 'FILE_UPLOAD', value: [{ url: 'ftp://example.com/a.png' }], problem: `${P}[0].url must be an http(s) URL`, why: 'an ftp url' },
  {
    dataType: 'FILE_UPLOAD',
    value: [{ url: 'https://example.com/a.png', size: 10, type: 'png' }],
    problem: `${P}[0] has "size", "type"; a file takes only url and name`,
    why: 'extra keys',
  },
  { dataType: 'FILE_UPLOAD', value: ['https://example.com/a.png'], problem: `${P}[0] must be an object with a url`, why: 'a bare url' },
  { dataType: 'FILE_UPLOAD', value: [{ url: 'https://example.com/a.png', name: 7 }], problem: `${P}[0].name must be a string`, why: 'a numeric name' },
];

describe('checkValue accepts', () => {
  for (const c of ACCEPTED) {
    test(`${c.dataType}: ${c.why}`, () => {
      const checked = checkValue(field(c.dataType, c.extra), P, c.value);
      assert.deepEqual(checked, { ok: true, value: c.stored ?? c.value });
    });
  }
});

describe('checkValue refuses', () => {
  for (const c of REFUSED) {
    test(`${c.dataType}: ${c.why}`, () => {
      assert.deepEqual(checkValue(field(c.dataType, c.extra), P, c.value), { ok: false, problem: c.problem });
    });
  }
});

test('the tables cover every dataType, accepted and refused', () => {
  for (const t of DATA_TYPES) {
    assert.ok(ACCEPTED.some((c) => c.dataType === t), `no accepted value for ${t}`);
    assert.ok(REFUSED.some((c) => c.dataType === t), `no refused value for ${t}`);
  }
});

test('checkValue does not change the value it was given', () => {
  const value = ['a', 'a'];
  const money = { value: 5 };
  checkValue(field('CHECKBOX', { options: ABC }), P, value);
  checkValue(field('MONETORY'), P, money);
  assert.deepEqual(value, ['a', 'a']);
  assert.deepEqual(money, { value: 5 });
});

// The fields of custom_objects.pet as the records API addresses them: by short key.
const PET = 'custom_objects.pet';
const petFields = new Map<string, FieldRules>(
  [
    { key: 'name', name: 'Name', dataType: 'TEXT' as const },
    { key: 'weight_kg', name: 'Weight (kg)', dataType: 'NUMERICAL' as const },
    { key: 'owner_phone', name: 'Owner phone', dataType: 'PHONE' as const },
    { key: 'birthday', name: 'Birthday', dataType: 'DATE' as const },
    { key: 'vaccines', name: 'Vaccines', dataType: 'CHECKBOX' as const, options: [{ key: 'rabies', label: 'Rabies' }, { key: 'parvo', label: 'Parvo' }] },
    { key: 'diet', name: 'Diet', dataType: 'TEXTBOX_LIST' as const, options: [{ key: 'morning', label: 'Morning' }, { key: 'evening', label: 'Evening' }] },
  ].map((f) => [f.key, { options: [], allowCustomOption: false, maxFileLimit: null, ...f }]),
);

describe('resolveProperty', () => {
  const cases: Array<[string, string | undefined]> = [
    ['name', 'name'],
    ['weight_kg', 'weight_kg'],
    ['diet.morning', 'diet'],
    ['diet.evening', 'diet'],
    ['diet', undefined], // a TEXTBOX_LIST is addressed per option, never whole
    ['diet.noon', undefined], // not an option of diet
    ['diet.', undefined],
    ['.morning', undefined],
    ['name.first', undefined], // name is no TEXTBOX_LIST
    ['colour', undefined],
    [`${PET}.name`, undefined], // the full key is not a property key
    ['', undefined],
  ];
  for (const [key, expected] of cases) {
    test(`"${key}" → ${expected ?? 'no field'}`, () => {
      assert.equal(resolveProperty(petFields, key)?.key, expected);
    });
  }
});

describe('checkProperties', () => {
  test('valid properties come back in stored form', () => {
    const result = checkProperties(
      petFields,
      PET,
      {
        name: 'Rex',
        weight_kg: 31.5,
        owner_phone: '+91 70000-00000',
        birthday: '2019-04-02T22:00:00-04:00',
        vaccines: ['rabies', 'rabies', 'parvo'],
        'diet.morning': 'Dry food',
        'diet.evening': 'Wet food',
      },
      'properties',
    );
    assert.deepEqual(result, {
      problems: [],
      values: {
        name: 'Rex',
        weight_kg: 31.5,
        owner_phone: '+917000000000',
        birthday: '2019-04-03',
        vaccines: ['rabies', 'parvo'],
        'diet.morning': 'Dry food',
        'diet.evening': 'Wet food',
      },
    });
  });

  test('null means "not set": the property is left out, not refused', () => {
    assert.deepEqual(checkProperties(petFields, PET, { name: 'Rex', weight_kg: null, 'diet.morning': null }, 'properties'), {
      values: { name: 'Rex' },
      problems: [],
    });
  });

  test('an empty object is valid and yields nothing', () => {
    assert.deepEqual(checkProperties(petFields, PET, {}, 'properties'), { values: {}, problems: [] });
  });

  test('an unknown property is refused, even when null', () => {
    assert.deepEqual(checkProperties(petFields, PET, { name: 'Rex', colour: 'brown', tail: null }, 'properties'), {
      values: { name: 'Rex' },
      problems: ['properties.colour is not a field of custom_objects.pet', 'properties.tail is not a field of custom_objects.pet'],
    });
  });

  test("a full field key gets the \"must use the field's short key\" message", () => {
    assert.deepEqual(checkProperties(petFields, PET, { 'custom_objects.pet.name': 'Rex' }, 'properties'), {
      values: {},
      problems: [`properties.custom_objects.pet.name must use the field's short key "name"`],
    });
  });

  test('a full key of a field that does not exist is just not a field', () => {
    assert.deepEqual(checkProperties(petFields, PET, { 'custom_objects.pet.colour': 'x', 'custom_objects.cat.name': 'x' }, 'properties'), {
      values: {},
      problems: [
        'properties.custom_objects.pet.colour is not a field of custom_objects.pet',
        'properties.custom_objects.cat.name is not a field of custom_objects.pet',
      ],
    });
  });

  test('a TEXTBOX_LIST is addressed as <field>.<option>; the field alone or an unknown option is refused', () => {
    assert.deepEqual(checkProperties(petFields, PET, { 'diet.morning': 'ok', diet: 'whole', 'diet.noon': 'x', 'diet.evening': 5 }, 'properties'), {
      values: { 'diet.morning': 'ok' },
      problems: [
        'properties.diet is not a field of custom_objects.pet',
        'properties.diet.noon is not a field of custom_objects.pet',
        'properties.diet.evening must be a string',
      ],
    });
  });

  test('every problem is reported, in the order of the keys, under the given path', () => {
    const result = checkProperties(
      petFields,
      PET,
      { name: 1, weight_kg: '31.5', owner_phone: '12', birthday: '2023-02-30', vaccines: ['rabies', 'flu'], colour: 'x' },
      '$.locations[0].records[2].properties',
    );
    assert.deepEqual(result, {
      values: {},
      problems: [
        '$.locations[0].records[2].properties.name must be a string',
        '$.locations[0].records[2].properties.weight_kg must be a number',
        '$.locations[0].records[2].properties.owner_phone must be a phone number in E.164 format with its country code, e.g. +917000000000',
        '$.locations[0].records[2].properties.birthday is not a calendar date',
        '$.locations[0].records[2].properties.vaccines has "flu", which is not an option of Vaccines (rabies, parvo)',
        '$.locations[0].records[2].properties.colour is not a field of custom_objects.pet',
      ],
    });
  });

  for (const [what, value] of [
    ['null', null],
    ['an array', [{ name: 'Rex' }]],
    ['a string', '{"name":"Rex"}'],
  ] as const) {
    test(`properties that are ${what} are refused whole`, () => {
      assert.deepEqual(checkProperties(petFields, PET, value, 'properties'), { values: {}, problems: ['properties must be an object'] });
    });
  }
});
