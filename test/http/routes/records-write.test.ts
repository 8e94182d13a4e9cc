import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { contractErrors as E } from '../../helpers/contract-errors.js';
import { waitUntilPast } from '../../helpers/poll.js';
import { dtoValidator } from '../../helpers/spec-dto.js';
import { auth, call, startTestServer, type Answer, type TestServer } from '../../helpers/test-server.js';

/**
 * POST / PUT / DELETE of records over real HTTP and a real SQLite file, against CONTRACT.md
 * ("Every request", "Errors", "Property values by field dataType", "Standard objects") and
 * highlevel-behavior.md §1 and §3. Every refused write is checked to leave the database as it was.
 */

// ---------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------

const LOC = 'Wr1LocationAlpha0001';
const OTHER_LOC = 'Wr2LocationBravo0002';
const UNKNOWN_LOC = 'Wr9LocationNowhere09';
const USER_1 = 'sx6wyHhbFdRXh302Lunr';
const USER_2 = 'v5cEPM428h8vShlRW1KT';
const USER_OTHER = 'Wr2UserOfBravo000001';
/** Eleven more users of LOC, for the followers cap. */
const CROWD = Array.from({ length: 11 }, (_, i) => `Wr1User${String(i + 1).padStart(13, '0')}`);

const OBJ_PET = '6798a1a18fc746e0eba2ccfe';
const OBJ_PET_OTHER = '6798a1a18fc746e0eba2cc0b';

const REC_REX = '661c06b4ffde146bdb469442';
const REC_MISTY = '661c06b4ffde146bdb469443';
const REC_TABLE_UPD = '661c06b4ffde146bdb469450';
const REC_TABLE_DEL_KEY = '661c06b4ffde146bdb469451';
const REC_TABLE_DEL_ID = '661c06b4ffde146bdb469452';
const BIZ_1 = '66a0f1c2d3e4f5a6b7c8d9e0';
const BIZ_2 = '66a0f1c2d3e4f5a6b7c8d9e3';
const BIZ_TABLE_UPD = '66a0f1c2d3e4f5a6b7c8d9e1';
const BIZ_TABLE_DEL = '66a0f1c2d3e4f5a6b7c8d9e2';
const REC_OTHER = '661c06b4ffde146bdb4694b1';
const NO_SUCH_RECORD = '661c06b4ffde146bdb46ffff';

const PIT_W = 'pit-7a0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d31';
const PIT_W2 = 'pit-7b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d32';
const PIT_READ = 'pit-7c0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d33';
const PIT_OTHER = 'pit-7d0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d34';
const PIT_UNKNOWN = 'pit-7e0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d35';
const ID_PIT_W = '00000000-0000-4000-8000-00000000a001';
const ID_PIT_W2 = '00000000-0000-4000-8000-00000000a002';
const ID_OAUTH_WRITE = '00000000-0000-4000-8000-00000000a004';

const ALL_SCOPES = ['objects/record.readonly', 'objects/record.write', 'objects/schema.readonly', 'objects/schema.write'];
const READ_SCOPES = ['objects/record.readonly', 'objects/schema.readonly', 'locations/customFields.readonly'];

const PET_FIELDS = [
  { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
  { fieldKey: 'custom_objects.pet.history', name: 'Medical history', dataType: 'LARGE_TEXT' },
  { fieldKey: 'custom_objects.pet.weight_kg', name: 'Weight (kg)', dataType: 'NUMERICAL' },
  { fieldKey: 'custom_objects.pet.owner_phone', name: 'Owner phone', dataType: 'PHONE' },
  { fieldKey: 'custom_objects.pet.owner_email', name: 'Owner email', dataType: 'EMAIL' },
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
    options: [{ key: 'small', label: 'Small' }, { key: 'large', label: 'Large' }],
  },
  { fieldKey: 'custom_objects.pet.birthday', name: 'Birthday', dataType: 'DATE' },
  {
    fieldKey: 'custom_objects.pet.diet', name: 'Diet', dataType: 'TEXTBOX_LIST',
    options: [{ key: 'morning', label: 'Morning' }, { key: 'evening', label: 'Evening' }],
  },
  { fieldKey: 'custom_objects.pet.xrays', name: 'X-rays', dataType: 'FILE_UPLOAD', acceptedFormats: '.png', maxFileLimit: 3 },
  // one unique field of each type that may be unique
  { fieldKey: 'custom_objects.pet.chip_id', name: 'Microchip ID', dataType: 'TEXT', unique: true },
  { fieldKey: 'custom_objects.pet.passport', name: 'Passport text', dataType: 'LARGE_TEXT', unique: true },
  { fieldKey: 'custom_objects.pet.tag_no', name: 'Tag number', dataType: 'NUMERICAL', unique: true },
  { fieldKey: 'custom_objects.pet.emergency_phone', name: 'Emergency phone', dataType: 'PHONE', unique: true },
];

const REX_PROPERTIES = {
  name: 'Rex',
  history: 'Neutered in 2022.',
  weight_kg: 31.5,
  owner_phone: '+917000000000',
  owner_email: 'rex.owner@example.com',
  balance: { currency: 'default', value: 100 },
  vaccines: ['rabies', 'parvo'],
  species: 'dog',
  allergies: ['chicken'],
  temperament: 'calm',
  size: 'large',
  birthday: '2019-04-02',
  'diet.morning': 'Dry food, 200 g',
  'diet.evening': 'Wet food, 150 g',
  xrays: [{ url: 'https://example.com/xrays/rex-1.png', name: 'rex-1.png' }],
  chip_id: 'CHIP-REX',
  passport: 'PASSPORT-REX',
  tag_no: 7,
  emergency_phone: '+14155550000',
};

const FIXTURE = {
  locations: [
    {
      id: LOC,
      name: 'Write Clinic',
      users: [
        { id: USER_1, name: 'Ada Lovelace' },
        { id: USER_2, name: 'Grace Hopper' },
        ...CROWD.map((id, i) => ({ id, name: `Follower ${i + 1}` })),
      ],
      tokens: [
        { type: 'private-integration', id: ID_PIT_W, token: PIT_W, scopes: ALL_SCOPES },
        { type: 'private-integration', id: ID_PIT_W2, token: PIT_W2, scopes: ['objects/record.write', 'objects/record.readonly'] },
        { type: 'oauth', scopes: READ_SCOPES },
        { type: 'oauth', id: ID_OAUTH_WRITE, scopes: ['objects/record.write', 'objects/record.readonly'] },
        { type: 'private-integration', token: PIT_READ, scopes: READ_SCOPES },
      ],
      objects: [
        { key: 'custom_objects.pet', id: OBJ_PET, labels: { singular: 'Pet', plural: 'Pets' }, primaryDisplayProperty: 'custom_objects.pet.name', fields: PET_FIELDS },
        {
          key: 'business',
          fields: [
            {
              fieldKey: 'business.supplier_tier', name: 'Supplier tier', dataType: 'SINGLE_OPTIONS',
              options: [{ key: 'gold', label: 'Gold' }, { key: 'silver', label: 'Silver' }],
            },
            { fieldKey: 'business.vat_id', name: 'VAT ID', dataType: 'TEXT', unique: true },
          ],
        },
      ],
      records: [
        {
          objectKey: 'custom_objects.pet', id: REC_REX, owner: [USER_1], followers: [USER_1, USER_2], properties: REX_PROPERTIES,
          dateAdded: '2024-07-11T10:00:00.000Z', dateUpdated: '2024-07-12T08:30:00.000Z',
        },
        { objectKey: 'custom_objects.pet', id: REC_MISTY, properties: { name: 'Misty', chip_id: 'CHIP-MISTY' }, dateAdded: '2024-08-01T09:15:00.000Z' },
        { objectKey: 'custom_objects.pet', id: REC_TABLE_UPD, properties: { name: 'Table update' }, dateAdded: '2024-08-02T09:15:00.000Z' },
        { objectKey: 'custom_objects.pet', id: REC_TABLE_DEL_KEY, properties: { name: 'Table delete by key' } },
        { objectKey: 'custom_objects.pet', id: REC_TABLE_DEL_ID, properties: { name: 'Table delete by id' } },
        { objectKey: 'business', id: BIZ_1, properties: { name: 'Happy Paws Supplies', vat_id: 'VAT-1', supplier_tier: 'gold' }, dateAdded: '2024-06-01T12:00:00.000Z' },
        { objectKey: 'business', id: BIZ_2, properties: { name: 'Second Supplies', vat_id: 'VAT-2' } },
        { objectKey: 'business', id: BIZ_TABLE_UPD, properties: { name: 'Table business update' } },
        { objectKey: 'business', id: BIZ_TABLE_DEL, properties: { name: 'Table business delete' } },
      ],
    },
    {
      id: OTHER_LOC,
      name: 'Bravo Vets',
      users: [{ id: USER_OTHER, name: 'Barbara Liskov' }],
      tokens: [{ type: 'private-integration', token: PIT_OTHER, scopes: ALL_SCOPES }],
      objects: [
        {
          key: 'custom_objects.pet', id: OBJ_PET_OTHER, labels: { singular: 'Pet', plural: 'Pets' },
          fields: [
            { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
            { fieldKey: 'custom_objects.pet.chip_id', name: 'Microchip ID', dataType: 'TEXT', unique: true },
          ],
        },
      ],
      records: [{ objectKey: 'custom_objects.pet', id: REC_OTHER, properties: { name: 'Bravo Rex', chip_id: 'CHIP-OTHER' } }],
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// Expected bodies (written out here, not taken from src/)
// ---------------------------------------------------------------------------------------------

const v422 = (...message: string[]) => ({ statusCode: 422, message, error: 'Unprocessable Entity' });
const LOC_NOT_SPECIFIED = { statusCode: 400, message: 'LocationId is not specified', error: 'Bad Request' };
const LOC_SHOULD_NOT_EXIST = v422('property locationId should not exist');
const LOC_REQUIRED = v422('locationId must be a string', 'locationId should not be empty');
function duplicate(fieldName: string, value: string | number, field: string) {
  const message = `A record with the same value for ${fieldName} - ${value} already exists.`;
  return { statusCode: 400, message, errors: [{ errorCode: 'duplicate_record', message, field }] };
}
const notOption = (prop: string, value: string, field: string, keys: string) => `properties.${prop} has "${value}", which is not an option of ${field} (${keys})`;
const VACCINE_KEYS = 'rabies, distemper, parvo';
const notUser = (path: string, id: string) => `${path} ${id} is not a user of this location`;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface Actor {
  channel: string;
  source: string;
  sourceId: string;
  createdAt: string;
}
interface ApiRecord {
  id: string;
  owner: string[];
  followers: string[];
  properties: Record<string, unknown>;
  dateAdded: string;
  dateUpdated: string;
  createdAt: string;
  updatedAt: string;
  locationId: string;
  objectId: string;
  objectKey: string;
  createdBy: Actor;
  lastUpdatedBy: Actor;
}

const validateRecord = dtoValidator('objects.json', 'RecordByIdResponseDTO');
const validateDelete = dtoValidator('objects.json', 'ObjectRecordDeleteResponseDTO');

let server: TestServer;
let db: Database.Database;
let oauthRead: string;
let oauthWrite: string;
let bizObjectId: string;

before(async () => {
  server = await startTestServer(FIXTURE);
  const oauth = server.tokens.filter((t) => t.type === 'oauth');
  assert.equal(oauth.length, 2);
  oauthRead = oauth[0]!.token;
  oauthWrite = oauth[1]!.token;
  const biz = (await server.app.services.store.listObjects(LOC)).objects.find((o) => o.key === 'business');
  assert.ok(biz);
  bizObjectId = biz.id;
  db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
});
after(async () => {
  db?.close();
  await server?.close();
});

const url = (path: string) => `${server.url}${path}`;
const recordsPath = (schemaKey: string) => `/objects/${schemaKey}/records`;
const PET = recordsPath('custom_objects.pet');
const PET_BY_ID = recordsPath(OBJ_PET);
const BIZ = recordsPath('business');

/** Everything a write may touch, as text: records and the unique index. */
function snapshot(): string {
  const records = db.prepare('SELECT * FROM records ORDER BY id').all();
  const unique = db.prepare('SELECT * FROM unique_values ORDER BY object_id, field_key, value').all();
  return JSON.stringify({ records, unique });
}

function countRecords(objectId = OBJ_PET): number {
  return db.prepare('SELECT count(*) AS n FROM records WHERE object_id = ?').pluck().get(objectId) as number;
}

/** How many records of the pet object hold `value` in `key` (read from the stored JSON). */
function countHolding(key: string, value: string | number): number {
  return db.prepare("SELECT count(*) FROM records WHERE object_id = ? AND json_extract(properties, '$.' || ?) = ?").pluck().get(OBJ_PET, `"${key}"`, value) as number;
}

function expectError(res: Answer, status: number, body: unknown): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.text, JSON.stringify(body));
}

/** A 2xx record answer: status, DTO, and the record. */
function expectRecord(res: Answer, status: number): ApiRecord {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(validateRecord(res.body), []);
  return (res.body as { record: ApiRecord }).record;
}

/** A 200 delete answer: exactly `{"id":..,"success":true}`, valid against the spec's DTO. */
function expectDeleted(res: Answer, id: string): void {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, JSON.stringify({ id, success: true }));
  assert.deepEqual(validateDelete(res.body), []);
}

function createRaw(body: unknown, schemaKey = 'custom_objects.pet', token = PIT_W): Promise<Answer> {
  return call(url(recordsPath(schemaKey)), { method: 'POST', headers: auth(token), body });
}
function updateRaw(id: string, body: unknown, schemaKey = 'custom_objects.pet', token = PIT_W): Promise<Answer> {
  return call(url(`${recordsPath(schemaKey)}/${id}?locationId=${LOC}`), { method: 'PUT', headers: auth(token), body });
}
function deleteRaw(id: string, schemaKey = 'custom_objects.pet', token = PIT_W): Promise<Answer> {
  return call(url(`${recordsPath(schemaKey)}/${id}`), { method: 'DELETE', headers: auth(token) });
}
function getRaw(id: string, schemaKey = 'custom_objects.pet', token = PIT_W): Promise<Answer> {
  return call(url(`${recordsPath(schemaKey)}/${id}`), { headers: auth(token) });
}

async function create(properties: Record<string, unknown>, extra: Record<string, unknown> = {}, schemaKey = 'custom_objects.pet', token = PIT_W): Promise<ApiRecord> {
  return expectRecord(await createRaw({ locationId: LOC, ...extra, properties }, schemaKey, token), 201);
}
async function update(id: string, body: Record<string, unknown>, schemaKey = 'custom_objects.pet', token = PIT_W): Promise<ApiRecord> {
  return expectRecord(await updateRaw(id, body, schemaKey, token), 200);
}
async function read(id: string, schemaKey = 'custom_objects.pet'): Promise<ApiRecord> {
  return expectRecord(await getRaw(id, schemaKey), 200);
}

const sorted = (xs: readonly string[]) => [...xs].sort();

// ---------------------------------------------------------------------------------------------
// Scenario table
// ---------------------------------------------------------------------------------------------

type Headers = Record<string, string>;
interface Scenario {
  name: string;
  method: 'POST' | 'PUT' | 'DELETE';
  path: string | (() => string);
  /** Default: the write PIT of LOC with the contract's Version. */
  headers?: Headers | (() => Headers);
  body?: unknown;
  status: number;
  /** An error body, compared byte for byte; or a check of a 2xx answer. */
  expectBody: unknown;
}

const pit = (): Headers => auth(PIT_W);
const oauthReadOnly = (): Headers => auth(oauthRead);
const noVersion: Headers = { Authorization: `Bearer ${PIT_W}` };
const badVersion: Headers = auth(PIT_W, '2020-01-01');
const noToken: Headers = { Version: '2021-07-28' };

const REX_PUT = `${PET}/${REC_REX}?locationId=${LOC}`;
const REX_DELETE = `${PET}/${REC_REX}`;
const createBody = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ locationId: LOC, ...extra, properties });
const FILES = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `https://example.com/xrays/f${i}.png` }));

/** Refusals of the "Every request" checks, for one method and path. */
function everyRequest(method: Scenario['method'], path: string, body: unknown): Scenario[] {
  return [
    { name: `${method}: no Version header`, method, path, headers: noVersion, body, status: 401, expectBody: E.versionMissing },
    { name: `${method}: unsupported Version`, method, path, headers: badVersion, body, status: 401, expectBody: E.versionInvalid },
    { name: `${method}: no Authorization`, method, path, headers: noToken, body, status: 401, expectBody: E.invalidToken },
    { name: `${method}: unknown PIT`, method, path, headers: auth(PIT_UNKNOWN), body, status: 401, expectBody: E.invalidToken },
    { name: `${method}: OAuth token with read scopes only`, method, path, headers: oauthReadOnly, body, status: 401, expectBody: E.scopeMissing },
    { name: `${method}: PIT with read scopes only`, method, path, headers: auth(PIT_READ), body, status: 401, expectBody: E.scopeMissing },
  ];
}

/** Checks of successful rows; each returns nothing and throws on a mismatch. */
const created = (objectKey: string, objectId: () => string, properties: Record<string, unknown>, owner: string[] = [], followers: string[] = []) => (res: Answer) => {
  const r = expectRecord(res, 201);
  assert.deepEqual(r.properties, properties);
  assert.deepEqual(r.owner, owner);
  assert.deepEqual(r.followers, followers);
  assert.equal(r.objectKey, objectKey);
  assert.equal(r.objectId, objectId());
  assert.equal(r.locationId, LOC);
};

const SCENARIOS: Scenario[] = [
  // --- Every request -----------------------------------------------------------------------
  ...everyRequest('POST', PET, createBody({ name: 'x' })),
  ...everyRequest('PUT', REX_PUT, { properties: { name: 'x' } }),
  ...everyRequest('DELETE', REX_DELETE, undefined),
  { name: 'POST: scope is checked before location (read-only token, foreign locationId)', method: 'POST', path: PET, headers: oauthReadOnly, body: { locationId: OTHER_LOC, properties: {} }, status: 401, expectBody: E.scopeMissing },
  { name: 'PUT: scope is checked before location (read-only token, foreign ?locationId)', method: 'PUT', path: `${PET}/${REC_REX}?locationId=${OTHER_LOC}`, headers: oauthReadOnly, body: { properties: {} }, status: 401, expectBody: E.scopeMissing },

  // --- Create: placement of locationId -----------------------------------------------------
  { name: 'create: no locationId', method: 'POST', path: PET, body: { properties: { name: 'x' } }, status: 400, expectBody: LOC_NOT_SPECIFIED },
  { name: 'create business: no locationId', method: 'POST', path: BIZ, body: { properties: { name: 'x' } }, status: 400, expectBody: LOC_NOT_SPECIFIED },
  { name: 'create: locationId in the query and the body', method: 'POST', path: `${PET}?locationId=${LOC}`, body: createBody({ name: 'x' }), status: 422, expectBody: LOC_SHOULD_NOT_EXIST },
  { name: 'create: locationId in the query only', method: 'POST', path: `${PET}?locationId=${LOC}`, body: { properties: { name: 'x' } }, status: 422, expectBody: LOC_SHOULD_NOT_EXIST },
  { name: 'create: another location in the body', method: 'POST', path: PET, body: { locationId: OTHER_LOC, properties: { name: 'x' } }, status: 403, expectBody: E.locationForbidden },
  { name: 'create: an unknown location in the body', method: 'POST', path: PET, body: { locationId: UNKNOWN_LOC, properties: { name: 'x' } }, status: 403, expectBody: E.locationForbidden },
  { name: 'create: another location in the body of an invalid body (guard before DTO)', method: 'POST', path: PET, body: { locationId: OTHER_LOC, properties: { name: 5 }, createdAt: 'x' }, status: 403, expectBody: E.locationForbidden },
  { name: 'create: another location in the query (rule 4)', method: 'POST', path: `${PET}?locationId=${OTHER_LOC}`, body: createBody({ name: 'x' }), status: 403, expectBody: E.locationForbidden },
  { name: 'create: a token of another location, this location in the body', method: 'POST', path: PET, headers: auth(PIT_OTHER), body: createBody({ name: 'x' }), status: 403, expectBody: E.locationForbidden },
  { name: 'create: locationId not a string', method: 'POST', path: PET, body: { locationId: 5, properties: {} }, status: 422, expectBody: v422('locationId must be a string') },
  { name: 'create: contact', method: 'POST', path: recordsPath('contact'), body: createBody({}), status: 400, expectBody: E.unsupportedObject },
  { name: 'create: opportunity', method: 'POST', path: recordsPath('opportunity'), body: createBody({}), status: 400, expectBody: E.unsupportedObject },
  { name: 'create: unknown object', method: 'POST', path: recordsPath('custom_objects.nope'), body: createBody({}), status: 404, expectBody: E.objectNotFound('custom_objects.nope') },
  { name: "create: another location's object id", method: 'POST', path: recordsPath(OBJ_PET_OTHER), body: createBody({}), status: 404, expectBody: E.objectNotFound(OBJ_PET_OTHER) },

  // --- Create: server-set fields and the body's shape ---------------------------------------
  { name: 'create: createdAt in the body', method: 'POST', path: PET, body: createBody({}, { createdAt: '2020-01-01T00:00:00.000Z' }), status: 422, expectBody: v422('property createdAt should not exist') },
  { name: 'create: dateAdded in the body', method: 'POST', path: PET, body: createBody({}, { dateAdded: '2020-01-01T00:00:00.000Z' }), status: 422, expectBody: v422('property dateAdded should not exist') },
  { name: 'create: createdBy in the body', method: 'POST', path: PET, body: createBody({}, { createdBy: { channel: 'API', source: 'INTEGRATION', sourceId: 'me' } }), status: 422, expectBody: v422('property createdBy should not exist') },
  { name: 'create: id in the body', method: 'POST', path: PET, body: createBody({}, { id: '661c06b4ffde146bdb46aaaa' }), status: 422, expectBody: v422('property id should not exist') },
  {
    name: 'create: every server-set field at once, one message each',
    method: 'POST', path: PET,
    body: createBody({ name: 'x' }, { id: 'a', createdAt: 'b', updatedAt: 'c', dateAdded: 'd', dateUpdated: 'e', createdBy: {}, lastUpdatedBy: {}, objectId: 'f', objectKey: 'g' }),
    status: 422,
    expectBody: v422(...['id', 'createdAt', 'updatedAt', 'dateAdded', 'dateUpdated', 'createdBy', 'lastUpdatedBy', 'objectId', 'objectKey'].map((p) => `property ${p} should not exist`)),
  },
  { name: 'create: no properties', method: 'POST', path: PET, body: { locationId: LOC }, status: 422, expectBody: v422('properties must be an object', 'properties should not be empty') },
  { name: 'create: properties not an object', method: 'POST', path: PET, body: { locationId: LOC, properties: 'name=Rex' }, status: 422, expectBody: v422('properties must be an object') },
  { name: 'create: body an array', method: 'POST', path: PET, body: [createBody({})], status: 422, expectBody: v422('body must be an object') },

  // --- Create: property values by dataType (one problem each) -------------------------------
  { name: 'TEXT: a number', method: 'POST', path: PET, body: createBody({ name: 5 }), status: 422, expectBody: v422('properties.name must be a string') },
  { name: 'NUMERICAL: a numeric string is not coerced', method: 'POST', path: PET, body: createBody({ weight_kg: '31.5' }), status: 422, expectBody: v422('properties.weight_kg must be a number') },
  { name: 'NUMERICAL: a boolean', method: 'POST', path: PET, body: createBody({ weight_kg: true }), status: 422, expectBody: v422('properties.weight_kg must be a number') },
  { name: 'SINGLE_OPTIONS: unknown option key', method: 'POST', path: PET, body: createBody({ species: 'lizard' }), status: 422, expectBody: v422(notOption('species', 'lizard', 'Species', 'dog, cat, rabbit')) },
  { name: 'SINGLE_OPTIONS: a label, not a key', method: 'POST', path: PET, body: createBody({ species: 'Dog' }), status: 422, expectBody: v422(notOption('species', 'Dog', 'Species', 'dog, cat, rabbit')) },
  { name: 'CHECKBOX: unknown option key', method: 'POST', path: PET, body: createBody({ vaccines: ['rabies', 'flu'] }), status: 422, expectBody: v422(notOption('vaccines', 'flu', 'Vaccines', VACCINE_KEYS)) },
  { name: 'CHECKBOX: a plain string', method: 'POST', path: PET, body: createBody({ vaccines: 'rabies' }), status: 422, expectBody: v422('properties.vaccines must be an array of option keys, not a string') },
  { name: 'MULTIPLE_OPTIONS: unknown option key', method: 'POST', path: PET, body: createBody({ allergies: ['grass'] }), status: 422, expectBody: v422(notOption('allergies', 'grass', 'Allergies', 'pollen, chicken, penicillin')) },
  { name: 'RADIO without custom options: unknown key', method: 'POST', path: PET, body: createBody({ temperament: 'grumpy' }), status: 422, expectBody: v422(notOption('temperament', 'grumpy', 'Temperament', 'calm, lively')) },
  { name: 'unknown property', method: 'POST', path: PET, body: createBody({ colour: 'brown' }), status: 422, expectBody: v422('properties.colour is not a field of custom_objects.pet') },
  { name: 'full key instead of the short key', method: 'POST', path: PET, body: createBody({ 'custom_objects.pet.name': 'Rex' }), status: 422, expectBody: v422('properties.custom_objects.pet.name must use the field\'s short key "name"') },
  { name: 'TEXTBOX_LIST: unknown option sub-key', method: 'POST', path: PET, body: createBody({ 'diet.noon': 'x' }), status: 422, expectBody: v422('properties.diet.noon is not a field of custom_objects.pet') },
  { name: 'TEXTBOX_LIST: the bare field key', method: 'POST', path: PET, body: createBody({ diet: 'x' }), status: 422, expectBody: v422('properties.diet is not a field of custom_objects.pet') },
  { name: 'TEXTBOX_LIST: a sub-key with a number', method: 'POST', path: PET, body: createBody({ 'diet.morning': 3 }), status: 422, expectBody: v422('properties.diet.morning must be a string') },
  { name: 'LARGE_TEXT: 12,001 characters', method: 'POST', path: PET, body: createBody({ history: 'h'.repeat(12_001) }), status: 422, expectBody: v422('properties.history is 12001 characters long; Medical history takes at most 12,000') },
  { name: 'PHONE: not a phone number', method: 'POST', path: PET, body: createBody({ owner_phone: '12345' }), status: 422, expectBody: v422('properties.owner_phone must be a phone number in E.164 format with its country code, e.g. +917000000000') },
  { name: 'PHONE: a number', method: 'POST', path: PET, body: createBody({ owner_phone: 917000000000 }), status: 422, expectBody: v422('properties.owner_phone must be a string') },
  { name: 'EMAIL: not an address', method: 'POST', path: PET, body: createBody({ owner_email: 'rex.owner@' }), status: 422, expectBody: v422('properties.owner_email must be a valid email address') },
  { name: 'FILE_UPLOAD: more files than maxFileLimit', method: 'POST', path: PET, body: createBody({ xrays: FILES(4) }), status: 422, expectBody: v422('properties.xrays has 4 files; X-rays takes at most 3') },
  { name: 'FILE_UPLOAD: a file without url', method: 'POST', path: PET, body: createBody({ xrays: [{ name: 'a.png' }] }), status: 422, expectBody: v422('properties.xrays[0].url must be an http(s) URL') },
  { name: 'FILE_UPLOAD: meta is not writable', method: 'POST', path: PET, body: createBody({ xrays: [{ url: 'https://example.com/a.png', meta: {} }] }), status: 422, expectBody: v422('properties.xrays[0] has "meta"; a file takes only url and name') },
  { name: 'DATE: not a calendar date', method: 'POST', path: PET, body: createBody({ birthday: '2023-02-29' }), status: 422, expectBody: v422('properties.birthday is not a calendar date') },
  { name: 'DATE: not a date', method: 'POST', path: PET, body: createBody({ birthday: 'last spring' }), status: 422, expectBody: v422('properties.birthday must be a date, "YYYY-MM-DD" (or an ISO 8601 date-time)') },
  { name: 'DATE: epoch milliseconds', method: 'POST', path: PET, body: createBody({ birthday: 1554163200000 }), status: 422, expectBody: v422('properties.birthday must be a date, "YYYY-MM-DD"') },
  { name: 'MONETORY: value a string', method: 'POST', path: PET, body: createBody({ balance: { currency: 'default', value: '100' } }), status: 422, expectBody: v422('properties.balance.value must be a number') },
  { name: 'MONETORY: another currency', method: 'POST', path: PET, body: createBody({ balance: { currency: 'USD', value: 100 } }), status: 422, expectBody: v422('properties.balance.currency must be "default" (only the location\'s currency is supported)') },
  {
    name: 'create: every problem of the body in one answer, in body order',
    method: 'POST', path: PET,
    body: createBody(
      { name: 5, weight_kg: '3', species: 'lizard', colour: 'x', 'custom_objects.pet.name': 'x', history: 'h'.repeat(12_001), owner_phone: '123', owner_email: 'bad', xrays: FILES(4), birthday: '2024-02-30', chip_id: 'CHIP-NEW' },
      { owner: [USER_1, USER_2], followers: [USER_1, 'Wr9NotAUserAtAll0009'] },
    ),
    status: 422,
    expectBody: v422(
      'owner must contain no more than 1 elements',
      notUser('followers.1', 'Wr9NotAUserAtAll0009'),
      'properties.name must be a string',
      'properties.weight_kg must be a number',
      notOption('species', 'lizard', 'Species', 'dog, cat, rabbit'),
      'properties.colour is not a field of custom_objects.pet',
      'properties.custom_objects.pet.name must use the field\'s short key "name"',
      'properties.history is 12001 characters long; Medical history takes at most 12,000',
      'properties.owner_phone must be a phone number in E.164 format with its country code, e.g. +917000000000',
      'properties.owner_email must be a valid email address',
      'properties.xrays has 4 files; X-rays takes at most 3',
      'properties.birthday is not a calendar date',
    ),
  },

  // --- Create: owner and followers ----------------------------------------------------------
  { name: 'owner: two users', method: 'POST', path: PET, body: createBody({}, { owner: [USER_1, USER_2] }), status: 422, expectBody: v422('owner must contain no more than 1 elements') },
  { name: 'owner: not a user of the location', method: 'POST', path: PET, body: createBody({}, { owner: [USER_OTHER] }), status: 422, expectBody: v422(notUser('owner.0', USER_OTHER)) },
  { name: 'followers: eleven', method: 'POST', path: PET, body: createBody({}, { followers: CROWD }), status: 422, expectBody: v422('followers must contain no more than 10 elements') },
  { name: 'followers: the third is not a user of the location', method: 'POST', path: PET, body: createBody({}, { followers: [USER_1, USER_2, USER_OTHER] }), status: 422, expectBody: v422(notUser('followers.2', USER_OTHER)) },
  { name: 'owner: not an array', method: 'POST', path: PET, body: createBody({}, { owner: USER_1 }), status: 422, expectBody: v422('owner must be an array') },
  { name: 'business: an owner', method: 'POST', path: BIZ, body: createBody({ name: 'x' }, { owner: [USER_1] }), status: 422, expectBody: v422('owner is supported for custom objects only') },
  { name: 'business: standard field with a bad value', method: 'POST', path: BIZ, body: createBody({ email: 'nope', supplier_tier: 'bronze' }), status: 422, expectBody: v422('properties.email must be a valid email address', 'properties.supplier_tier has "bronze", which is not an option of Supplier tier (gold, silver)') },
  { name: 'business: full key', method: 'POST', path: BIZ, body: createBody({ 'business.vat_id': 'x' }), status: 422, expectBody: v422('properties.business.vat_id must use the field\'s short key "vat_id"') },

  // --- Create: unique fields (values held by fixture records) -------------------------------
  { name: 'unique TEXT: the value of a fixture record', method: 'POST', path: PET, body: createBody({ name: 'Rex II', chip_id: 'CHIP-REX' }), status: 400, expectBody: duplicate('Microchip ID', 'CHIP-REX', 'chip_id') },
  { name: 'unique LARGE_TEXT', method: 'POST', path: PET, body: createBody({ passport: 'PASSPORT-REX' }), status: 400, expectBody: duplicate('Passport text', 'PASSPORT-REX', 'passport') },
  { name: 'unique NUMERICAL', method: 'POST', path: PET, body: createBody({ tag_no: 7 }), status: 400, expectBody: duplicate('Tag number', 7, 'tag_no') },
  { name: 'unique PHONE: compared after normalisation', method: 'POST', path: PET, body: createBody({ emergency_phone: '+1 (415) 555-0000' }), status: 400, expectBody: duplicate('Emergency phone', '+14155550000', 'emergency_phone') },
  { name: 'unique on business', method: 'POST', path: BIZ, body: createBody({ name: 'Copycat', vat_id: 'VAT-1' }), status: 400, expectBody: duplicate('VAT ID', 'VAT-1', 'vat_id') },
  { name: 'unique by object id path', method: 'POST', path: PET_BY_ID, body: createBody({ chip_id: 'CHIP-MISTY' }), status: 400, expectBody: duplicate('Microchip ID', 'CHIP-MISTY', 'chip_id') },

  // --- Update: placement and addressing ------------------------------------------------------
  { name: 'update: locationId only in the body', method: 'PUT', path: `${PET}/${REC_REX}`, body: { locationId: LOC, properties: { name: 'x' } }, status: 422, expectBody: LOC_REQUIRED },
  { name: 'update: locationId nowhere', method: 'PUT', path: `${PET}/${REC_REX}`, body: { properties: { name: 'x' } }, status: 422, expectBody: LOC_REQUIRED },
  { name: 'update: locationId in the query and the body', method: 'PUT', path: REX_PUT, body: { locationId: LOC, properties: { name: 'x' } }, status: 422, expectBody: LOC_SHOULD_NOT_EXIST },
  { name: 'update: another location in the query', method: 'PUT', path: `${PET}/${REC_REX}?locationId=${OTHER_LOC}`, body: { properties: { name: 'x' } }, status: 403, expectBody: E.locationForbidden },
  { name: 'update: a malformed id', method: 'PUT', path: `${PET}/nope?locationId=${LOC}`, body: { properties: { name: 'x' } }, status: 400, expectBody: E.badObjectId('id') },
  { name: 'update: unknown record', method: 'PUT', path: `${PET}/${NO_SUCH_RECORD}?locationId=${LOC}`, body: { properties: { name: 'x' } }, status: 404, expectBody: E.recordNotFound },
  { name: "update: another location's record", method: 'PUT', path: `${PET}/${REC_OTHER}?locationId=${LOC}`, body: { properties: { name: 'x' } }, status: 404, expectBody: E.recordNotFound },
  { name: 'update: a business record under the pet object', method: 'PUT', path: `${PET}/${BIZ_1}?locationId=${LOC}`, body: { properties: { name: 'x' } }, status: 404, expectBody: E.recordNotFound },
  { name: 'update: contact', method: 'PUT', path: `${recordsPath('contact')}/${REC_REX}?locationId=${LOC}`, body: { properties: {} }, status: 400, expectBody: E.unsupportedObject },
  { name: 'update: unknown object', method: 'PUT', path: `${recordsPath('custom_objects.nope')}/${REC_REX}?locationId=${LOC}`, body: { properties: {} }, status: 404, expectBody: E.objectNotFound('custom_objects.nope') },
  { name: 'update: updatedAt in the body', method: 'PUT', path: REX_PUT, body: { updatedAt: '2030-01-01T00:00:00.000Z', properties: { name: 'x' } }, status: 422, expectBody: v422('property updatedAt should not exist') },
  { name: 'update: createdBy and id in the body', method: 'PUT', path: REX_PUT, body: { id: REC_MISTY, createdBy: {}, properties: {} }, status: 422, expectBody: v422('property id should not exist', 'property createdBy should not exist') },

  // --- Update: values ------------------------------------------------------------------------
  { name: 'update CHECKBOX: a plain string', method: 'PUT', path: REX_PUT, body: { properties: { vaccines: 'rabies' } }, status: 422, expectBody: v422('properties.vaccines must be an array of option keys, not a string') },
  { name: 'update MULTIPLE_OPTIONS: a plain string', method: 'PUT', path: REX_PUT, body: { properties: { allergies: 'pollen' } }, status: 422, expectBody: v422('properties.allergies must be an array of option keys, not a string') },
  { name: 'update FILE_UPLOAD: a plain string', method: 'PUT', path: REX_PUT, body: { properties: { xrays: 'https://example.com/a.png' } }, status: 422, expectBody: v422('properties.xrays must be an array of files ({"url", "name"?}), not a string') },
  { name: 'update: add not an array', method: 'PUT', path: REX_PUT, body: { properties: { vaccines: { add: 'distemper' } } }, status: 422, expectBody: v422('properties.vaccines.add must be an array') },
  { name: 'update: add an unknown option', method: 'PUT', path: REX_PUT, body: { properties: { vaccines: { add: ['flu'] } } }, status: 422, expectBody: v422('properties.vaccines.add has "flu", which is not an option of Vaccines (rabies, distemper, parvo)') },
  { name: 'update: remove an unknown option', method: 'PUT', path: REX_PUT, body: { properties: { allergies: { remove: ['grass'] } } }, status: 422, expectBody: v422('properties.allergies.remove has "grass", which is not an option of Allergies (pollen, chicken, penicillin)') },
  { name: 'update: a modifier other than add/remove', method: 'PUT', path: REX_PUT, body: { properties: { vaccines: { set: ['rabies'] } } }, status: 422, expectBody: v422('properties.vaccines takes only add and remove, not "set"') },
  { name: 'update: a modifier on a TEXT field', method: 'PUT', path: REX_PUT, body: { properties: { name: { add: ['x'] } } }, status: 422, expectBody: v422('properties.name must be a string') },
  { name: 'update FILE_UPLOAD: add beyond maxFileLimit', method: 'PUT', path: REX_PUT, body: { properties: { xrays: { add: FILES(3) } } }, status: 422, expectBody: v422('properties.xrays has 4 files; X-rays takes at most 3') },
  { name: 'update: a numeric string', method: 'PUT', path: REX_PUT, body: { properties: { weight_kg: '32' } }, status: 422, expectBody: v422('properties.weight_kg must be a number') },
  { name: 'update: unknown property', method: 'PUT', path: REX_PUT, body: { properties: { colour: 'brown' } }, status: 422, expectBody: v422('properties.colour is not a field of custom_objects.pet') },
  { name: 'update: full key', method: 'PUT', path: REX_PUT, body: { properties: { 'custom_objects.pet.name': 'x' } }, status: 422, expectBody: v422('properties.custom_objects.pet.name must use the field\'s short key "name"') },
  { name: 'update: LARGE_TEXT over 12,000', method: 'PUT', path: REX_PUT, body: { properties: { history: 'h'.repeat(12_001) } }, status: 422, expectBody: v422('properties.history is 12001 characters long; Medical history takes at most 12,000') },
  { name: 'update: bad date', method: 'PUT', path: REX_PUT, body: { properties: { birthday: '2024-13-01' } }, status: 422, expectBody: v422('properties.birthday is not a calendar date') },
  { name: 'update: owner two users', method: 'PUT', path: REX_PUT, body: { owner: [USER_1, USER_2] }, status: 422, expectBody: v422('owner must contain no more than 1 elements') },
  { name: 'update: follower not a user', method: 'PUT', path: REX_PUT, body: { followers: [USER_OTHER] }, status: 422, expectBody: v422(notUser('followers.0', USER_OTHER)) },
  { name: 'update business: an owner', method: 'PUT', path: `${BIZ}/${BIZ_1}?locationId=${LOC}`, body: { owner: [USER_1] }, status: 422, expectBody: v422('owner is supported for custom objects only') },
  {
    name: 'update: every problem of the body in one answer (owner and properties together)',
    method: 'PUT', path: REX_PUT,
    body: { owner: [USER_OTHER], followers: CROWD, properties: { name: 5, vaccines: 'rabies', weight_kg: '1' } },
    status: 422,
    expectBody: v422(
      notUser('owner.0', USER_OTHER),
      'followers must contain no more than 10 elements',
      'properties.name must be a string',
      'properties.vaccines must be an array of option keys, not a string',
      'properties.weight_kg must be a number',
    ),
  },
  { name: 'update: another record to a taken unique value', method: 'PUT', path: `${PET}/${REC_MISTY}?locationId=${LOC}`, body: { properties: { chip_id: 'CHIP-REX' } }, status: 400, expectBody: duplicate('Microchip ID', 'CHIP-REX', 'chip_id') },
  { name: 'update: a taken unique NUMERICAL value', method: 'PUT', path: `${PET}/${REC_MISTY}?locationId=${LOC}`, body: { properties: { name: 'ok', tag_no: 7 } }, status: 400, expectBody: duplicate('Tag number', 7, 'tag_no') },
  { name: 'update business: a taken unique value', method: 'PUT', path: `${BIZ}/${BIZ_TABLE_UPD}?locationId=${LOC}`, body: { properties: { vat_id: 'VAT-1' } }, status: 400, expectBody: duplicate('VAT ID', 'VAT-1', 'vat_id') },

  // --- Delete --------------------------------------------------------------------------------
  { name: 'delete: locationId in the query', method: 'DELETE', path: `${REX_DELETE}?locationId=${LOC}`, status: 422, expectBody: LOC_SHOULD_NOT_EXIST },
  { name: 'delete: locationId in the body', method: 'DELETE', path: REX_DELETE, body: { locationId: LOC }, status: 422, expectBody: LOC_SHOULD_NOT_EXIST },
  { name: 'delete: another location in the query (rule 4)', method: 'DELETE', path: `${REX_DELETE}?locationId=${OTHER_LOC}`, status: 403, expectBody: E.locationForbidden },
  { name: 'delete: a malformed id', method: 'DELETE', path: `${PET}/nope`, status: 400, expectBody: E.badObjectId('id') },
  { name: 'delete: unknown record', method: 'DELETE', path: `${PET}/${NO_SUCH_RECORD}`, status: 404, expectBody: E.recordNotFound },
  { name: "delete: another location's record", method: 'DELETE', path: `${PET}/${REC_OTHER}`, status: 404, expectBody: E.recordNotFound },
  { name: 'delete: a business record under the pet object', method: 'DELETE', path: `${PET}/${BIZ_1}`, status: 404, expectBody: E.recordNotFound },
  { name: 'delete: contact', method: 'DELETE', path: `${recordsPath('contact')}/${REC_REX}`, status: 400, expectBody: E.unsupportedObject },
  { name: 'delete: opportunity', method: 'DELETE', path: `${recordsPath('opportunity')}/${REC_REX}`, status: 400, expectBody: E.unsupportedObject },

  // --- Successful writes ---------------------------------------------------------------------
  {
    name: 'create by key: every type, normalised',
    method: 'POST', path: PET,
    body: createBody(
      {
        name: 'Bella', history: 'h'.repeat(12_000), weight_kg: 12, owner_phone: '+1 (415) 555-0123', owner_email: 'bella@example.com',
        balance: { value: 19.99 }, vaccines: ['rabies', 'rabies'], species: 'cat', allergies: ['pollen'], temperament: 'lively',
        size: 'extra-fluffy', birthday: '2024-03-10T23:30:00-05:00', 'diet.morning': 'Kibble', xrays: FILES(3),
      },
      { owner: [USER_1], followers: CROWD.slice(0, 10) },
    ),
    status: 201,
    expectBody: created('custom_objects.pet', () => OBJ_PET, {
      name: 'Bella', history: 'h'.repeat(12_000), weight_kg: 12, owner_phone: '+14155550123', owner_email: 'bella@example.com',
      balance: { currency: 'default', value: 19.99 }, vaccines: ['rabies'], species: 'cat', allergies: ['pollen'], temperament: 'lively',
      size: 'extra-fluffy', birthday: '2024-03-11', 'diet.morning': 'Kibble', xrays: FILES(3),
    }, [USER_1], CROWD.slice(0, 10)),
  },
  {
    name: 'create by object id; null leaves a property unset',
    method: 'POST', path: PET_BY_ID, body: createBody({ name: 'By id', history: null }),
    status: 201, expectBody: created('custom_objects.pet', () => OBJ_PET, { name: 'By id' }),
  },
  { name: 'create with empty properties', method: 'POST', path: PET, body: createBody({}), status: 201, expectBody: created('custom_objects.pet', () => OBJ_PET, {}) },
  {
    name: 'create business by key (owner [] accepted, followers kept)',
    method: 'POST', path: BIZ, body: createBody({ name: 'Vet Supplies', phone: '+44 20 7946 0958', supplier_tier: 'silver', vat_id: 'VAT-TABLE' }, { owner: [], followers: [USER_2] }),
    status: 201, expectBody: created('business', () => bizObjectId, { name: 'Vet Supplies', phone: '+442079460958', supplier_tier: 'silver', vat_id: 'VAT-TABLE' }, [], [USER_2]),
  },
  {
    name: 'create business by object id',
    method: 'POST', path: () => recordsPath(bizObjectId), body: createBody({ name: 'By object id' }),
    status: 201, expectBody: created('business', () => bizObjectId, { name: 'By object id' }),
  },
  {
    name: 'update by key',
    method: 'PUT', path: `${PET}/${REC_TABLE_UPD}?locationId=${LOC}`, body: { properties: { weight_kg: 3 } },
    status: 200, expectBody: (res: Answer) => assert.deepEqual(expectRecord(res, 200).properties, { name: 'Table update', weight_kg: 3 }),
  },
  {
    name: 'update by object id',
    method: 'PUT', path: `${PET_BY_ID}/${REC_TABLE_UPD}?locationId=${LOC}`, body: { properties: { species: 'rabbit' } },
    status: 200, expectBody: (res: Answer) => assert.deepEqual(expectRecord(res, 200).properties, { name: 'Table update', weight_kg: 3, species: 'rabbit' }),
  },
  {
    name: 'update business (owner [] accepted)',
    method: 'PUT', path: `${BIZ}/${BIZ_TABLE_UPD}?locationId=${LOC}`, body: { owner: [], properties: { city: 'Oslo' } },
    status: 200, expectBody: (res: Answer) => assert.deepEqual(expectRecord(res, 200).properties, { name: 'Table business update', city: 'Oslo' }),
  },
  {
    name: 'update business by object id',
    method: 'PUT', path: () => `${recordsPath(bizObjectId)}/${BIZ_TABLE_UPD}?locationId=${LOC}`, body: { properties: { city: null } },
    status: 200, expectBody: (res: Answer) => assert.deepEqual(expectRecord(res, 200).properties, { name: 'Table business update' }),
  },
  { name: 'delete by key, nothing anywhere', method: 'DELETE', path: `${PET}/${REC_TABLE_DEL_KEY}`, status: 200, expectBody: { id: REC_TABLE_DEL_KEY, success: true } },
  { name: 'delete by object id', method: 'DELETE', path: `${PET_BY_ID}/${REC_TABLE_DEL_ID}`, status: 200, expectBody: { id: REC_TABLE_DEL_ID, success: true } },
  { name: 'delete business', method: 'DELETE', path: `${BIZ}/${BIZ_TABLE_DEL}`, status: 200, expectBody: { id: BIZ_TABLE_DEL, success: true } },
  { name: 'delete again: gone', method: 'DELETE', path: `${PET}/${REC_TABLE_DEL_KEY}`, status: 404, expectBody: E.recordNotFound },
];

describe('records write scenarios over HTTP', () => {
  for (const row of SCENARIOS) {
    test(`${row.method} ${row.name}`, async () => {
      const path = typeof row.path === 'function' ? row.path() : row.path;
      const headers = row.headers === undefined ? pit() : typeof row.headers === 'function' ? row.headers() : row.headers;
      const before = snapshot();
      const res = await call(url(path), { method: row.method, headers, body: row.body });
      assert.equal(res.status, row.status, `${row.name}: ${res.text.slice(0, 500)}`);
      if (res.status >= 400) {
        assert.equal(res.text, JSON.stringify(row.expectBody));
        assert.equal(snapshot(), before, 'a refused write changed the database');
        return;
      }
      if (typeof row.expectBody === 'function') (row.expectBody as (res: Answer) => void)(res);
      else assert.equal(res.text, JSON.stringify(row.expectBody));
      if (row.method === 'DELETE') {
        assert.deepEqual(validateDelete(res.body), []);
        const id = (row.expectBody as { id: string }).id;
        const schemaKey = path.split('/')[2]!;
        expectError(await getRaw(id, schemaKey), 404, E.recordNotFound);
      } else {
        // the written record reads back as answered
        const answered = (res.body as { record: ApiRecord }).record;
        const got = await getRaw(answered.id, answered.objectKey);
        assert.deepEqual(got.body, res.body);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Create: what the server sets
// ---------------------------------------------------------------------------------------------

test('create: id, timestamps, createdBy and lastUpdatedBy are set by the server; GET reads the answer back', async () => {
  const t0 = Date.now();
  const res = await createRaw(createBody({ name: 'Stamped' }));
  const t1 = Date.now();
  const r = expectRecord(res, 201);
  assert.match(r.id, /^[0-9a-f]{24}$/);
  const idSeconds = parseInt(r.id.slice(0, 8), 16);
  assert.ok(idSeconds >= Math.floor(t0 / 1000) - 1 && idSeconds <= Math.ceil(t1 / 1000) + 1, 'the id carries its creation second');
  assert.match(r.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const at = Date.parse(r.createdAt);
  assert.ok(at >= t0 && at <= t1, `createdAt ${r.createdAt} is the time of the request`);
  assert.equal(r.updatedAt, r.createdAt);
  assert.equal(r.dateAdded, r.createdAt);
  assert.equal(r.dateUpdated, r.createdAt);
  const actor = { channel: 'API', source: 'INTEGRATION', sourceId: ID_PIT_W, createdAt: r.createdAt };
  assert.deepEqual(r.createdBy, actor);
  assert.deepEqual(r.lastUpdatedBy, actor);
  assert.deepEqual({ owner: r.owner, followers: r.followers, locationId: r.locationId, objectId: r.objectId, objectKey: r.objectKey }, {
    owner: [], followers: [], locationId: LOC, objectId: OBJ_PET, objectKey: 'custom_objects.pet',
  });
  const got = await getRaw(r.id);
  assert.deepEqual(got.body, res.body);
  assert.deepEqual(validateRecord(got.body), []);
});

test('create: each write token is its own sourceId (second PIT, OAuth token with write scope)', async () => {
  const byPit2 = await create({ name: 'By PIT 2' }, {}, 'custom_objects.pet', PIT_W2);
  assert.equal(byPit2.createdBy.sourceId, ID_PIT_W2);
  assert.equal(byPit2.lastUpdatedBy.sourceId, ID_PIT_W2);
  const byOauth = await create({ name: 'By OAuth' }, {}, 'custom_objects.pet', oauthWrite);
  assert.deepEqual(byOauth.createdBy, { channel: 'API', source: 'INTEGRATION', sourceId: ID_OAUTH_WRITE, createdAt: byOauth.createdAt });
  assert.deepEqual(await read(byOauth.id), byOauth);
});

test('create: owner and followers are kept, duplicates collapsed; ids are fresh each time', async () => {
  const a = await create({ name: 'Twin' }, { owner: [USER_2], followers: [USER_1, USER_2, USER_1] });
  const b = await create({ name: 'Twin' }, {});
  assert.notEqual(a.id, b.id);
  assert.deepEqual(a.owner, [USER_2]);
  assert.deepEqual(a.followers, [USER_1, USER_2]);
  assert.deepEqual(await read(a.id), a);
});

// ---------------------------------------------------------------------------------------------
// Update: merge
// ---------------------------------------------------------------------------------------------

const FULL = {
  name: 'Merge', history: 'Long story', weight_kg: 10, owner_phone: '+917000000001', owner_email: 'merge@example.com',
  balance: { currency: 'default', value: 5 }, vaccines: ['rabies', 'parvo'], species: 'dog', allergies: ['chicken'],
  temperament: 'calm', size: 'small', birthday: '2020-01-01', 'diet.morning': 'Eggs', 'diet.evening': 'Fish',
  xrays: [{ url: 'https://example.com/m/1.png', name: '1.png' }],
};

test('update merges: only the properties sent change; createdAt stays, updatedAt moves', async () => {
  const r0 = await create(FULL, { owner: [USER_1], followers: [USER_2] });
  await waitUntilPast(Date.parse(r0.updatedAt));
  const t0 = Date.now();
  const r1 = await update(r0.id, { properties: { name: 'Merged', weight_kg: 11.5 } }, 'custom_objects.pet', PIT_W2);
  const t1 = Date.now();
  assert.deepEqual(r1.properties, { ...FULL, name: 'Merged', weight_kg: 11.5 });
  assert.deepEqual(r1.owner, [USER_1], 'owner not sent: kept');
  assert.deepEqual(r1.followers, [USER_2], 'followers not sent: kept');
  assert.equal(r1.createdAt, r0.createdAt);
  assert.equal(r1.dateAdded, r0.createdAt);
  assert.deepEqual(r1.createdBy, r0.createdBy, 'createdBy never changes');
  const at = Date.parse(r1.updatedAt);
  assert.ok(at > Date.parse(r0.updatedAt) && at >= t0 && at <= t1, 'updatedAt is the time of the update');
  assert.equal(r1.dateUpdated, r1.updatedAt);
  assert.deepEqual(r1.lastUpdatedBy, { channel: 'API', source: 'INTEGRATION', sourceId: ID_PIT_W2, createdAt: r1.updatedAt });
  assert.deepEqual(await read(r0.id), r1);
});

test('update: an empty properties object and an empty body change nothing but updatedAt', async () => {
  const r0 = await create(FULL);
  await waitUntilPast(Date.parse(r0.updatedAt));
  const r1 = await update(r0.id, { properties: {} });
  assert.deepEqual(r1.properties, r0.properties);
  assert.ok(r1.updatedAt > r0.updatedAt);
  const r2 = await update(r0.id, {});
  assert.deepEqual(r2.properties, r0.properties);
  assert.deepEqual(await read(r0.id), r2);
});

test('update: null clears one property (absent afterwards), the others stay', async () => {
  const r0 = await create(FULL);
  const r1 = await update(r0.id, { properties: { history: null, vaccines: null, 'diet.evening': null } });
  const expected: Record<string, unknown> = { ...FULL };
  delete expected.history;
  delete expected.vaccines;
  delete expected['diet.evening'];
  assert.deepEqual(r1.properties, expected);
  assert.ok(!('history' in r1.properties));
  assert.deepEqual(await read(r0.id), r1);
  // clearing what is not set is fine too
  assert.deepEqual((await update(r0.id, { properties: { history: null } })).properties, expected);
});

test('update: TEXTBOX_LIST sub-keys change one option each', async () => {
  const r0 = await create({ name: 'Diet', 'diet.morning': 'Eggs' });
  const r1 = await update(r0.id, { properties: { 'diet.evening': 'Fish' } });
  assert.deepEqual(r1.properties, { name: 'Diet', 'diet.morning': 'Eggs', 'diet.evening': 'Fish' });
  const r2 = await update(r0.id, { properties: { 'diet.morning': 'Oats' } });
  assert.deepEqual(r2.properties, { name: 'Diet', 'diet.morning': 'Oats', 'diet.evening': 'Fish' });
});

test('update: CHECKBOX and MULTIPLE_OPTIONS take {add, remove} and a full array', async () => {
  const r0 = await create({ name: 'Opts', vaccines: ['rabies', 'parvo'], allergies: ['chicken'] });
  const r1 = await update(r0.id, { properties: { vaccines: { add: ['distemper'], remove: ['rabies'] }, allergies: { add: ['pollen', 'chicken'] } } });
  assert.deepEqual(sorted(r1.properties.vaccines as string[]), ['distemper', 'parvo']);
  assert.deepEqual(sorted(r1.properties.allergies as string[]), ['chicken', 'pollen'], 'adding a held key does not duplicate it');
  const r2 = await update(r0.id, { properties: { vaccines: { remove: ['parvo', 'distemper'] }, allergies: { remove: ['penicillin'] } } });
  assert.deepEqual(r2.properties.vaccines, []);
  assert.deepEqual(sorted(r2.properties.allergies as string[]), ['chicken', 'pollen'], 'removing an absent key is a no-op');
  const r3 = await update(r0.id, { properties: { vaccines: ['parvo'], allergies: ['penicillin', 'pollen'] } });
  assert.deepEqual(r3.properties.vaccines, ['parvo'], 'a full array replaces');
  assert.deepEqual(sorted(r3.properties.allergies as string[]), ['penicillin', 'pollen']);
  // {add} on a property never set starts from nothing
  const r4 = await create({ name: 'Empty' });
  assert.deepEqual((await update(r4.id, { properties: { vaccines: { add: ['rabies'] } } })).properties.vaccines, ['rabies']);
  assert.deepEqual(await read(r0.id), r3);
});

test('update: FILE_UPLOAD takes {add, remove} (by url or {url}) and a full array', async () => {
  const f = (n: string) => ({ url: `https://example.com/f/${n}.png`, name: `${n}.png` });
  const r0 = await create({ name: 'Files', xrays: [f('a')] });
  const r1 = await update(r0.id, { properties: { xrays: { add: [f('b'), f('c')] } } });
  assert.deepEqual(r1.properties.xrays, [f('a'), f('b'), f('c')]);
  const r2 = await update(r0.id, { properties: { xrays: { remove: [f('a').url, { url: f('c').url }] } } });
  assert.deepEqual(r2.properties.xrays, [f('b')]);
  const r3 = await update(r0.id, { properties: { xrays: [f('z')] } });
  assert.deepEqual(r3.properties.xrays, [f('z')]);
  assert.deepEqual(await read(r0.id), r3);
});

test('update: values are normalised (phone to E.164, date-time to its UTC date)', async () => {
  const r0 = await create({ name: 'Norm' });
  const r1 = await update(r0.id, { properties: { owner_phone: '+44 (20) 7946-0958', birthday: '2024-01-01T00:30:00+01:00', balance: { value: 7 } } });
  assert.deepEqual(r1.properties, { name: 'Norm', owner_phone: '+442079460958', birthday: '2023-12-31', balance: { currency: 'default', value: 7 } });
});

test('update: owner and followers are replaced when sent; [] clears them', async () => {
  const r0 = await create({ name: 'People' }, { owner: [USER_1], followers: [USER_1] });
  const r1 = await update(r0.id, { owner: [USER_2], followers: CROWD.slice(0, 10) });
  assert.deepEqual(r1.owner, [USER_2]);
  assert.deepEqual(r1.followers, CROWD.slice(0, 10));
  assert.deepEqual(r1.properties, { name: 'People' });
  const r2 = await update(r0.id, { owner: [], followers: [] });
  assert.deepEqual([r2.owner, r2.followers], [[], []]);
  assert.deepEqual(await read(r0.id), r2);
});

test('update of a fixture record: createdBy stays, lastUpdatedBy is the token', async () => {
  const r0 = await read(REC_TABLE_UPD);
  const r1 = await update(REC_TABLE_UPD, { properties: { temperament: 'lively' } }, 'custom_objects.pet', oauthWrite);
  assert.deepEqual(r1.createdBy, r0.createdBy);
  assert.equal(r1.createdAt, r0.createdAt);
  assert.equal(r1.lastUpdatedBy.sourceId, ID_OAUTH_WRITE);
  assert.notEqual(r1.updatedAt, r0.updatedAt);
});

// ---------------------------------------------------------------------------------------------
// Delete
// ---------------------------------------------------------------------------------------------

test('delete: 200 {id, success}, then GET / PUT / DELETE of it are 404, and the count drops by one', async () => {
  const r = await create({ name: 'Doomed' });
  const before = countRecords();
  expectDeleted(await deleteRaw(r.id), r.id);
  assert.equal(countRecords(), before - 1);
  expectError(await getRaw(r.id), 404, E.recordNotFound);
  expectError(await updateRaw(r.id, { properties: { name: 'x' } }), 404, E.recordNotFound);
  expectError(await deleteRaw(r.id), 404, E.recordNotFound);
  // an empty JSON body is no body: still fine
  const r2 = await create({ name: 'Doomed 2' });
  const empty = await call(url(`${PET}/${r2.id}`), { method: 'DELETE', headers: { ...auth(PIT_W), 'content-type': 'application/json' }, body: '' });
  expectDeleted(empty, r2.id);
});

test('delete of a record addressed through the wrong object is a 404 that frees none of its unique values', async () => {
  // a business record addressed as a pet
  const biz = await create({ name: 'Held VAT', vat_id: 'VAT-HELD' }, {}, 'business');
  expectError(await deleteRaw(biz.id, 'custom_objects.pet'), 404, E.recordNotFound);
  assert.deepEqual(await read(biz.id, 'business'), biz);
  expectError(await createRaw(createBody({ name: 'Copy', vat_id: 'VAT-HELD' }), 'business'), 400, duplicate('VAT ID', 'VAT-HELD', 'vat_id'));
});

test("delete of another location's record is a 404 that frees none of its unique values", async () => {
  // through this location's pet object, which has the same key: the value must stay held there
  const theirs = expectRecord(await call(url(PET), { method: 'POST', headers: auth(PIT_OTHER), body: { locationId: OTHER_LOC, properties: { chip_id: 'CHIP-THEIRS' } } }), 201);
  expectError(await deleteRaw(theirs.id, 'custom_objects.pet', PIT_W), 404, E.recordNotFound);
  const copy = await call(url(PET), { method: 'POST', headers: auth(PIT_OTHER), body: { locationId: OTHER_LOC, properties: { chip_id: 'CHIP-THEIRS' } } });
  expectError(copy, 400, duplicate('Microchip ID', 'CHIP-THEIRS', 'chip_id'));
});

test("delete: another location's token cannot delete this location's record (404) and it stays", async () => {
  const r = await create({ name: 'Mine' });
  expectError(await deleteRaw(r.id, 'custom_objects.pet', PIT_OTHER), 404, E.recordNotFound);
  expectError(await deleteRaw(r.id, OBJ_PET, PIT_OTHER), 404, E.objectNotFound(OBJ_PET));
  assert.deepEqual(await read(r.id), r);
});

// ---------------------------------------------------------------------------------------------
// Unique fields
// ---------------------------------------------------------------------------------------------

test('unique: a second record with the same value is a 400 with the exact body, the first stays', async () => {
  const first = await create({ name: 'U1', chip_id: 'CHIP-U1' });
  const n = countRecords();
  const res = await createRaw(createBody({ name: 'U1 copy', chip_id: 'CHIP-U1' }));
  expectError(res, 400, duplicate('Microchip ID', 'CHIP-U1', 'chip_id'));
  assert.equal(countRecords(), n, 'no record was added');
  assert.equal(countHolding('chip_id', 'CHIP-U1'), 1);
  assert.deepEqual(await read(first.id), first);
});

test('unique: 20 concurrent creates with the same value over HTTP: exactly one 201', async () => {
  const n = countRecords();
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => createRaw(createBody({ name: `Racer ${i}`, chip_id: 'CHIP-RACE', tag_no: 9000 + i }))));
  const ok = answers.filter((a) => a.status === 201);
  assert.equal(ok.length, 1, answers.map((a) => a.status).join(','));
  for (const a of answers.filter((x) => x.status !== 201)) expectError(a, 400, duplicate('Microchip ID', 'CHIP-RACE', 'chip_id'));
  assert.equal(countRecords(), n + 1);
  assert.equal(countHolding('chip_id', 'CHIP-RACE'), 1);
  // the losers' other unique values were not claimed
  const winner = expectRecord(ok[0]!, 201);
  for (let i = 0; i < 20; i++) {
    if (i === (winner.properties.tag_no as number) - 9000) continue;
    await create({ tag_no: 9000 + i });
  }
});

test('unique: 20 concurrent creates with the same phone in different spellings: exactly one 201', async () => {
  const spellings = ['+1 650 555 0100', '+1 (650) 555-0100', '+16505550100', '+1.650.555.0100'];
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => createRaw(createBody({ emergency_phone: spellings[i % spellings.length] }))));
  assert.equal(answers.filter((a) => a.status === 201).length, 1);
  for (const a of answers.filter((x) => x.status !== 201)) expectError(a, 400, duplicate('Emergency phone', '+16505550100', 'emergency_phone'));
  assert.equal(countHolding('emergency_phone', '+16505550100'), 1);
});

test('unique on update: a taken value is refused; changing its own value frees the old one; keeping it is fine', async () => {
  const a = await create({ name: 'A', chip_id: 'CHIP-A', tag_no: 501 });
  const b = await create({ name: 'B', chip_id: 'CHIP-B' });
  const bText = (await getRaw(b.id)).text;

  expectError(await updateRaw(b.id, { properties: { name: 'B2', chip_id: 'CHIP-A' } }), 400, duplicate('Microchip ID', 'CHIP-A', 'chip_id'));
  assert.equal((await getRaw(b.id)).text, bText, 'B is byte-identical after the refusal');

  // A re-sends its own value, and changes other properties: no conflict with itself
  const a1 = await update(a.id, { properties: { chip_id: 'CHIP-A', tag_no: 501, name: 'A again' } });
  assert.equal(a1.properties.chip_id, 'CHIP-A');

  // A moves to a new value: the old one is free for B, the new one is taken
  await update(a.id, { properties: { chip_id: 'CHIP-A2' } });
  const b1 = await update(b.id, { properties: { chip_id: 'CHIP-A' } });
  assert.equal(b1.properties.chip_id, 'CHIP-A');
  expectError(await createRaw(createBody({ chip_id: 'CHIP-A2' })), 400, duplicate('Microchip ID', 'CHIP-A2', 'chip_id'));
  // B's old value is free now
  await create({ chip_id: 'CHIP-B' });
  // tag_no of A untouched by the chip_id moves: still taken
  expectError(await createRaw(createBody({ tag_no: 501 })), 400, duplicate('Tag number', 501, 'tag_no'));
});

test('unique: clearing a value with null frees it', async () => {
  const a = await create({ chip_id: 'CHIP-NULL' });
  await update(a.id, { properties: { chip_id: null } });
  const b = await create({ chip_id: 'CHIP-NULL' });
  expectError(await updateRaw(a.id, { properties: { chip_id: 'CHIP-NULL' } }), 400, duplicate('Microchip ID', 'CHIP-NULL', 'chip_id'));
  assert.equal(b.properties.chip_id, 'CHIP-NULL');
});

test('unique: deleting a record frees its values', async () => {
  const a = await create({ chip_id: 'CHIP-DEL', tag_no: 601, emergency_phone: '+33 1 23 45 67 89' });
  expectError(await createRaw(createBody({ chip_id: 'CHIP-DEL' })), 400, duplicate('Microchip ID', 'CHIP-DEL', 'chip_id'));
  expectDeleted(await deleteRaw(a.id), a.id);
  const b = await create({ chip_id: 'CHIP-DEL', tag_no: 601, emergency_phone: '+33123456789' });
  assert.deepEqual(b.properties, { chip_id: 'CHIP-DEL', tag_no: 601, emergency_phone: '+33123456789' });
  // a fixture record's value, freed by its deletion
  const misty = await read(REC_MISTY);
  assert.equal(misty.properties.chip_id, 'CHIP-MISTY');
  expectDeleted(await deleteRaw(REC_MISTY), REC_MISTY);
  await create({ chip_id: 'CHIP-MISTY' });
});

test('unique: 10 concurrent updates of different records to the same value: exactly one 200', async () => {
  const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => create({ name: `Upd racer ${i}` })));
  const texts = await Promise.all(rs.map(async (r) => (await getRaw(r.id)).text));
  const answers = await Promise.all(rs.map((r) => updateRaw(r.id, { properties: { chip_id: 'CHIP-UPD-RACE', name: 'won' } })));
  const won = answers.map((a, i) => (a.status === 200 ? i : -1)).filter((i) => i >= 0);
  assert.equal(won.length, 1, answers.map((a) => a.status).join(','));
  for (const [i, a] of answers.entries()) {
    if (i === won[0]) continue;
    expectError(a, 400, duplicate('Microchip ID', 'CHIP-UPD-RACE', 'chip_id'));
    assert.equal((await getRaw(rs[i]!.id)).text, texts[i], 'a loser is byte-identical');
  }
  assert.equal(countHolding('chip_id', 'CHIP-UPD-RACE'), 1);
});

test('unique: a conflict on the second unique field claims nothing of the first', async () => {
  const n = countRecords();
  expectError(await createRaw(createBody({ chip_id: 'CHIP-FIRST', tag_no: 7 })), 400, duplicate('Tag number', 7, 'tag_no'));
  assert.equal(countRecords(), n);
  await create({ chip_id: 'CHIP-FIRST' });
  // on update: the refused update neither frees the old value nor claims the new one
  const a = await create({ chip_id: 'CHIP-KEEP' });
  expectError(await updateRaw(a.id, { properties: { chip_id: 'CHIP-NEW-1', tag_no: 7 } }), 400, duplicate('Tag number', 7, 'tag_no'));
  expectError(await createRaw(createBody({ chip_id: 'CHIP-KEEP' })), 400, duplicate('Microchip ID', 'CHIP-KEEP', 'chip_id'));
  await create({ chip_id: 'CHIP-NEW-1' });
});

test('unique: a create refused for validation claims no value', async () => {
  expectError(await createRaw(createBody({ chip_id: 'CHIP-VAL', weight_kg: '1' })), 422, v422('properties.weight_kg must be a number'));
  await create({ chip_id: 'CHIP-VAL' });
  const a = await create({ chip_id: 'CHIP-VAL2' });
  expectError(await updateRaw(a.id, { properties: { chip_id: 'CHIP-VAL3', weight_kg: '1' } }), 422, v422('properties.weight_kg must be a number'));
  await create({ chip_id: 'CHIP-VAL3' });
  expectError(await createRaw(createBody({ chip_id: 'CHIP-VAL2' })), 400, duplicate('Microchip ID', 'CHIP-VAL2', 'chip_id'));
});

test('unique values are per object: the same value in another object is fine', async () => {
  // vat_id is business's unique field; a pet may have a chip_id equal to it
  await create({ chip_id: 'VAT-1' });
  const biz = await create({ name: 'Another', vat_id: 'CHIP-REX' }, {}, 'business');
  assert.equal(biz.properties.vat_id, 'CHIP-REX');
});

// ---------------------------------------------------------------------------------------------
// All or nothing
// ---------------------------------------------------------------------------------------------

test('a refused update leaves the record byte-identical (validation, unique, people, placement)', async () => {
  const r = await create(FULL, { owner: [USER_1], followers: [USER_2] });
  const holder = await create({ chip_id: 'CHIP-HELD' });
  const text = (await getRaw(r.id)).text;
  const refusals: Array<[string, Promise<Answer>]> = [
    ['valid and invalid properties', updateRaw(r.id, { properties: { name: 'Changed', history: 'Changed', weight_kg: 'heavy' } })],
    ['unique conflict with other changes', updateRaw(r.id, { owner: [USER_2], properties: { name: 'Changed', vaccines: { add: ['distemper'] }, chip_id: 'CHIP-HELD' } })],
    ['bad owner with good properties', updateRaw(r.id, { owner: [USER_OTHER], properties: { name: 'Changed' } })],
    ['bad modifier with good properties', updateRaw(r.id, { properties: { name: 'Changed', xrays: { add: FILES(3) } } })],
    ['locationId in both', call(url(`${PET}/${r.id}?locationId=${LOC}`), { method: 'PUT', headers: auth(PIT_W), body: { locationId: LOC, properties: { name: 'Changed' } } })],
    ['locationId in body only', call(url(`${PET}/${r.id}`), { method: 'PUT', headers: auth(PIT_W), body: { locationId: LOC, properties: { name: 'Changed' } } })],
    ['another location', call(url(`${PET}/${r.id}?locationId=${OTHER_LOC}`), { method: 'PUT', headers: auth(PIT_W), body: { properties: { name: 'Changed' } } })],
    ['read-only token', updateRaw(r.id, { properties: { name: 'Changed' } }, 'custom_objects.pet', oauthRead)],
    ['server-set field', updateRaw(r.id, { createdAt: '2000-01-01T00:00:00.000Z', properties: { name: 'Changed' } })],
    ['delete with locationId', call(url(`${PET}/${r.id}?locationId=${LOC}`), { method: 'DELETE', headers: auth(PIT_W) })],
    ['delete by another location', deleteRaw(r.id, 'custom_objects.pet', PIT_OTHER)],
  ];
  for (const [what, pending] of refusals) {
    const res = await pending;
    assert.ok(res.status >= 400, `${what}: ${res.status}`);
    assert.equal((await getRaw(r.id)).text, text, `${what}: the record changed`);
  }
  assert.deepEqual(await read(holder.id), holder);
});

test('a refused create adds no record and claims no unique value', async () => {
  const n = countRecords();
  const bizN = countRecords(bizObjectId);
  const all = snapshot();
  const refusals: Answer[] = [
    await createRaw(createBody({ name: 'Nope', chip_id: 'CHIP-NOPE', weight_kg: 'heavy' })),
    await createRaw(createBody({ name: 'Nope', chip_id: 'CHIP-NOPE', tag_no: 7 })),
    await createRaw(createBody({ name: 'Nope', chip_id: 'CHIP-NOPE' }, { owner: [USER_OTHER] })),
    await createRaw({ properties: { name: 'Nope', chip_id: 'CHIP-NOPE' } }),
    await createRaw({ locationId: OTHER_LOC, properties: { name: 'Nope', chip_id: 'CHIP-NOPE' } }),
    await call(url(`${PET}?locationId=${LOC}`), { method: 'POST', headers: auth(PIT_W), body: createBody({ name: 'Nope', chip_id: 'CHIP-NOPE' }) }),
    await createRaw(createBody({ name: 'Nope', chip_id: 'CHIP-NOPE' }, { id: '661c06b4ffde146bdb46abcd' })),
    await createRaw(createBody({ name: 'Nope', chip_id: 'CHIP-NOPE' }), 'custom_objects.pet', oauthRead),
    await createRaw(createBody({ name: 'Nope', vat_id: 'VAT-2' }), 'business'),
    await createRaw(createBody({ name: 'Nope' }, { owner: [USER_1] }), 'business'),
  ];
  for (const res of refusals) assert.ok(res.status >= 400, res.text);
  assert.equal(countRecords(), n);
  assert.equal(countRecords(bizObjectId), bizN);
  assert.equal(snapshot(), all);
  await create({ chip_id: 'CHIP-NOPE' });
});

// ---------------------------------------------------------------------------------------------
// Concurrent updates
// ---------------------------------------------------------------------------------------------

test('concurrent updates of different properties of one record all survive', async () => {
  const r0 = await create({ name: 'Busy', vaccines: ['rabies'] });
  const patches: Array<Record<string, unknown>> = [
    { name: 'Busy Bee' },
    { history: 'Seen often' },
    { weight_kg: 8 },
    { owner_phone: '+917000000002' },
    { owner_email: 'busy@example.com' },
    { balance: { currency: 'default', value: 42 } },
    { species: 'rabbit' },
    { temperament: 'lively' },
    { size: 'medium-ish' },
    { birthday: '2022-02-22' },
    { 'diet.morning': 'Hay' },
    { 'diet.evening': 'Carrots' },
    { xrays: [{ url: 'https://example.com/busy.png' }] },
    { vaccines: { add: ['parvo'] } },
    { vaccines: { add: ['distemper'] } },
    { allergies: { add: ['pollen'] } },
    { allergies: { add: ['chicken'] } },
    { allergies: { add: ['penicillin'] } },
  ];
  const answers = await Promise.all(patches.map((p, i) => updateRaw(r0.id, { properties: p }, 'custom_objects.pet', i % 2 ? PIT_W : PIT_W2)));
  for (const a of answers) expectRecord(a, 200);
  const final = await read(r0.id);
  const { vaccines, allergies, ...rest } = final.properties;
  assert.deepEqual(rest, {
    name: 'Busy Bee', history: 'Seen often', weight_kg: 8, owner_phone: '+917000000002', owner_email: 'busy@example.com',
    balance: { currency: 'default', value: 42 }, species: 'rabbit', temperament: 'lively', size: 'medium-ish', birthday: '2022-02-22',
    'diet.morning': 'Hay', 'diet.evening': 'Carrots', xrays: [{ url: 'https://example.com/busy.png' }],
  });
  assert.deepEqual(sorted(vaccines as string[]), ['distemper', 'parvo', 'rabies']);
  assert.deepEqual(sorted(allergies as string[]), ['chicken', 'penicillin', 'pollen']);
  assert.equal(final.createdAt, r0.createdAt);
  // the last answer written is the state read back
  const latest = answers.map((a) => (a.body as { record: ApiRecord }).record).sort((x, y) => x.updatedAt.localeCompare(y.updatedAt)).at(-1)!;
  assert.equal(final.updatedAt, latest.updatedAt);
});

test('concurrent creates and deletes keep the count exact', async () => {
  const n = countRecords();
  const made = await Promise.all(Array.from({ length: 15 }, (_, i) => createRaw(createBody({ name: `Bulk ${i}` }))));
  const ids = made.map((a) => expectRecord(a, 201).id);
  assert.equal(new Set(ids).size, 15, 'every id is new');
  assert.equal(countRecords(), n + 15);
  const gone = await Promise.all(ids.slice(0, 10).map((id) => deleteRaw(id)));
  for (const [i, g] of gone.entries()) expectDeleted(g, ids[i]!);
  assert.equal(countRecords(), n + 5);
});
