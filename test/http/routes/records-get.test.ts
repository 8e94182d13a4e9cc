import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Scope } from '../../../src/services/scopes.js';
import { loadSigningKey } from '../../../src/services/signing-key.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { RecordRow, Store } from '../../../src/store/store.js';
import { contractErrors as E } from '../../helpers/contract-errors.js';
import { signedByForeignKey, signedHs256, unsecured, withTamperedPayload } from '../../helpers/forge-jwt.js';
import { pollUntil, waitUntilPast } from '../../helpers/poll.js';
import { dtoValidator } from '../../helpers/spec-dto.js';
import { VERSION, auth, call, startTestServer, type Answer, type TestServer } from '../../helpers/test-server.js';

/**
 * GET /objects/{schemaKey}/records/{id} over real HTTP, against CONTRACT.md ("Every request",
 * "Errors", "Get Record By Id", "Property values"). Two locations, so that every "another
 * location's resource" row has something real to hit.
 */

// ---------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------

const LOC_A = 'Aq7LocationAlpha0001';
const LOC_B = 'Bq7LocationBravo0002';
const USER_A1 = 'sx6wyHhbFdRXh302Lunr';
const USER_A2 = 'v5cEPM428h8vShlRW1KT';
const USER_B1 = 'Kd9UserOfBravo000001';

const OBJ_PET_A = '6798a1a18fc746e0eba2ccfe';
const OBJ_PET_B = '6798a1a18fc746e0eba2cc01';
const OBJ_VET_B = '6798a1a18fc746e0eba2cc02';

const REC_FULL = '661c06b4ffde146bdb469442';
const REC_NORM = '661c06b4ffde146bdb469443';
const BIZ_A = '66a0f1c2d3e4f5a6b7c8d9e0';
const REC_PET_B = '661c06b4ffde146bdb4694b1';
const REC_VET_B = '661c06b4ffde146bdb4694b2';
const BIZ_B = '66a0f1c2d3e4f5a6b7c8d9b0';
const NO_SUCH_RECORD = '661c06b4ffde146bdb46ffff';
const NO_SUCH_OBJECT = '6798a1a18fc746e0eba2ffff';

const PIT_A = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const PIT_A_NO_SCOPE = 'pit-1b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d12';
const PIT_A_REVOKED = 'pit-2b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d13';
const PIT_A_LIVE = 'pit-3b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d14';
const PIT_A_EXPIRING = 'pit-4b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d15';
const PIT_B = 'pit-5b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d21';

const ID_PIT_LIVE = '00000000-0000-4000-8000-0000000000a7';
const ID_OAUTH_LIVE = '00000000-0000-4000-8000-0000000000a8';

const READ: Scope[] = ['objects/record.readonly'];

/** Token names in the fixture's order: `server.tokens` lists them in the same order. */
const TOKEN_NAMES = [
  'pitA', 'oauthA', 'pitNoScope', 'oauthNoScope', 'pitRevoked', 'oauthRevoked',
  'pitLive', 'oauthLive', 'pitExpiring', 'oauthExpiring', 'pitB', 'oauthB',
] as const;
type TokenName = (typeof TOKEN_NAMES)[number];

/** Every property of REC_FULL, in the form it is stored and answered: no normalisation needed. */
const FULL_PROPERTIES = {
  name: 'Rex',
  history: 'Neutered in 2022.\nAnnual check-ups, "no complications" \u2713 \u00e9\u00e8 \ud83d\udc15',
  weight_kg: 31.5,
  owner_phone: '+917000000000',
  balance: { currency: 'default', value: 100 },
  vaccines: ['rabies', 'parvo'],
  species: 'dog',
  allergies: ['chicken'],
  temperament: 'calm',
  size: 'large',
  birthday: '2019-04-02',
  last_visit: '2024-07-11',
  'diet.morning': 'Dry food, 200 g',
  'diet.evening': 'Wet food, 150 g',
  xrays: [{ url: 'https://example.com/xrays/rex-1.png', name: 'rex-1.png' }],
  owner_email: 'rex.owner@example.com',
};

/** REC_NORM as written in the fixture: each value needs the normalisation named beside it. */
const NORM_PROPERTIES_IN = {
  name: 'Misty',
  history: null, // null: not set, absent from the answer
  weight_kg: -0.25,
  owner_phone: '+1 (415) 555-0123', // separators removed: +14155550123
  balance: { value: 1999.99 }, // currency defaults to "default"
  vaccines: ['rabies', 'parvo', 'rabies', 'parvo'], // CHECKBOX duplicates collapse
  species: 'cat',
  allergies: ['pollen', 'pollen', 'penicillin'], // MULTIPLE_OPTIONS duplicates collapse
  temperament: 'lively',
  size: 'extra-fluffy', // RADIO with allowCustomOption: any string
  birthday: '2024-03-10T23:30:00-05:00', // a date-time: its UTC date, 2024-03-11
  last_visit: '2024-01-01T00:30:00+01:00', // UTC date is in the previous year: 2023-12-31
  'diet.evening': 'Tuna',
  xrays: [{ url: 'https://example.com/xrays/a.png' }, { url: 'https://example.com/xrays/b.png', name: 'b.png' }],
  owner_email: null,
};

const NORM_PROPERTIES_OUT = {
  name: 'Misty',
  weight_kg: -0.25,
  owner_phone: '+14155550123',
  balance: { currency: 'default', value: 1999.99 },
  vaccines: ['rabies', 'parvo'],
  species: 'cat',
  allergies: ['pollen', 'penicillin'],
  temperament: 'lively',
  size: 'extra-fluffy',
  birthday: '2024-03-11',
  last_visit: '2023-12-31',
  'diet.evening': 'Tuna',
  xrays: [{ url: 'https://example.com/xrays/a.png' }, { url: 'https://example.com/xrays/b.png', name: 'b.png' }],
};

const BIZ_A_PROPERTIES_IN = {
  name: 'Happy Paws Supplies',
  phone: '+1 415-555-0199',
  email: 'orders@happypaws.example.com',
  website: 'https://happypaws.example.com',
  address: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postalCode: '94105',
  country: 'US',
  description: 'Food and toys.',
  tier: 'gold',
};

/** One field of every dataType (RADIO twice: with and without allowCustomOption). */
const PET_FIELDS = [
  { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
  { fieldKey: 'custom_objects.pet.history', name: 'Medical history', dataType: 'LARGE_TEXT' },
  { fieldKey: 'custom_objects.pet.weight_kg', name: 'Weight (kg)', dataType: 'NUMERICAL' },
  { fieldKey: 'custom_objects.pet.owner_phone', name: 'Owner phone', dataType: 'PHONE' },
  { fieldKey: 'custom_objects.pet.balance', name: 'Balance', dataType: 'MONETORY' },
  {
    fieldKey: 'custom_objects.pet.vaccines', name: 'Vaccines', dataType: 'CHECKBOX',
    options: [{ key: 'rabies', label: 'Rabies' }, { key: 'distemper', label: 'Distemper' }, { key: 'parvo', label: 'Parvovirus' }],
  },
  {
    fieldKey: 'custom_objects.pet.species', name: 'Species', dataType: 'SINGLE_OPTIONS',
    options: [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }, { key: 'rabbit', label: 'Rabbit' }],
  },
  {
    fieldKey: 'custom_objects.pet.allergies', name: 'Allergies', dataType: 'MULTIPLE_OPTIONS',
    options: [{ key: 'pollen', label: 'Pollen' }, { key: 'chicken', label: 'Chicken' }, { key: 'penicillin', label: 'Penicillin' }],
  },
  {
    fieldKey: 'custom_objects.pet.temperament', name: 'Temperament', dataType: 'RADIO',
    options: [{ key: 'calm', label: 'Calm' }, { key: 'lively', label: 'Lively' }],
  },
  {
    fieldKey: 'custom_objects.pet.size', name: 'Size', dataType: 'RADIO', allowCustomOption: true,
    options: [{ key: 'small', label: 'Small', url: 'https://example.com/sizes/small.png' }, { key: 'large', label: 'Large' }],
  },
  { fieldKey: 'custom_objects.pet.birthday', name: 'Birthday', dataType: 'DATE' },
  { fieldKey: 'custom_objects.pet.last_visit', name: 'Last visit', dataType: 'DATE' },
  {
    fieldKey: 'custom_objects.pet.diet', name: 'Diet', dataType: 'TEXTBOX_LIST',
    options: [{ key: 'morning', label: 'Morning' }, { key: 'evening', label: 'Evening' }],
  },
  { fieldKey: 'custom_objects.pet.xrays', name: 'X-rays', dataType: 'FILE_UPLOAD', acceptedFormats: '.png', maxFileLimit: 3 },
  { fieldKey: 'custom_objects.pet.owner_email', name: 'Owner email', dataType: 'EMAIL' },
];

const FIXTURE = {
  locations: [
    {
      id: LOC_A,
      name: 'Alpha Pet Clinic',
      users: [
        { id: USER_A1, name: 'Ada Lovelace', email: 'ada@example.com' },
        { id: USER_A2, name: 'Grace Hopper' },
      ],
      tokens: [
        { type: 'private-integration', token: PIT_A, scopes: READ },
        { type: 'oauth', scopes: ['objects/record.readonly', 'objects/schema.readonly'] },
        { type: 'private-integration', token: PIT_A_NO_SCOPE, scopes: ['objects/schema.readonly', 'locations/customFields.readonly'] },
        // record.write does not imply record.readonly
        { type: 'oauth', scopes: ['objects/record.write'] },
        { type: 'private-integration', token: PIT_A_REVOKED, scopes: READ, revoked: true },
        { type: 'oauth', scopes: READ, revoked: true },
        { type: 'private-integration', id: ID_PIT_LIVE, token: PIT_A_LIVE, scopes: READ },
        { type: 'oauth', id: ID_OAUTH_LIVE, scopes: READ },
        { type: 'private-integration', token: PIT_A_EXPIRING, scopes: READ, expiresIn: 1 },
        { type: 'oauth', scopes: READ, expiresIn: 1 },
      ],
      objects: [
        {
          key: 'custom_objects.pet',
          id: OBJ_PET_A,
          labels: { singular: 'Pet', plural: 'Pets' },
          primaryDisplayProperty: 'custom_objects.pet.name',
          fields: PET_FIELDS,
        },
        {
          key: 'business',
          fields: [
            {
              fieldKey: 'business.tier', name: 'Tier', dataType: 'SINGLE_OPTIONS',
              options: [{ key: 'gold', label: 'Gold' }, { key: 'silver', label: 'Silver' }],
            },
          ],
        },
      ],
      records: [
        {
          objectKey: 'custom_objects.pet',
          id: REC_FULL,
          owner: [USER_A1],
          followers: [USER_A1, USER_A2],
          properties: FULL_PROPERTIES,
          dateAdded: '2024-07-11T10:00:00.000Z',
          dateUpdated: '2024-07-12T08:30:00.000Z',
        },
        {
          objectKey: 'custom_objects.pet',
          id: REC_NORM,
          properties: NORM_PROPERTIES_IN,
          // not UTC and without milliseconds: answered as 2024-08-01T09:15:00.000Z
          dateAdded: '2024-08-01T11:15:00+02:00',
        },
        {
          objectKey: 'business',
          id: BIZ_A,
          followers: [USER_A2],
          properties: BIZ_A_PROPERTIES_IN,
          dateAdded: '2024-06-01T12:00:00.000Z',
          dateUpdated: '2024-06-02T12:00:00.000Z',
        },
      ],
    },
    {
      id: LOC_B,
      name: 'Bravo Vets',
      users: [{ id: USER_B1, name: 'Barbara Liskov' }],
      tokens: [
        { type: 'private-integration', token: PIT_B, scopes: READ },
        { type: 'oauth', scopes: READ },
      ],
      objects: [
        // the same key as in location A
        { key: 'custom_objects.pet', id: OBJ_PET_B, labels: { singular: 'Pet', plural: 'Pets' }, fields: [{ fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' }] },
        // a key location A does not have
        { key: 'custom_objects.vet', id: OBJ_VET_B, labels: { singular: 'Vet', plural: 'Vets' }, fields: [{ fieldKey: 'custom_objects.vet.name', name: 'Name', dataType: 'TEXT' }] },
      ],
      records: [
        { objectKey: 'custom_objects.pet', id: REC_PET_B, owner: [USER_B1], properties: { name: 'Bravo Rex' }, dateAdded: '2024-05-05T05:05:05.005Z' },
        { objectKey: 'custom_objects.vet', id: REC_VET_B, properties: { name: 'Dr. Who' }, dateAdded: '2024-05-06T05:05:05.005Z' },
        { objectKey: 'business', id: BIZ_B, properties: { name: 'Bravo Supplies' }, dateAdded: '2024-05-07T05:05:05.005Z' },
      ],
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// Expected answers
// ---------------------------------------------------------------------------------------------

const fixtureActor = (createdAt: string) => ({ channel: 'API', source: 'FIXTURE', sourceId: 'fixture', createdAt });

/** A 200 body, keys in the contract's order. */
function recordBody(r: {
  id: string; owner: string[]; followers: string[]; properties: Record<string, unknown>;
  dateAdded: string; dateUpdated: string; locationId: string; objectId: string; objectKey: string;
}) {
  return {
    record: {
      id: r.id,
      owner: r.owner,
      followers: r.followers,
      properties: r.properties,
      dateAdded: r.dateAdded,
      dateUpdated: r.dateUpdated,
      createdAt: r.dateAdded,
      updatedAt: r.dateUpdated,
      locationId: r.locationId,
      objectId: r.objectId,
      objectKey: r.objectKey,
      createdBy: fixtureActor(r.dateAdded),
      lastUpdatedBy: fixtureActor(r.dateUpdated),
    },
  };
}

const FULL_BODY = recordBody({
  id: REC_FULL,
  owner: [USER_A1],
  followers: [USER_A1, USER_A2],
  properties: FULL_PROPERTIES,
  dateAdded: '2024-07-11T10:00:00.000Z',
  dateUpdated: '2024-07-12T08:30:00.000Z',
  locationId: LOC_A,
  objectId: OBJ_PET_A,
  objectKey: 'custom_objects.pet',
});

const NORM_BODY = recordBody({
  id: REC_NORM,
  owner: [],
  followers: [],
  properties: NORM_PROPERTIES_OUT,
  dateAdded: '2024-08-01T09:15:00.000Z',
  dateUpdated: '2024-08-01T09:15:00.000Z',
  locationId: LOC_A,
  objectId: OBJ_PET_A,
  objectKey: 'custom_objects.pet',
});

const validateRecordDto = dtoValidator('objects.json', 'RecordByIdResponseDTO');

// ---------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------

let server: TestServer;
let store: Store;
/** After this instant the fixture's `expiresIn: 1` tokens are expired (they were issued before it). */
let fixtureExpiryPassedAt: number;
const tok = {} as Record<TokenName, string>;
/** Object ids the fixture generated (standard objects). */
let bizObjA: string;
let contactObjA: string;
let opportunityObjA: string;
let bizObjB: string;
let bizABody: ReturnType<typeof recordBody>;

before(async () => {
  server = await startTestServer(FIXTURE);
  fixtureExpiryPassedAt = Date.now() + 1000;
  store = server.app.services.store;
  assert.equal(server.tokens.length, TOKEN_NAMES.length);
  TOKEN_NAMES.forEach((name, i) => {
    tok[name] = server.tokens[i]!.token;
  });

  const objectId = async (location: string, key: string) => {
    const found = (await store.listObjects(location)).objects.find((o) => o.key === key);
    assert.ok(found, `${key} of ${location}`);
    return found.id;
  };
  bizObjA = await objectId(LOC_A, 'business');
  contactObjA = await objectId(LOC_A, 'contact');
  opportunityObjA = await objectId(LOC_A, 'opportunity');
  bizObjB = await objectId(LOC_B, 'business');

  bizABody = recordBody({
    id: BIZ_A,
    owner: [],
    followers: [USER_A2],
    properties: { ...BIZ_A_PROPERTIES_IN, phone: '+14155550199' },
    dateAdded: '2024-06-01T12:00:00.000Z',
    dateUpdated: '2024-06-02T12:00:00.000Z',
    locationId: LOC_A,
    objectId: bizObjA,
    objectKey: 'business',
  });
});

after(() => server?.close());

const url = (path: string) => `${server.url}${path}`;
const get = (path: string, headers: Record<string, string>) => call(url(path), { headers });
const petPath = (id: string) => `/objects/custom_objects.pet/records/${id}`;

/** A token issued now by the running server's own service and stored: what `token create` does. */
async function mint(kind: 'pit' | 'oauth', options: { locationId?: string; scopes?: Scope[]; expiresIn?: number; now?: number; store?: boolean } = {}) {
  const { token, row } = await server.app.services.tokens.issue(kind, {
    locationId: options.locationId ?? LOC_A,
    scopes: options.scopes ?? READ,
    expiresIn: options.expiresIn,
    now: options.now,
  });
  if (options.store !== false) await store.insertToken(row);
  return { token, row };
}

function assertBody(res: Answer, status: number, body: unknown, what: string): void {
  assert.equal(res.status, status, `${what}: status (body ${res.text})`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${what}: content-type`);
  if (status === 200) {
    assert.deepEqual(res.body, body, `${what}: body`);
    assert.deepEqual(validateRecordDto(res.body), [], `${what}: RecordByIdResponseDTO`);
  } else {
    assert.equal(res.text, JSON.stringify(body), `${what}: body, byte for byte`);
  }
}

// ---------------------------------------------------------------------------------------------
// 200 bodies
// ---------------------------------------------------------------------------------------------

test('a custom-object record: the whole 200 body, valid against RecordByIdResponseDTO', async () => {
  const res = await get(petPath(REC_FULL), auth(PIT_A));
  assertBody(res, 200, FULL_BODY, 'pet');
  // Dates are ISO-8601 UTC with milliseconds.
  const record = (res.body as typeof FULL_BODY).record;
  for (const d of [record.dateAdded, record.dateUpdated, record.createdAt, record.updatedAt, record.createdBy.createdAt, record.lastUpdatedBy.createdAt]) {
    assert.match(d, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  }
});

test('a business record: the whole 200 body, owner [] and standard plus custom fields', async () => {
  const res = await get(`/objects/business/records/${BIZ_A}`, auth(PIT_A));
  assertBody(res, 200, bizABody, 'business');
  assert.deepEqual((res.body as typeof bizABody).record.owner, []);
});

test('every property type round-trips from the fixture, normalised as the contract says', async () => {
  const res = await get(petPath(REC_NORM), auth(PIT_A));
  assertBody(res, 200, NORM_BODY, 'normalised pet');
  const props = (res.body as typeof NORM_BODY).record.properties as Record<string, unknown>;
  // Spelled out, so a failure names the rule that broke.
  assert.equal(props.owner_phone, '+14155550123', 'PHONE in E.164');
  assert.equal(props.birthday, '2024-03-11', 'DATE from a date-time: its UTC date');
  assert.equal(props.last_visit, '2023-12-31', 'DATE from a date-time: its UTC date (previous year)');
  assert.deepEqual(props.vaccines, ['rabies', 'parvo'], 'CHECKBOX duplicates collapse');
  assert.deepEqual(props.allergies, ['pollen', 'penicillin'], 'MULTIPLE_OPTIONS duplicates collapse');
  assert.deepEqual(props.balance, { currency: 'default', value: 1999.99 }, 'MONETORY currency defaults');
  assert.ok(!('history' in props), 'a null property is absent');
  assert.ok(!('owner_email' in props), 'a null property is absent');
  assert.ok(!('diet.morning' in props), 'an unset TEXTBOX_LIST option is absent');
  assert.ok(res.text.includes('"currency":"default"'));
  assert.ok(!res.text.includes('null'), `no null anywhere in ${res.text}`);

  // Stored state: the normalised form is what the store holds, not a read-time rewrite.
  assert.deepEqual((await store.getRecord(OBJ_PET_A, REC_NORM))?.properties, NORM_PROPERTIES_OUT);

  // REC_FULL sets a property of every field, so every dataType round-trips in this file.
  const full = (await get(petPath(REC_FULL), auth(PIT_A))).body as typeof FULL_BODY;
  const answeredFields = new Set(Object.keys(full.record.properties).map((k) => k.split('.')[0]));
  const answeredTypes = new Set(PET_FIELDS.filter((f) => answeredFields.has(f.fieldKey.split('.')[2])).map((f) => f.dataType));
  assert.deepEqual([...answeredTypes].sort(), [
    'CHECKBOX', 'DATE', 'EMAIL', 'FILE_UPLOAD', 'LARGE_TEXT', 'MONETORY', 'MULTIPLE_OPTIONS', 'NUMERICAL', 'PHONE', 'RADIO', 'SINGLE_OPTIONS', 'TEXT', 'TEXTBOX_LIST',
  ]);
});

test('a PIT and an OAuth token of the same location read byte-identical bodies', async () => {
  for (const [path, expected] of [[petPath(REC_FULL), FULL_BODY], [petPath(REC_NORM), NORM_BODY], [`/objects/business/records/${BIZ_A}`, bizABody]] as const) {
    const byPit = await get(path, auth(tok.pitA));
    const byOauth = await get(path, auth(tok.oauthA));
    assertBody(byPit, 200, expected, `PIT ${path}`);
    assertBody(byOauth, 200, expected, `OAuth ${path}`);
    assert.equal(byOauth.text, byPit.text, path);
  }
});

// ---------------------------------------------------------------------------------------------
// Changes while the server runs
// ---------------------------------------------------------------------------------------------

/** Contract: a running server refuses a revoked token within a second (it polls every 250 ms). */
const REVOCATION_DEADLINE_MS = 1000;

test('a PIT revoked through the store while the server runs is refused within a second, even after use', async () => {
  const pet = petPath(REC_FULL);
  assertBody(await get(pet, auth(PIT_A_LIVE)), 200, FULL_BODY, 'before revocation');
  assertBody(await get(pet, auth(PIT_A_LIVE)), 200, FULL_BODY, 'before revocation, cached');

  const at = new Date().toISOString();
  assert.equal(await store.revokeToken(ID_PIT_LIVE, at), true);
  const polled = await pollUntil(() => get(pet, auth(PIT_A_LIVE)), (r) => r.status !== 200, { timeoutMs: REVOCATION_DEADLINE_MS });
  assert.ok(polled.done, `still answered ${polled.value.status} ${polled.elapsedMs} ms after revocation`);
  assertBody(polled.value, 401, E.invalidToken, 'after revocation');
  assert.equal((await store.findTokenById(ID_PIT_LIVE))?.revokedAt, at, 'stored revocation');
  // Other tokens are unaffected.
  assertBody(await get(pet, auth(PIT_A)), 200, FULL_BODY, 'another token');
});

test('an OAuth token revoked by another connection (as the CLI does) is refused within a second, even after use', async () => {
  const pet = petPath(REC_FULL);
  assertBody(await get(pet, auth(tok.oauthLive)), 200, FULL_BODY, 'before revocation');

  const other = openSqliteStore(server.dbPath);
  const at = new Date().toISOString();
  try {
    assert.equal(await other.revokeToken(ID_OAUTH_LIVE, at), true);
  } finally {
    await other.close();
  }
  const polled = await pollUntil(() => get(pet, auth(tok.oauthLive)), (r) => r.status !== 200, { timeoutMs: REVOCATION_DEADLINE_MS });
  assert.ok(polled.done, `still answered ${polled.value.status} ${polled.elapsedMs} ms after revocation`);
  assertBody(polled.value, 401, E.invalidToken, 'after revocation');
  assert.equal((await store.findTokenById(ID_OAUTH_LIVE))?.revokedAt, at, 'stored revocation');
  assertBody(await get(pet, auth(tok.oauthA)), 200, FULL_BODY, 'another token');
});

test('tokens that expire while in use (PIT and OAuth) are refused once expired, though their verdict was cached', async () => {
  const pet = petPath(REC_FULL);
  // A JWT's exp is in whole seconds: issue at the start of a second, early enough in it that
  // the tokens live at least 1.6 s (long enough to be used, even with the machine busy running
  // the other test files: 0.6 s was once too short) and at most 2 s.
  const intoSecond = Date.now() % 1000;
  if (intoSecond > 400) await sleep(1000 - intoSecond);
  const issuedAt = Math.floor(Date.now() / 1000) * 1000;
  const pit = (await mint('pit', { expiresIn: 2, now: issuedAt })).token;
  const oauth = (await mint('oauth', { expiresIn: 2, now: issuedAt })).token;
  assertBody(await get(pet, auth(pit)), 200, FULL_BODY, 'PIT before expiry');
  assertBody(await get(pet, auth(oauth)), 200, FULL_BODY, 'OAuth before expiry');

  await waitUntilPast(issuedAt + 2000);
  assertBody(await get(pet, auth(pit)), 401, E.invalidToken, 'PIT after expiry');
  assertBody(await get(pet, auth(oauth)), 401, E.invalidToken, 'OAuth after expiry');
});

// ---------------------------------------------------------------------------------------------
// The scenario table
// ---------------------------------------------------------------------------------------------

interface Row {
  name: string;
  path: string;
  headers: Record<string, string>;
  status: number;
  /** The expected body: compared byte for byte for errors, deeply (and against the DTO) for 200. */
  body: unknown;
}

test("a cached token's verdict serves that token only: a forged token that ends like it is verified, and refused", async () => {
  // The verdict cache is keyed by the token's last characters (src/services/tokens.ts); a JWT
  // whose payload is changed but whose signature is kept ends exactly like the real one.
  const forged = withTamperedPayload(tok.oauthA, (c) => ({ ...c, authClassId: LOC_B }));
  assert.equal(forged.slice(-24), tok.oauthA.slice(-24));
  const pet = petPath(REC_FULL);
  assert.equal((await get(pet, auth(tok.oauthA))).status, 200); // now cached
  const refused = await get(`/objects/${OBJ_PET_B}/records/${REC_PET_B}`, auth(forged));
  assert.equal(refused.status, 401);
  assert.deepEqual(refused.body, E.invalidToken);
  assert.equal((await get(pet, auth(forged))).status, 401);
  // The real token still reads, and the forged one never took its place.
  assert.equal((await get(pet, auth(tok.oauthA))).status, 200);
  assert.equal((await get(pet, auth(forged))).status, 401);
});

test('scenario table: every row of the contract for GET /objects/{schemaKey}/records/{id}', async (t) => {
  // Tokens made for the table (setup, not under test).
  const hourAgo = Date.now() - 3_600_000;
  const expiredPit = (await mint('pit', { now: hourAgo - 60_000, expiresIn: 3600 - 30 })).token;
  const expiredOauth = (await mint('oauth', { now: hourAgo - 60_000, expiresIn: 3600 - 30 })).token;
  const neverStored = (await mint('oauth', { store: false })).token;
  const publicPem = (await loadSigningKey(store)).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const foreignKey = await signedByForeignKey(tok.oauthA);
  const hs256 = await signedHs256(tok.oauthA, publicPem);
  const toLocationB = withTamperedPayload(tok.oauthA, (c) => ({ ...c, authClassId: LOC_B }));
  const widenedScopes = withTamperedPayload(tok.oauthNoScope, (c) => ({ ...c, oauthMeta: { ...(c.oauthMeta as object), scopes: ['objects/record.readonly'] } }));
  const extendedExpiry = withTamperedPayload(expiredOauth, (c) => ({ ...c, exp: Math.floor(Date.now() / 1000) + 3600 }));

  const pet = petPath(REC_FULL);
  const A = auth(PIT_A);
  const rows: Row[] = [
    // 1. Version, before anything else
    { name: 'Version missing', path: pet, headers: { Authorization: `Bearer ${PIT_A}` }, status: 401, body: E.versionMissing },
    { name: 'Version missing, bad token too: the version answers', path: pet, headers: { Authorization: 'Bearer garbage' }, status: 401, body: E.versionMissing },
    { name: 'Version missing, no Authorization either', path: pet, headers: {}, status: 401, body: E.versionMissing },
    { name: 'Version missing on a foreign locationId and a bad id', path: '/objects/x/records/1?locationId=' + LOC_B, headers: {}, status: 401, body: E.versionMissing },
    { name: 'Version of the SDK default (2023-02-21) not accepted by default', path: pet, headers: auth(PIT_A, '2023-02-21'), status: 401, body: E.versionInvalid },
    { name: 'Version invalid, bad token too: the version answers', path: pet, headers: auth('garbage', 'v1'), status: 401, body: E.versionInvalid },
    { name: 'Version invalid (a date-time)', path: pet, headers: auth(PIT_A, '2021-07-28T00:00:00Z'), status: 401, body: E.versionInvalid },

    // 2. Authorization
    { name: 'Authorization missing', path: pet, headers: { Version: VERSION }, status: 401, body: E.invalidToken },
    { name: 'Authorization not Bearer (Basic)', path: pet, headers: { Version: VERSION, Authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }, status: 401, body: E.invalidToken },
    { name: 'Authorization: a valid PIT without "Bearer "', path: pet, headers: { Version: VERSION, Authorization: PIT_A }, status: 401, body: E.invalidToken },
    { name: 'Authorization: "Bearer" alone', path: pet, headers: { Version: VERSION, Authorization: 'Bearer' }, status: 401, body: E.invalidToken },
    { name: 'Authorization: two tokens', path: pet, headers: { Version: VERSION, Authorization: `Bearer ${PIT_A} ${PIT_A}` }, status: 401, body: E.invalidToken },
    { name: 'garbage token', path: pet, headers: auth('not-a-token'), status: 401, body: E.invalidToken },
    { name: 'garbage in JWT shape', path: pet, headers: auth('abc.def.ghi'), status: 401, body: E.invalidToken },
    { name: 'well-formed but unknown pit-<uuid>', path: pet, headers: auth(`pit-${randomUUID()}`), status: 401, body: E.invalidToken },
    { name: 'a known PIT in upper case', path: pet, headers: auth(PIT_A.toUpperCase()), status: 401, body: E.invalidToken },
    { name: 'JWT with the same claims signed by another RSA key', path: pet, headers: auth(foreignKey), status: 401, body: E.invalidToken },
    { name: 'JWT with alg none, empty signature', path: pet, headers: auth(unsecured(tok.oauthA)), status: 401, body: E.invalidToken },
    { name: 'JWT with alg none, the original signature kept', path: pet, headers: auth(unsecured(tok.oauthA, tok.oauthA.split('.')[2])), status: 401, body: E.invalidToken },
    { name: 'JWT HS256 keyed with the server public key (key confusion)', path: pet, headers: auth(hs256), status: 401, body: E.invalidToken },
    { name: 'JWT payload tampered (authClassId to another location)', path: pet, headers: auth(toLocationB), status: 401, body: E.invalidToken },
    { name: 'JWT payload tampered (scopes widened)', path: pet, headers: auth(widenedScopes), status: 401, body: E.invalidToken },
    { name: 'JWT payload tampered (exp of an expired token moved forward)', path: pet, headers: auth(extendedExpiry), status: 401, body: E.invalidToken },
    { name: 'JWT signed by the server whose jti was never stored', path: pet, headers: auth(neverStored), status: 401, body: E.invalidToken },
    { name: 'expired PIT (issued in the past)', path: pet, headers: auth(expiredPit), status: 401, body: E.invalidToken },
    { name: 'expired OAuth token (issued in the past)', path: pet, headers: auth(expiredOauth), status: 401, body: E.invalidToken },
    { name: 'expired PIT (fixture expiresIn: 1)', path: pet, headers: auth(PIT_A_EXPIRING), status: 401, body: E.invalidToken },
    { name: 'expired OAuth token (fixture expiresIn: 1)', path: pet, headers: auth(tok.oauthExpiring), status: 401, body: E.invalidToken },
    { name: 'revoked PIT (fixture)', path: pet, headers: auth(PIT_A_REVOKED), status: 401, body: E.invalidToken },
    { name: 'revoked OAuth token (fixture)', path: pet, headers: auth(tok.oauthRevoked), status: 401, body: E.invalidToken },
    { name: 'revoked PIT with a foreign locationId: still the token error', path: `${pet}?locationId=${LOC_B}`, headers: auth(PIT_A_REVOKED), status: 401, body: E.invalidToken },
    { name: 'token before parameters: garbage token, bad id', path: petPath('nope'), headers: auth('garbage'), status: 401, body: E.invalidToken },
    { name: 'token before lookup: garbage token, unknown schemaKey', path: `/objects/custom_objects.nope/records/${REC_FULL}`, headers: auth('garbage'), status: 401, body: E.invalidToken },

    // 3. Scope
    { name: 'PIT without objects/record.readonly', path: pet, headers: auth(PIT_A_NO_SCOPE), status: 401, body: E.scopeMissing },
    { name: 'OAuth token with record.write only', path: pet, headers: auth(tok.oauthNoScope), status: 401, body: E.scopeMissing },
    { name: 'scope before location: scope-less token, foreign locationId', path: `${pet}?locationId=${LOC_B}`, headers: auth(PIT_A_NO_SCOPE), status: 401, body: E.scopeMissing },
    { name: 'scope before parameters: scope-less token, bad id', path: petPath('nope'), headers: auth(tok.oauthNoScope), status: 401, body: E.scopeMissing },

    // 4. Location
    { name: '?locationId= of another location (PIT)', path: `${pet}?locationId=${LOC_B}`, headers: A, status: 403, body: E.locationForbidden },
    { name: '?locationId= of another location (OAuth)', path: `${pet}?locationId=${LOC_B}`, headers: auth(tok.oauthA), status: 403, body: E.locationForbidden },
    { name: '?locationId= that is no location at all', path: `${pet}?locationId=nope`, headers: A, status: 403, body: E.locationForbidden },
    { name: 'location before parameters: foreign locationId, bad id', path: `${petPath('nope')}?locationId=${LOC_B}`, headers: A, status: 403, body: E.locationForbidden },
    { name: 'location before lookup: foreign locationId, unknown schemaKey', path: `/objects/custom_objects.nope/records/${REC_FULL}?locationId=${LOC_B}`, headers: A, status: 403, body: E.locationForbidden },
    { name: '?locationId= of the token\'s own location', path: `${pet}?locationId=${LOC_A}`, headers: A, status: 200, body: FULL_BODY },

    // Parameters
    { name: 'id not hex', path: petPath('not-a-mongo-id'), headers: A, status: 400, body: E.badObjectId('id') },
    { name: 'id of 23 hex', path: petPath(REC_FULL.slice(1)), headers: A, status: 400, body: E.badObjectId('id') },
    { name: 'id of 25 hex', path: petPath(`${REC_FULL}0`), headers: A, status: 400, body: E.badObjectId('id') },
    { name: 'id in upper-case hex', path: petPath(REC_FULL.toUpperCase()), headers: A, status: 400, body: E.badObjectId('id') },
    { name: 'id not hex, business', path: '/objects/business/records/zzzzzzzzzzzzzzzzzzzzzzzz', headers: A, status: 400, body: E.badObjectId('id') },

    // schemaKey
    { name: 'unknown schemaKey', path: `/objects/custom_objects.nope/records/${REC_FULL}`, headers: A, status: 404, body: E.objectNotFound('custom_objects.nope') },
    { name: 'schemaKey without the custom_objects. prefix', path: `/objects/pet/records/${REC_FULL}`, headers: A, status: 404, body: E.objectNotFound('pet') },
    { name: 'unknown 24-hex object id', path: `/objects/${NO_SUCH_OBJECT}/records/${REC_FULL}`, headers: A, status: 404, body: E.objectNotFound(NO_SUCH_OBJECT) },
    { name: 'object by its 24-hex id', path: `/objects/${OBJ_PET_A}/records/${REC_FULL}`, headers: A, status: 200, body: FULL_BODY },
    { name: 'object by its 24-hex id (OAuth)', path: `/objects/${OBJ_PET_A}/records/${REC_NORM}`, headers: auth(tok.oauthA), status: 200, body: NORM_BODY },
    { name: 'business by its 24-hex object id', path: `/objects/${bizObjA}/records/${BIZ_A}`, headers: A, status: 200, body: bizABody },
    { name: 'business by key (OAuth)', path: `/objects/business/records/${BIZ_A}`, headers: auth(tok.oauthA), status: 200, body: bizABody },
    { name: 'contact', path: `/objects/contact/records/${REC_FULL}`, headers: A, status: 400, body: E.unsupportedObject },
    { name: 'opportunity', path: `/objects/opportunity/records/${REC_FULL}`, headers: A, status: 400, body: E.unsupportedObject },
    { name: 'contact by its 24-hex object id', path: `/objects/${contactObjA}/records/${REC_FULL}`, headers: A, status: 400, body: E.unsupportedObject },
    { name: 'opportunity by its 24-hex object id', path: `/objects/${opportunityObjA}/records/${REC_FULL}`, headers: auth(tok.oauthA), status: 400, body: E.unsupportedObject },

    // Records
    { name: 'unknown record', path: petPath(NO_SUCH_RECORD), headers: A, status: 404, body: E.recordNotFound },
    { name: 'unknown business record', path: `/objects/business/records/${NO_SUCH_RECORD}`, headers: A, status: 404, body: E.recordNotFound },
    { name: 'a business record asked through the pet object', path: petPath(BIZ_A), headers: A, status: 404, body: E.recordNotFound },
    { name: 'a pet record asked through business', path: `/objects/business/records/${REC_FULL}`, headers: A, status: 404, body: E.recordNotFound },

    // Another location's resources are simply not found
    { name: 'B\'s pet record through A\'s pet key (same key in both)', path: petPath(REC_PET_B), headers: A, status: 404, body: E.recordNotFound },
    { name: 'B\'s pet record through B\'s pet object id', path: `/objects/${OBJ_PET_B}/records/${REC_PET_B}`, headers: A, status: 404, body: E.objectNotFound(OBJ_PET_B) },
    { name: 'B\'s vet record through B\'s vet key', path: `/objects/custom_objects.vet/records/${REC_VET_B}`, headers: A, status: 404, body: E.objectNotFound('custom_objects.vet') },
    { name: 'B\'s vet record through B\'s vet object id (OAuth)', path: `/objects/${OBJ_VET_B}/records/${REC_VET_B}`, headers: auth(tok.oauthA), status: 404, body: E.objectNotFound(OBJ_VET_B) },
    { name: 'B\'s business record through business', path: `/objects/business/records/${BIZ_B}`, headers: A, status: 404, body: E.recordNotFound },
    { name: 'B\'s business record through B\'s business object id', path: `/objects/${bizObjB}/records/${BIZ_B}`, headers: A, status: 404, body: E.objectNotFound(bizObjB) },
    { name: 'B\'s token reads B\'s pet record (it exists)', path: petPath(REC_PET_B), headers: auth(PIT_B), status: 200, body: recordBody({ id: REC_PET_B, owner: [USER_B1], followers: [], properties: { name: 'Bravo Rex' }, dateAdded: '2024-05-05T05:05:05.005Z', dateUpdated: '2024-05-05T05:05:05.005Z', locationId: LOC_B, objectId: OBJ_PET_B, objectKey: 'custom_objects.pet' }) },
    { name: 'B\'s token reads B\'s vet record by object id (it exists)', path: `/objects/${OBJ_VET_B}/records/${REC_VET_B}`, headers: auth(tok.oauthB), status: 200, body: recordBody({ id: REC_VET_B, owner: [], followers: [], properties: { name: 'Dr. Who' }, dateAdded: '2024-05-06T05:05:05.005Z', dateUpdated: '2024-05-06T05:05:05.005Z', locationId: LOC_B, objectId: OBJ_VET_B, objectKey: 'custom_objects.vet' }) },
    { name: 'B\'s token cannot read A\'s pet record', path: petPath(REC_FULL), headers: auth(PIT_B), status: 404, body: E.recordNotFound },
    { name: 'B\'s token cannot read A\'s business record', path: `/objects/business/records/${BIZ_A}`, headers: auth(tok.oauthB), status: 404, body: E.recordNotFound },
    { name: 'B\'s token, A\'s pet object id', path: `/objects/${OBJ_PET_A}/records/${REC_FULL}`, headers: auth(PIT_B), status: 404, body: E.objectNotFound(OBJ_PET_A) },
    { name: 'B\'s token, ?locationId= of A', path: `${petPath(REC_PET_B)}?locationId=${LOC_A}`, headers: auth(PIT_B), status: 403, body: E.locationForbidden },

    // Routes
    { name: 'unknown route', path: '/x', headers: {}, status: 404, body: E.routeNotFound('GET', '/x') },
    { name: 'unknown route with valid credentials', path: '/x', headers: A, status: 404, body: E.routeNotFound('GET', '/x') },
    { name: 'records without an id', path: '/objects/custom_objects.pet/records', headers: A, status: 404, body: E.routeNotFound('GET', '/objects/custom_objects.pet/records') },
    { name: 'a path below a record', path: `${pet}/extra`, headers: A, status: 404, body: E.routeNotFound('GET', `${pet}/extra`) },
  ];

  const names = new Set(rows.map((r) => r.name));
  assert.equal(names.size, rows.length, 'row names are unique');

  // Nothing any row sends may change what is stored.
  const watched: Array<[string, string]> = [[OBJ_PET_A, REC_FULL], [OBJ_PET_A, REC_NORM], [bizObjA, BIZ_A], [OBJ_PET_B, REC_PET_B], [OBJ_VET_B, REC_VET_B], [bizObjB, BIZ_B]];
  const snapshot = async () => Promise.all(watched.map(([o, r]) => store.getRecord(o, r)));
  const before: Array<RecordRow | undefined> = await snapshot();
  const revisionBefore = await store.revision();

  // The fixture's expiresIn: 1 tokens must be expired before their rows run.
  await waitUntilPast(fixtureExpiryPassedAt);

  for (const row of rows) {
    await t.test(row.name, async () => {
      assertBody(await get(row.path, row.headers), row.status, row.body, row.name);
    });
  }

  assert.deepEqual(await snapshot(), before, 'stored records unchanged');
  assert.ok(before.every((r) => r !== undefined));
  assert.equal(await store.revision(), revisionBefore, 'no change to tokens or schemas');
});

test('malformed paths answer in the contract envelope with a 4xx, never a 500 or a framework body', async (t) => {
  // The contract fixes the envelope (CONTRACT.md, "Errors") but not these messages: the shape is
  // checked exactly, the message only for its type.
  const A = auth(PIT_A);
  const rows: Array<{ name: string; path: string; status: number | 'any 4xx'; headers?: Record<string, string> }> = [
    { name: 'schemaKey not valid percent-encoding', path: `/objects/%E0%A4%A/records/${REC_FULL}`, status: 400 },
    { name: 'id not valid percent-encoding', path: '/objects/custom_objects.pet/records/%zz', status: 400 },
    { name: 'schemaKey of 600 characters', path: `/objects/${'a'.repeat(600)}/records/${REC_FULL}`, status: 'any 4xx' },
    { name: 'schemaKey of 201 characters', path: `/objects/${'a'.repeat(201)}/records/${REC_FULL}`, status: 'any 4xx' },
    { name: 'schemaKey with a NUL byte', path: `/objects/%00/records/${REC_FULL}`, status: 'any 4xx' },
    { name: 'schemaKey with non-ASCII', path: `/objects/custom_objects.p%C3%A9t/records/${REC_FULL}`, status: 404 },
    { name: 'request headers over the server limit', path: petPath(REC_FULL), status: 431, headers: { ...A, 'X-Padding': 'a'.repeat(20_000) } },
  ];
  for (const row of rows) {
    await t.test(row.name, async () => {
      const res = await get(row.path, row.headers ?? A);
      if (row.status === 'any 4xx') assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${res.text}`);
      else assert.equal(res.status, row.status, res.text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = res.body as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['statusCode', 'message', 'error'], `envelope keys, in order: ${res.text}`);
      assert.equal(body.statusCode, res.status);
      assert.equal(body.error, STATUS_CODES[res.status], 'error is the reason phrase');
      assert.ok(typeof body.message === 'string' || (Array.isArray(body.message) && body.message.every((m) => typeof m === 'string')), 'message is a string or string[]');
    });
  }
  // And the server still answers.
  assertBody(await get(petPath(REC_FULL), A), 200, FULL_BODY, 'afterwards');
});
