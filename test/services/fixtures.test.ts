import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createServices } from '../../src/services/container.js';
import { DATA_TYPES } from '../../src/services/field-types.js';
import { fixtureJsonSchema } from '../../src/services/fixture-format.js';
import { prepareFixture, type FixtureResult } from '../../src/services/fixtures.js';
import type { TokenService } from '../../src/services/tokens.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { DEMO_FIXTURE, readJson } from '../helpers/test-server.js';

// ajv-formats is CommonJS; its default export arrives nested under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const SCHEMA_FILE = new URL('../../fixtures/fixture.schema.json', import.meta.url);

// prepareFixture only needs a TokenService (to sign OAuth tokens); it writes nothing.
let store: Store;
let tokens: TokenService;
before(async () => {
  store = openSqliteStore(':memory:');
  tokens = (await createServices(store)).tokens;
});
after(() => store.close());

const LOC = 've9EPM428h8vShlRW1KT';
const LOC2 = 'Loc2EPM428h8vShlRW1K';
const U1 = 'sx6wyHhbFdRXh302Lunr';
const U2 = 'v5cEPM428h8vShlRW1KT';
const U3 = 'User3PM428h8vShlRW1K';
const PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const OBJ = '6798a1a18fc746e0eba2ccfe';
const OBJ2 = '6798a1a18fc746e0eba2ccff';
const REC = '661c06b4ffde146bdb469442';
const REC2 = '661c06b4ffde146bdb469443';
const REC3 = '661c06b4ffde146bdb469444';

// Fixtures are mutated freely below, as the JSON they are.
type Json = Record<string, any>;

/** A small valid fixture; every invalid case below breaks it in one way. */
function base(): Json {
  return {
    locations: [
      {
        id: LOC,
        name: 'Clinic',
        users: [
          { id: U1, name: 'Ada', email: 'ada@example.com' },
          { id: U2, name: 'Grace' },
        ],
        tokens: [{ type: 'private-integration', token: PIT, scopes: ['objects/record.readonly'] }],
        objects: [
          {
            key: 'custom_objects.pet',
            id: OBJ,
            labels: { singular: 'Pet', plural: 'Pets' },
            fields: [
              { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
              { fieldKey: 'custom_objects.pet.weight', name: 'Weight', dataType: 'NUMERICAL' },
              {
                fieldKey: 'custom_objects.pet.species',
                name: 'Species',
                dataType: 'SINGLE_OPTIONS',
                options: [
                  { key: 'dog', label: 'Dog' },
                  { key: 'cat', label: 'Cat' },
                ],
              },
              { fieldKey: 'custom_objects.pet.born', name: 'Born', dataType: 'DATE' },
            ],
          },
        ],
        records: [
          { objectKey: 'custom_objects.pet', id: REC, owner: [U1], followers: [U2], properties: { name: 'Rex', weight: 30, species: 'dog' } },
          { objectKey: 'business', id: REC2, properties: { name: 'Acme' } },
        ],
      },
    ],
  };
}

/** A second valid location, to add to base(). */
function secondLocation(): Json {
  return {
    id: LOC2,
    name: 'Other clinic',
    users: [{ id: U3, name: 'Linus' }],
    objects: [{ key: 'custom_objects.pet', id: OBJ2, labels: { singular: 'Pet', plural: 'Pets' }, fields: [{ fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' }] }],
    records: [{ objectKey: 'custom_objects.pet', id: REC3, properties: { name: 'Tom' } }],
  };
}

async function prepare(doc: unknown): Promise<FixtureResult> {
  return prepareFixture(doc, tokens, Date.parse('2025-01-01T00:00:00.000Z'));
}

async function problemsOf(doc: unknown): Promise<string[]> {
  const result = await prepare(doc);
  assert.equal(result.ok, false, 'the fixture was accepted');
  return result.ok ? [] : result.problems;
}

describe('valid fixtures', () => {
  test('the demo fixture is prepared whole', async () => {
    const result = await prepare(readJson(DEMO_FIXTURE));
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    const { dataset } = result;
    assert.deepEqual(dataset.locations.map((l) => [l.id, l.name]), [[LOC, 'Demo Pet Clinic']]);
    assert.deepEqual(dataset.users.map((u) => u.id), [U1, U2]);
    assert.equal(dataset.tokens.length, 2);
    // The 3 standard objects of the location, then its custom object.
    assert.deepEqual(dataset.objects.map((o) => [o.key, o.standard, o.type]), [
      ['contact', true, 'SYSTEM_DEFINED'],
      ['opportunity', true, 'SYSTEM_DEFINED'],
      ['business', true, 'SYSTEM_DEFINED'],
      ['custom_objects.pet', false, 'USER_DEFINED'],
    ]);
    // 10 standard business fields + business.supplier_tier + 13 pet fields.
    assert.equal(dataset.fields.length, 24);
    assert.equal(dataset.fields.filter((f) => f.standard).length, 10);
    const pet = dataset.objects.find((o) => o.key === 'custom_objects.pet')!;
    assert.equal(pet.id, '6798a1a18fc746e0eba2ccfe');
    assert.equal(dataset.fields.filter((f) => f.objectId === pet.id).length, 13);
    assert.equal(dataset.records.length, 6);
    assert.equal(dataset.records.filter((r) => r.objectId === pet.id).length, 3);
    for (const row of [...dataset.objects, ...dataset.fields, ...dataset.records, ...dataset.users, ...dataset.tokens]) {
      assert.equal(row.locationId, LOC);
    }
  });

  test('the demo fixture issues its fixed PIT and a signed OAuth token, in order', async () => {
    const result = await prepare(readJson(DEMO_FIXTURE));
    assert.ok(result.ok);
    assert.deepEqual(result.tokens.map((t) => [t.locationId, t.type]), [
      [LOC, 'private-integration'],
      [LOC, 'oauth'],
    ]);
    assert.equal(result.tokens[0]!.token, PIT);
    assert.match(result.tokens[1]!.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(result.dataset.tokens[0]!.kind, 'pit');
    assert.match(result.dataset.tokens[0]!.hash!, /^[0-9a-f]{64}$/);
    assert.equal(result.dataset.tokens[1]!.kind, 'oauth');
    assert.equal(result.dataset.tokens[1]!.hash, null);
  });

  test('records come out in stored form, written by the fixture', async () => {
    const result = await prepare(readJson(DEMO_FIXTURE));
    assert.ok(result.ok);
    const rex = result.dataset.records.find((r) => r.id === REC)!;
    assert.equal(rex.createdAt, '2024-07-11T10:00:00.000Z');
    assert.equal(rex.updatedAt, '2024-07-12T08:30:00.000Z');
    assert.deepEqual(rex.createdBy, { channel: 'API', source: 'FIXTURE', sourceId: 'fixture', createdAt: '2024-07-11T10:00:00.000Z' });
    assert.deepEqual(rex.lastUpdatedBy, { channel: 'API', source: 'FIXTURE', sourceId: 'fixture', createdAt: '2024-07-12T08:30:00.000Z' });
    assert.deepEqual(rex.properties.balance, { currency: 'default', value: 100 });
    assert.equal(rex.properties['diet.morning'], 'Dry food, 200 g');
    const business = result.dataset.records.find((r) => r.id === '66a0f1c2d3e4f5a6b7c8d9e2')!;
    assert.deepEqual(business.owner, []);
  });

  test('the small base fixture and two locations with the same object key are valid', async () => {
    const doc = base();
    doc.locations.push(secondLocation());
    const result = await prepare(doc);
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    assert.equal(result.dataset.locations.length, 2);
    assert.equal(result.dataset.objects.length, 8);
    assert.equal(result.dataset.records.length, 3);
  });

  test('absent ids and dates are generated', async () => {
    const result = await prepare({
      locations: [
        {
          name: 'Bare',
          users: [{ name: 'Ada' }],
          tokens: [{ type: 'oauth', scopes: ['objects/record.readonly'] }],
          objects: [{ key: 'custom_objects.thing', labels: { singular: 'Thing', plural: 'Things' }, fields: [{ fieldKey: 'custom_objects.thing.n', name: 'N', dataType: 'NUMERICAL' }] }],
          records: [{ objectKey: 'custom_objects.thing', properties: { n: 1 } }],
        },
      ],
    });
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    const { dataset } = result;
    assert.match(dataset.locations[0]!.id, /^[A-Za-z0-9]{20}$/);
    assert.match(dataset.users[0]!.id, /^[A-Za-z0-9]{20}$/);
    const thing = dataset.objects.find((o) => o.key === 'custom_objects.thing')!;
    assert.match(thing.id, /^[0-9a-f]{24}$/);
    // A NUMERICAL first field is the primary display property and the only searchable one.
    assert.equal(thing.primaryDisplayProperty, 'custom_objects.thing.n');
    assert.deepEqual(thing.searchableProperties, ['custom_objects.thing.n']);
    assert.match(dataset.records[0]!.id, /^[0-9a-f]{24}$/);
    assert.equal(dataset.records[0]!.createdAt, '2025-01-01T00:00:00.000Z');
  });
});

/** One way to break the base fixture, and exactly the problems it must yield. */
interface Broken {
  name: string;
  breakIt: (doc: Json) => void;
  problems: string[];
}

const L = '$.locations[0]';
const moreUsers = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `User${String(i).padStart(2, '0')}PM428h8vShlRWx`, name: `User ${i}` }));

const BROKEN: Broken[] = [
  // ids
  { name: 'a bad location id', breakIt: (d) => void (d.locations[0].id = 've9EPM428h8'), problems: [`${L}.id must be 20 characters [A-Za-z0-9]`] },
  { name: 'a bad user id', breakIt: (d) => void (d.locations[0].users[1].id = 'grace-hopper-0000000'), problems: [`${L}.users[1].id must be 20 characters [A-Za-z0-9]`] },
  { name: 'a bad object id', breakIt: (d) => void (d.locations[0].objects[0].id = '6798A1A18FC746E0EBA2CCFE'), problems: [`${L}.objects[0].id must be 24 lowercase hex characters`] },
  { name: 'a bad record id', breakIt: (d) => void (d.locations[0].records[1].id = '661c06b4ffde146bdb46944'), problems: [`${L}.records[1].id must be 24 lowercase hex characters`] },
  {
    name: 'a bad fixed PIT',
    breakIt: (d) => void (d.locations[0].tokens[0].token = 'pit-1234'),
    problems: [`${L}.tokens[0].token must be a fixed Private Integration Token; OAuth tokens are always signed by the server`],
  },
  {
    name: 'a bad date',
    breakIt: (d) => void (d.locations[0].records[0].dateAdded = '11/07/2024'),
    problems: [`${L}.records[0].dateAdded must be ISO 8601 date-time, e.g. 2024-07-11T10:00:00.000Z`],
  },
  { name: 'a missing name', breakIt: (d) => void delete d.locations[0].users[0].name, problems: [`${L}.users[0].name is required`] },
  // property values
  {
    name: 'an unknown field in properties',
    breakIt: (d) => void (d.locations[0].records[0].properties.colour = 'brown'),
    problems: [`${L}.records[0].properties.colour is not a field of custom_objects.pet`],
  },
  {
    name: 'a value of the wrong type',
    breakIt: (d) => void (d.locations[0].records[0].properties.weight = '30'),
    problems: [`${L}.records[0].properties.weight must be a number`],
  },
  {
    name: 'an unknown option',
    breakIt: (d) => void (d.locations[0].records[0].properties.species = 'parrot'),
    problems: [`${L}.records[0].properties.species has "parrot", which is not an option of Species (dog, cat)`],
  },
  {
    name: 'a full field key in properties',
    breakIt: (d) => void (d.locations[0].records[0].properties = { 'custom_objects.pet.name': 'Rex' }),
    problems: [`${L}.records[0].properties.custom_objects.pet.name must use the field's short key "name"`],
  },
  {
    name: 'a business property that is not a business field',
    breakIt: (d) => void (d.locations[0].records[1].properties.weight = 1),
    problems: [`${L}.records[1].properties.weight is not a field of business`],
  },
  // owners and followers
  {
    name: 'an owner that is no user at all',
    breakIt: (d) => void (d.locations[0].records[0].owner = ['NoSuchUser0000000000']),
    problems: [`${L}.records[0].owner[0] NoSuchUser0000000000 is not a user of this location`],
  },
  {
    name: 'an owner and a follower that are users of another location',
    breakIt: (d) => {
      d.locations.push(secondLocation());
      d.locations[0].records[0].owner = [U3];
      d.locations[0].records[0].followers = [U2, U3];
    },
    problems: [`${L}.records[0].owner[0] ${U3} is not a user of this location`, `${L}.records[0].followers[1] ${U3} is not a user of this location`],
  },
  {
    name: 'an owner on a business record',
    breakIt: (d) => void (d.locations[0].records[1].owner = [U1]),
    problems: [`${L}.records[1].owner business records have no owner`],
  },
  {
    name: 'more than 1 owner',
    breakIt: (d) => void (d.locations[0].records[0].owner = [U1, U2]),
    problems: [`${L}.records[0].owner has 2 users; a record has at most 1 owner`],
  },
  {
    name: 'more than 10 followers',
    breakIt: (d) => {
      const users = moreUsers(11);
      d.locations[0].users.push(...users);
      d.locations[0].records[0].followers = users.map((u) => u.id);
    },
    problems: [`${L}.records[0].followers has 11 users; a record has at most 10 followers`],
  },
  {
    name: 'a follower listed twice',
    breakIt: (d) => void (d.locations[0].records[0].followers = [U1, U2, U1]),
    problems: [`${L}.records[0].followers lists a user twice`],
  },
  // duplicate ids and keys
  {
    name: 'a record id used in two locations',
    breakIt: (d) => {
      d.locations.push(secondLocation());
      d.locations[1].records[0].id = REC2;
    },
    problems: [`$.locations[1].records[0].id duplicate record id ${REC2} (first at ${L}.records[1].id)`],
  },
  {
    name: 'a user id used twice',
    breakIt: (d) => {
      d.locations[0].users[1].id = U1;
      d.locations[0].records[0].followers = [U1];
    },
    problems: [`${L}.users[1].id duplicate user id ${U1} (first at ${L}.users[0].id)`],
  },
  {
    name: 'a user id used in two locations',
    breakIt: (d) => {
      d.locations.push(secondLocation());
      d.locations[1].users[0].id = U2;
    },
    problems: [`$.locations[1].users[0].id duplicate user id ${U2} (first at ${L}.users[1].id)`],
  },
  {
    name: 'a location id used twice',
    breakIt: (d) => {
      d.locations.push(secondLocation());
      d.locations[1].id = LOC;
    },
    problems: [`$.locations[1].id duplicate location id ${LOC} (first at ${L}.id)`],
  },
  {
    name: 'an object id used in two locations',
    breakIt: (d) => {
      d.locations.push(secondLocation());
      d.locations[1].objects[0].id = OBJ;
    },
    problems: [`$.locations[1].objects[0].id duplicate object id ${OBJ} (first at ${L}.objects[0].id)`],
  },
  {
    name: 'a duplicate object key',
    breakIt: (d) => void d.locations[0].objects.push({ key: 'custom_objects.pet', labels: { singular: 'P', plural: 'Ps' }, fields: [{ fieldKey: 'custom_objects.pet.x', name: 'X', dataType: 'TEXT' }] }),
    problems: [`${L}.objects[1].key duplicate object key custom_objects.pet`],
  },
  {
    name: 'a duplicate field key',
    breakIt: (d) => void d.locations[0].objects[0].fields.push({ fieldKey: 'custom_objects.pet.name', name: 'Name again', dataType: 'LARGE_TEXT' }),
    problems: [`${L}.objects[0].fields[4].fieldKey custom_objects.pet.name is already a field of custom_objects.pet`],
  },
  {
    name: 'a business field that is already a standard field',
    breakIt: (d) => void d.locations[0].objects.push({ key: 'business', fields: [{ fieldKey: 'business.email', name: 'Email', dataType: 'EMAIL' }] }),
    problems: [`${L}.objects[1].fields[0].fieldKey business.email is already a field of business`],
  },
  {
    name: 'a field key of another object',
    breakIt: (d) => void (d.locations[0].objects[0].fields[3].fieldKey = 'custom_objects.cat.born'),
    problems: [`${L}.objects[0].fields[3].fieldKey must be custom_objects.pet.<key>, the key lowercase letters, digits and underscores`],
  },
  {
    name: 'a duplicate option key',
    breakIt: (d) => void d.locations[0].objects[0].fields[2].options.push({ key: 'dog', label: 'Doggo' }),
    problems: [`${L}.objects[0].fields[2].options[2].key "dog" is listed twice`],
  },
  // unknown properties, on every level
  { name: 'an unknown property at the root', breakIt: (d) => void (d.version = 2), problems: ['$ has property version that should not exist'] },
  { name: 'an unknown property of a location', breakIt: (d) => void (d.locations[0].timezone = 'UTC'), problems: [`${L} has property timezone that should not exist`] },
  { name: 'an unknown property of a user', breakIt: (d) => void (d.locations[0].users[0].role = 'admin'), problems: [`${L}.users[0] has property role that should not exist`] },
  { name: 'an unknown property of a token', breakIt: (d) => void (d.locations[0].tokens[0].expires = 5), problems: [`${L}.tokens[0] has property expires that should not exist`] },
  { name: 'an unknown property of an object', breakIt: (d) => void (d.locations[0].objects[0].label = 'Pet'), problems: [`${L}.objects[0] has property label that should not exist`] },
  {
    name: 'an unknown property of labels',
    breakIt: (d) => void (d.locations[0].objects[0].labels.other = 'x'),
    problems: [`${L}.objects[0].labels has property other that should not exist`],
  },
  {
    name: 'an unknown property of a field',
    breakIt: (d) => void (d.locations[0].objects[0].fields[0].required = true),
    problems: [`${L}.objects[0].fields[0] has property required that should not exist`],
  },
  {
    name: 'an unknown property of an option',
    breakIt: (d) => void (d.locations[0].objects[0].fields[2].options[0].color = 'red'),
    problems: [`${L}.objects[0].fields[2].options[0] has property color that should not exist`],
  },
  { name: 'an unknown property of a record', breakIt: (d) => void (d.locations[0].records[0].name = 'Rex'), problems: [`${L}.records[0] has property name that should not exist`] },
  // enums
  {
    name: 'an unknown dataType',
    breakIt: (d) => void (d.locations[0].objects[0].fields[0].dataType = 'STRING'),
    problems: [`${L}.objects[0].fields[0].dataType must be one of ${DATA_TYPES.map((t) => `"${t}"`).join(', ')}`],
  },
  {
    name: 'an unknown scope',
    breakIt: (d) => void (d.locations[0].tokens[0].scopes = ['objects/record.readonly', 'contacts.readonly']),
    problems: [
      `${L}.tokens[0].scopes[1] must be one of "objects/record.readonly", "objects/record.write", "objects/schema.readonly", "objects/schema.write", ` +
        `"locations/customFields.readonly", "locations/customFields.write", "associations.readonly", "associations.write", ` +
        `"associations/relation.readonly", "associations/relation.write"`,
    ],
  },
  {
    name: 'an unknown token type',
    breakIt: (d) => void (d.locations[0].tokens[0].type = 'pit'),
    problems: [`${L}.tokens[0].type must be one of "private-integration", "oauth"`],
  },
  // tokens
  {
    name: 'an oauth token with a token value',
    breakIt: (d) => void d.locations[0].tokens.push({ type: 'oauth', token: 'pit-1b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11', scopes: ['objects/record.readonly'] }),
    problems: [`${L}.tokens[1].token an OAuth token cannot be given: the server signs it (leave token out)`],
  },
  {
    name: 'the same PIT twice',
    breakIt: (d) => void d.locations[0].tokens.push({ type: 'private-integration', token: PIT, scopes: ['objects/record.write'] }),
    problems: [`${L}.tokens[1].token duplicate token id ${sha256(PIT)} (first at ${L}.tokens[0].token)`],
  },
  // fields and options
  {
    name: 'a CHECKBOX field without options',
    breakIt: (d) => void d.locations[0].objects[0].fields.push({ fieldKey: 'custom_objects.pet.tags', name: 'Tags', dataType: 'CHECKBOX' }),
    problems: [`${L}.objects[0].fields[4].options must list at least one option for a CHECKBOX field`],
  },
  {
    name: 'a RADIO and a TEXTBOX_LIST field with an empty options list',
    breakIt: (d) =>
      void d.locations[0].objects[0].fields.push(
        { fieldKey: 'custom_objects.pet.size', name: 'Size', dataType: 'RADIO', options: [] },
        { fieldKey: 'custom_objects.pet.diet', name: 'Diet', dataType: 'TEXTBOX_LIST', options: [] },
      ),
    problems: [
      `${L}.objects[0].fields[4].options must list at least one option for a RADIO field`,
      `${L}.objects[0].fields[5].options must list at least one option for a TEXTBOX_LIST field`,
    ],
  },
  {
    name: 'options on a TEXT field',
    breakIt: (d) => void (d.locations[0].objects[0].fields[0].options = [{ key: 'a', label: 'A' }]),
    problems: [`${L}.objects[0].fields[0].options cannot be set on a TEXT field`],
  },
  {
    name: 'a url on a SINGLE_OPTIONS option',
    breakIt: (d) => void (d.locations[0].objects[0].fields[2].options[1].url = 'https://example.com/cat.png'),
    problems: [`${L}.objects[0].fields[2].options[1].url can only be set on RADIO options`],
  },
  {
    name: 'FILE_UPLOAD settings on a TEXT field',
    breakIt: (d) => Object.assign(d.locations[0].objects[0].fields[0], { acceptedFormats: '.png', maxFileLimit: 2 }),
    problems: [
      `${L}.objects[0].fields[0].acceptedFormats can only be set on a FILE_UPLOAD field`,
      `${L}.objects[0].fields[0].maxFileLimit can only be set on a FILE_UPLOAD field`,
    ],
  },
  {
    name: 'allowCustomOption on a SINGLE_OPTIONS field',
    breakIt: (d) => void (d.locations[0].objects[0].fields[2].allowCustomOption = true),
    problems: [`${L}.objects[0].fields[2].allowCustomOption can only be set on a RADIO field`],
  },
  // objects
  {
    name: 'a primary display property that is not TEXT or NUMERICAL',
    breakIt: (d) => void (d.locations[0].objects[0].primaryDisplayProperty = 'custom_objects.pet.born'),
    problems: [`${L}.objects[0].primaryDisplayProperty custom_objects.pet.born is DATE; the primary display property must be TEXT or NUMERICAL`],
  },
  {
    name: 'a first field (the default primary display property) that is not TEXT or NUMERICAL',
    breakIt: (d) => void d.locations[0].objects[0].fields.reverse(),
    problems: [`${L}.objects[0].primaryDisplayProperty custom_objects.pet.born is DATE; the primary display property must be TEXT or NUMERICAL`],
  },
  {
    name: 'a primary display property given by its short key',
    breakIt: (d) => Object.assign(d.locations[0].objects[0], { primaryDisplayProperty: 'name', searchableProperties: ['custom_objects.pet.name'] }),
    problems: [`${L}.objects[0].primaryDisplayProperty name is not a field of custom_objects.pet`],
  },
  {
    name: 'more than 3 searchable properties',
    breakIt: (d) =>
      void (d.locations[0].objects[0].searchableProperties = ['custom_objects.pet.name', 'custom_objects.pet.weight', 'custom_objects.pet.species', 'custom_objects.pet.born']),
    problems: [`${L}.objects[0].searchableProperties must list 1 to 3 fields (got 4)`],
  },
  {
    name: 'no searchable properties',
    breakIt: (d) => void (d.locations[0].objects[0].searchableProperties = []),
    problems: [`${L}.objects[0].searchableProperties must list 1 to 3 fields (got 0)`],
  },
  {
    name: 'more than 10 custom objects',
    breakIt: (d) => {
      d.locations[0].objects.push({ key: 'business', fields: [{ fieldKey: 'business.tier', name: 'Tier', dataType: 'TEXT' }] });
      for (let i = 1; i <= 10; i++) {
        d.locations[0].objects.push({ key: `custom_objects.o${i}`, labels: { singular: `O${i}`, plural: `O${i}s` }, fields: [{ fieldKey: `custom_objects.o${i}.n`, name: 'N', dataType: 'TEXT' }] });
      }
    },
    // pet, business (a standard object: not counted), o1..o9 are 10 custom objects; o10 is one too many.
    problems: [`${L}.objects[11] a location has at most 10 custom objects`],
  },
  {
    name: 'a custom object without labels',
    breakIt: (d) => void delete d.locations[0].objects[0].labels,
    problems: [`${L}.objects[0].labels is required for a custom object`],
  },
  {
    name: 'a custom object without fields',
    breakIt: (d) => void (d.locations[0].objects[0].fields = []),
    problems: [
      `${L}.objects[0].fields a custom object needs at least its primary display field`,
      `${L}.records[0].properties.name is not a field of custom_objects.pet`,
      `${L}.records[0].properties.weight is not a field of custom_objects.pet`,
      `${L}.records[0].properties.species is not a field of custom_objects.pet`,
    ],
  },
  {
    name: 'contact defined as an object',
    breakIt: (d) => void d.locations[0].objects.push({ key: 'contact', fields: [] }),
    problems: [`${L}.objects[1].key contact is a standard object and cannot be defined or extended here`],
  },
  {
    name: 'a bad custom object key',
    breakIt: (d) => void d.locations[0].objects.push({ key: 'custom_objects.Pet-2', labels: { singular: 'P', plural: 'Ps' } }),
    problems: [`${L}.objects[1].key must be custom_objects.<key>, the key lowercase letters, digits and underscores`],
  },
  {
    name: 'an id on the business object',
    breakIt: (d) => void d.locations[0].objects.push({ key: 'business', id: OBJ2, fields: [] }),
    problems: [`${L}.objects[1].id cannot be set on business, a standard object (only fields and searchableProperties)`],
  },
  // records
  {
    name: 'a record of contact',
    breakIt: (d) => void d.locations[0].records.push({ objectKey: 'contact', properties: { name: 'Ada' } }),
    problems: [`${L}.records[2].objectKey contact is not business or a custom object of this location`],
  },
  {
    name: 'a record of opportunity',
    breakIt: (d) => void d.locations[0].records.push({ objectKey: 'opportunity', properties: {} }),
    problems: [`${L}.records[2].objectKey opportunity is not business or a custom object of this location`],
  },
  {
    name: 'a record of an object of another location',
    breakIt: (d) => {
      d.locations.push(secondLocation());
      d.locations[1].objects[0].key = 'custom_objects.dog';
      d.locations[1].objects[0].fields[0].fieldKey = 'custom_objects.dog.name';
      d.locations[1].records[0].objectKey = 'custom_objects.dog';
      d.locations[0].records.push({ objectKey: 'custom_objects.dog', properties: { name: 'Tom' } });
    },
    problems: [`${L}.records[2].objectKey custom_objects.dog is not business or a custom object of this location`],
  },
  {
    name: 'a record updated before it was added',
    breakIt: (d) => Object.assign(d.locations[0].records[0], { dateAdded: '2024-07-11T10:00:00.000Z', dateUpdated: '2024-07-10T10:00:00.000Z' }),
    problems: [`${L}.records[0].dateUpdated is before dateAdded`],
  },
];

function sha256(s: string): string {
  // The PIT's hash is the token's key in the database: a PIT given twice is a duplicate of it.
  return createHash('sha256').update(s).digest('hex');
}
describe('invalid fixtures yield exactly their problems', () => {
  test('the base fixture itself is valid', async () => {
    const result = await prepare(base());
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
  });
  for (const c of BROKEN) {
    test(c.name, async () => {
      const doc = base();
      c.breakIt(doc);
      assert.deepEqual(await problemsOf(doc), c.problems);
    });
  }
});

describe('many problems at once', () => {
  test('a fixture with many shape problems lists them all', async () => {
    const doc = base();
    doc.extra = true;
    doc.locations[0].id = 'x';
    doc.locations[0].users[0].role = 'admin';
    doc.locations[0].tokens[0].scopes = ['nope'];
    doc.locations[0].objects[0].fields[0].dataType = 'STRING';
    doc.locations[0].objects[0].fields[2].options[0].color = 'red';
    doc.locations[0].records[0].id = 'r1';
    delete doc.locations[0].records[1].properties;
    doc.locations.push({ name: '', users: 'none' });
    const problems = await problemsOf(doc);
    assert.deepEqual([...problems].sort(), [
      '$ has property extra that should not exist',
      `${L}.id must be 20 characters [A-Za-z0-9]`,
      `${L}.users[0] has property role that should not exist`,
      `${L}.tokens[0].scopes[0] must be one of "objects/record.readonly", "objects/record.write", "objects/schema.readonly", "objects/schema.write", "locations/customFields.readonly", "locations/customFields.write", "associations.readonly", "associations.write", "associations/relation.readonly", "associations/relation.write"`,
      `${L}.objects[0].fields[0].dataType must be one of ${DATA_TYPES.map((t) => `"${t}"`).join(', ')}`,
      `${L}.objects[0].fields[2].options[0] has property color that should not exist`,
      `${L}.records[0].id must be 24 lowercase hex characters`,
      `${L}.records[1].properties is required`,
      '$.locations[1].name must NOT have fewer than 1 characters',
      '$.locations[1].users must be array',
    ].sort());
  });

  test('a fixture with many semantic problems lists them all, in document order', async () => {
    const doc = base();
    doc.locations.push(secondLocation());
    const [a, b] = doc.locations;
    a.users.push({ id: U1, name: 'Ada again' });
    a.tokens.push({ type: 'oauth', token: PIT, scopes: [] });
    a.objects[0].fields.push({ fieldKey: 'custom_objects.pet.tags', name: 'Tags', dataType: 'CHECKBOX' });
    a.objects[0].fields[0].options = [{ key: 'x', label: 'X' }];
    a.objects[0].primaryDisplayProperty = 'custom_objects.pet.species';
    a.records[0].owner = [U1, U2];
    a.records[0].properties = { name: 5, weight: '30', colour: 'brown' };
    a.records[1].owner = [U1];
    a.records.push({ objectKey: 'contact', properties: {} });
    b.records[0].id = REC;
    b.records[0].owner = [U1];
    b.objects.push({ key: 'custom_objects.pet', labels: { singular: 'P', plural: 'Ps' }, fields: [{ fieldKey: 'custom_objects.pet.n', name: 'N', dataType: 'TEXT' }] });
    assert.deepEqual(await problemsOf(doc), [
      `${L}.users[2].id duplicate user id ${U1} (first at ${L}.users[0].id)`,
      `${L}.tokens[1].token an OAuth token cannot be given: the server signs it (leave token out)`,
      `${L}.objects[0].fields[0].options cannot be set on a TEXT field`,
      `${L}.objects[0].fields[4].options must list at least one option for a CHECKBOX field`,
      `${L}.objects[0].primaryDisplayProperty custom_objects.pet.species is SINGLE_OPTIONS; the primary display property must be TEXT or NUMERICAL`,
      `${L}.records[0].owner has 2 users; a record has at most 1 owner`,
      `${L}.records[0].properties.name must be a string`,
      `${L}.records[0].properties.weight must be a number`,
      `${L}.records[0].properties.colour is not a field of custom_objects.pet`,
      `${L}.records[1].owner business records have no owner`,
      `${L}.records[2].objectKey contact is not business or a custom object of this location`,
      '$.locations[1].objects[1].key duplicate object key custom_objects.pet',
      `$.locations[1].records[0].id duplicate record id ${REC} (first at ${L}.records[0].id)`,
      `$.locations[1].records[0].owner[0] ${U1} is not a user of this location`,
    ]);
  });
});

describe('the fixture JSON Schema', () => {
  test('fixtures/fixture.schema.json is exactly what fixtureJsonSchema() generates (run `npm run fixture-schema`)', () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), fixtureJsonSchema());
  });

  function validator() {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  }

  test('fixtures/demo.json validates against fixtures/fixture.schema.json', () => {
    const validate = validator();
    const ok = validate(readJson(DEMO_FIXTURE));
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  });

  test('the schema file refuses what prepareFixture refuses for its shape', () => {
    const validate = validator();
    const demo = readJson(DEMO_FIXTURE) as Json;
    demo.locations[0].records[0].colour = 'brown';
    demo.locations[0].objects[0].fields[0].dataType = 'STRING';
    assert.equal(validate(demo), false);
    assert.deepEqual([...new Set((validate.errors ?? []).map((e) => e.instancePath))].sort(), ['/locations/0/objects/0/fields/0/dataType', '/locations/0/records/0']);
  });

  test('fixtures/demo.json uses every dataType', () => {
    const demo = readJson(DEMO_FIXTURE) as Json;
    const used = new Set<string>();
    for (const location of demo.locations) for (const o of location.objects ?? []) for (const f of o.fields ?? []) used.add(f.dataType);
    assert.deepEqual([...used].sort(), [...DATA_TYPES].sort());
  });
});
