import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ObjectRow } from '../../../src/store/store.js';
import { contractErrors as E } from '../../helpers/contract-errors.js';
import { dtoValidator } from '../../helpers/spec-dto.js';
import { auth, call, startTestServer, type Answer, type TestServer } from '../../helpers/test-server.js';
import { comparable, resolve } from '../../helpers/scenario.js';

/**
 * Object schemas (`/objects/`) over real HTTP and a real SQLite file: list, get, create, update,
 * delete, against the issue "Object schemas and custom fields" and CONTRACT.md. Scenario tables
 * (one request, one expected answer) first, then the write flows that check stored state.
 * Three locations: A (the caller), B (another location with an object of the same key, for
 * isolation) and C (nine custom objects, one short of the cap).
 */

// ---------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------

const LOC_A = 'AlphaClinicLocation1';
const LOC_B = 'BravoClinicLocation2';
const LOC_C = 'CappedLocationThree3';
const USER_A = 'sx6wyHhbFdRXh302Lunr';

const PIT_A = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
/** Custom-fields scopes only: no objects/schema.* */
const PIT_A_FIELDS = 'pit-1b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d12';
/** objects/schema.readonly only. */
const PIT_A_SCHEMA_READ = 'pit-2b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d13';
const PIT_B = 'pit-5b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d21';
const PIT_C = 'pit-6b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d31';

const OBJ_PET_A = '6798a1a18fc746e0eba2ccfe';
const OBJ_PET_B = '6798a1a18fc746e0eba2cc01';
const OBJ_VET_B = '6798a1a18fc746e0eba2cc02';
const NO_SUCH_OBJECT = '6798a1a18fc746e0eba2ffff';
const FOLDER_PET_A = '66aa000000000000000000a1';
const FOLDER_PET_A_2 = '66aa000000000000000000a2';
const FOLDER_PET_B = '66aa000000000000000000b1';

const REC_REX = '661c06b4ffde146bdb469442';
const REC_MISTY = '661c06b4ffde146bdb469443';
const BIZ_A = '66a0f1c2d3e4f5a6b7c8d9e0';
const REC_PET_B = '661c06b4ffde146bdb4694b1';

const AT = '2024-05-01T08:00:00.000Z';
const LATER = '2024-05-02T09:30:00.000Z';

/** A 20-character field id made from a tag. */
const sid = (tag: string) => (tag + '0'.repeat(20)).slice(0, 20);

const PET_FIELDS = [
  { id: sid('PetName'), fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
  { id: sid('PetWeight'), fieldKey: 'custom_objects.pet.weight_kg', name: 'Weight (kg)', dataType: 'NUMERICAL', description: 'In kilograms', placeholder: '12.5' },
  { id: sid('PetEmail'), fieldKey: 'custom_objects.pet.owner_email', name: 'Owner email', dataType: 'EMAIL' },
  {
    id: sid('PetSpecies'), fieldKey: 'custom_objects.pet.species', name: 'Species', dataType: 'SINGLE_OPTIONS', showInForms: false,
    options: [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }],
  },
  {
    id: sid('PetSize'), fieldKey: 'custom_objects.pet.size', name: 'Size', dataType: 'RADIO', allowCustomOption: true,
    options: [{ key: 'small', label: 'Small', url: 'https://example.com/small.png' }, { key: 'large', label: 'Large' }],
  },
  { id: sid('PetDiet'), fieldKey: 'custom_objects.pet.diet', name: 'Diet', dataType: 'TEXTBOX_LIST', options: [{ key: 'morning', label: 'Morning' }] },
  { id: sid('PetXrays'), fieldKey: 'custom_objects.pet.xrays', name: 'X-rays', dataType: 'FILE_UPLOAD', acceptedFormats: '.png', maxFileLimit: 3, parentId: FOLDER_PET_A_2 },
] as const;

const FIXTURE = {
  locations: [
    {
      id: LOC_A,
      name: 'Alpha Clinic',
      users: [{ id: USER_A, name: 'Ada Lovelace' }],
      tokens: [
        {
          type: 'private-integration', token: PIT_A,
          scopes: ['objects/record.readonly', 'objects/record.write', 'objects/schema.readonly', 'objects/schema.write', 'locations/customFields.readonly', 'locations/customFields.write'],
        },
        { type: 'oauth', scopes: ['objects/record.readonly', 'objects/schema.readonly', 'locations/customFields.readonly'] },
        { type: 'private-integration', token: PIT_A_FIELDS, scopes: ['locations/customFields.readonly', 'locations/customFields.write'] },
        { type: 'private-integration', token: PIT_A_SCHEMA_READ, scopes: ['objects/schema.readonly'] },
      ],
      objects: [
        {
          key: 'custom_objects.pet',
          id: OBJ_PET_A,
          labels: { singular: 'Pet', plural: 'Pets' },
          description: 'Patients of the clinic',
          primaryDisplayProperty: 'custom_objects.pet.name',
          searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.owner_email'],
          folders: [{ id: FOLDER_PET_A, name: 'General Info' }, { id: FOLDER_PET_A_2, name: 'Imaging' }],
          fields: PET_FIELDS.map((f) => ({ ...f, dateAdded: AT })),
          dateAdded: AT,
          dateUpdated: LATER,
        },
        {
          key: 'business',
          fields: [
            { id: sid('BizTier'), fieldKey: 'business.supplier_tier', name: 'Supplier tier', dataType: 'SINGLE_OPTIONS', options: [{ key: 'gold', label: 'Gold' }], dateAdded: AT },
          ],
        },
      ],
      records: [
        {
          objectKey: 'custom_objects.pet', id: REC_REX, owner: [USER_A],
          properties: { name: 'Rex', weight_kg: 31.5, owner_email: 'rex@example.com', species: 'dog', 'diet.morning': 'Dry food' },
          dateAdded: AT,
        },
        { objectKey: 'custom_objects.pet', id: REC_MISTY, properties: { name: 'Misty', species: 'cat' }, dateAdded: AT },
        { objectKey: 'business', id: BIZ_A, properties: { name: 'Happy Paws', supplier_tier: 'gold' }, dateAdded: AT },
      ],
    },
    {
      id: LOC_B,
      name: 'Bravo Clinic',
      tokens: [{ type: 'private-integration', token: PIT_B, scopes: ['objects/record.readonly', 'objects/schema.readonly', 'objects/schema.write'] }],
      objects: [
        {
          key: 'custom_objects.pet', id: OBJ_PET_B, labels: { singular: 'Animal', plural: 'Animals' },
          folders: [{ id: FOLDER_PET_B, name: 'General Info' }],
          fields: [
            { id: sid('BPetName'), fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
            { id: sid('BPetChip'), fieldKey: 'custom_objects.pet.chip_id', name: 'Chip', dataType: 'TEXT' },
          ],
          dateAdded: AT,
        },
        {
          key: 'custom_objects.vet', id: OBJ_VET_B, labels: { singular: 'Vet', plural: 'Vets' },
          fields: [{ id: sid('BVetName'), fieldKey: 'custom_objects.vet.full_name', name: 'Full name', dataType: 'TEXT' }],
          dateAdded: AT,
        },
      ],
      records: [{ objectKey: 'custom_objects.pet', id: REC_PET_B, properties: { name: 'Bravo Rex', chip_id: 'X1' }, dateAdded: AT }],
    },
    {
      id: LOC_C,
      name: 'Capped Clinic',
      tokens: [{ type: 'private-integration', token: PIT_C, scopes: ['objects/record.readonly', 'objects/schema.readonly', 'objects/schema.write'] }],
      objects: Array.from({ length: 9 }, (_, i) => ({
        key: `custom_objects.thing_${i + 1}`,
        labels: { singular: `Thing ${i + 1}`, plural: `Things ${i + 1}` },
        fields: [{ fieldKey: `custom_objects.thing_${i + 1}.title`, name: 'Title', dataType: 'TEXT' }],
      })),
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// Expected bodies
// ---------------------------------------------------------------------------------------------

const PET_A_OBJECT = {
  id: OBJ_PET_A,
  standard: false,
  key: 'custom_objects.pet',
  labels: { singular: 'Pet', plural: 'Pets' },
  description: 'Patients of the clinic',
  locationId: LOC_A,
  primaryDisplayProperty: 'custom_objects.pet.name',
  dateAdded: AT,
  dateUpdated: LATER,
  type: 'USER_DEFINED',
  searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.owner_email'],
};

/** A fixture field as `ICustomField`: the defaults the contract gives to what the fixture leaves out. */
function fieldBody(f: (typeof PET_FIELDS)[number], objectKey = 'custom_objects.pet', locationId = LOC_A): Record<string, unknown> {
  const { parentId, ...rest } = f as typeof f & { parentId?: string; showInForms?: boolean };
  return {
    showInForms: true,
    ...rest,
    ...(f.dataType === 'RADIO' ? { allowCustomOption: 'allowCustomOption' in f ? f.allowCustomOption : false } : {}),
    objectKey,
    parentId: parentId ?? FOLDER_PET_A,
    locationId,
    standard: false,
    dateAdded: AT,
    dateUpdated: AT,
  };
}
const PET_A_FIELDS = PET_FIELDS.map((f) => fieldBody(f));

const err = (statusCode: number, message: string | string[]) => ({ statusCode, message, error: ({ 400: 'Bad Request', 404: 'Not Found', 422: 'Unprocessable Entity' } as Record<number, string>)[statusCode] });
const unprocessable = (...message: string[]) => err(422, message);
const badRequest = (message: string) => err(400, message);
const missingLocation = unprocessable('locationId must be a string', 'locationId should not be empty');
const badIdParam = { statusCode: 400, message: ['id must be a mongodb id'], error: 'Bad Request' };

// ---------------------------------------------------------------------------------------------
// The server, the stored state, the scenario runner
// ---------------------------------------------------------------------------------------------

let server: TestServer;
let db: Database.Database;
let oauthA: string;
/** Standard objects of location A, as stored (their ids and dates are made at load time). */
let standardA: Map<string, ObjectRow>;

before(async () => {
  server = await startTestServer(FIXTURE);
  assert.equal(server.tokens[1]?.type, 'oauth');
  oauthA = server.tokens[1]!.token;
  standardA = new Map((await server.app.services.store.listObjects(LOC_A)).objects.filter((o) => o.standard).map((o) => [o.key, o]));
  db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
});
after(async () => {
  db?.close();
  await server?.close();
});

/** Every stored row of the schema and record tables: what a refused write must leave as it was. */
function snapshot(): string {
  return JSON.stringify(['objects', 'folders', 'fields', 'records'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
}

function recordCount(objectId: string): number {
  return db.prepare('SELECT count(*) FROM records WHERE object_id = ?').pluck().get(objectId) as number;
}

const stdId = (key: string) => standardA.get(key)!.id;

interface Scenario {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A function when the path holds an id made at load time. */
  path: string | (() => string);
  /** `auth(PIT_A)` unless given. */
  headers?: Record<string, string> | (() => Record<string, string>);
  body?: unknown;
  status: number;
  /** Error answers are compared byte for byte with JSON.stringify of this; 2xx answers deeply. */
  expectBody?: unknown | (() => unknown);
  /** The spec DTO a 2xx answer must satisfy: objects.json unless `file` says otherwise. */
  dto?: string;
}

async function send(s: Pick<Scenario, 'method' | 'path' | 'headers' | 'body'>): Promise<Answer> {
  return call(server.url + resolve(s.path), { method: s.method, headers: s.headers === undefined ? auth(PIT_A) : resolve(s.headers), body: s.body });
}

async function runScenario(s: Scenario): Promise<Answer> {
  const before = s.method === 'GET' ? undefined : snapshot();
  const answer = await send(s);
  assert.equal(answer.status, s.status, `${s.name}: ${answer.text}`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  const expected = resolve(s.expectBody);
  if (s.status >= 400) {
    assert.equal(answer.text, JSON.stringify(expected), 'the error body, byte for byte');
    if (before !== undefined) assert.equal(snapshot(), before, 'a refused write changed nothing stored');
  } else {
    if (expected !== undefined) assert.deepEqual(comparable(answer.body), expected);
    if (s.dto) assert.deepEqual(dtoValidator('objects.json', s.dto)(answer.body), [], `the answer is a valid ${s.dto}`);
  }
  return answer;
}

function table(title: string, scenarios: Scenario[]): void {
  for (const s of scenarios) test(`${title}: ${s.name}`, () => runScenario(s).then(() => undefined));
}

const q = `?locationId=${LOC_A}`;
const createBody = (over: Record<string, unknown> = {}) => ({
  labels: { singular: 'Vet', plural: 'Vets' },
  key: 'vet',
  description: 'Visiting vets',
  locationId: LOC_A,
  primaryDisplayPropertyDetails: { key: 'vet_name', name: 'Vet name', dataType: 'TEXT' },
  ...over,
});
const updateBody = (over: Record<string, unknown> = {}) => ({ locationId: LOC_A, searchableProperties: ['custom_objects.pet.name'], ...over });

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

table('GET /objects', [
  { name: 'version header missing', method: 'GET', path: `/objects/${q}`, headers: { Authorization: `Bearer ${PIT_A}` }, status: 401, expectBody: E.versionMissing },
  { name: 'unknown token', method: 'GET', path: `/objects/${q}`, headers: auth('pit-9b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d99'), status: 401, expectBody: E.invalidToken },
  { name: 'token without objects/schema.readonly', method: 'GET', path: `/objects/${q}`, headers: auth(PIT_A_FIELDS), status: 401, expectBody: E.scopeMissing },
  { name: 'scope is checked before location', method: 'GET', path: `/objects/?locationId=${LOC_B}`, headers: auth(PIT_A_FIELDS), status: 401, expectBody: E.scopeMissing },
  { name: 'locationId of another location', method: 'GET', path: `/objects/?locationId=${LOC_B}`, status: 403, expectBody: E.locationForbidden },
  { name: 'locationId missing', method: 'GET', path: '/objects/', status: 422, expectBody: missingLocation },
  {
    name: 'the list: standard objects, then custom objects',
    method: 'GET', path: `/objects/${q}`, status: 200, dto: 'CustomObjectListResponseDTO',
    expectBody: () => ({ objects: [objectOf('contact'), objectOf('opportunity'), objectOf('business'), PET_A_OBJECT] }),
  },
  {
    name: 'the list, read with a read-only OAuth token',
    method: 'GET', path: `/objects/${q}`, headers: () => auth(oauthA), status: 200, dto: 'CustomObjectListResponseDTO',
    expectBody: () => ({ objects: [objectOf('contact'), objectOf('opportunity'), objectOf('business'), PET_A_OBJECT] }),
  },
  {
    name: 'another location lists its own objects only',
    method: 'GET', path: `/objects/?locationId=${LOC_B}`, headers: auth(PIT_B), status: 200, dto: 'CustomObjectListResponseDTO',
  },
]);

/** A standard object of location A as listed. */
function objectOf(key: string): Record<string, unknown> {
  const row = standardA.get(key)!;
  return {
    id: row.id, standard: true, key, labels: row.labels, ...(row.description === null ? {} : { description: row.description }), locationId: LOC_A,
    primaryDisplayProperty: row.primaryDisplayProperty, dateAdded: row.createdAt, dateUpdated: row.updatedAt, type: 'SYSTEM_DEFINED', searchableProperties: row.searchableProperties,
  };
}

test('GET /objects: standard objects are contact, opportunity and business, SYSTEM_DEFINED; business is Company', async () => {
  const answer = await send({ method: 'GET', path: `/objects/${q}` });
  const objects = (answer.body as { objects: Array<Record<string, unknown>> }).objects;
  assert.deepEqual(objects.map((o) => [o.key, o.standard, o.type]), [
    ['contact', true, 'SYSTEM_DEFINED'], ['opportunity', true, 'SYSTEM_DEFINED'], ['business', true, 'SYSTEM_DEFINED'], ['custom_objects.pet', false, 'USER_DEFINED'],
  ]);
  for (const o of objects) assert.match(String(o.id), /^[0-9a-f]{24}$/);
  assert.deepEqual(objects[2]!.labels, { singular: 'Company', plural: 'Companies' });
  assert.equal(objects[2]!.primaryDisplayProperty, 'business.name');
  const b = await send({ method: 'GET', path: `/objects/?locationId=${LOC_B}`, headers: auth(PIT_B) });
  const keysB = (b.body as { objects: Array<{ key: string; id: string; locationId: string }> }).objects;
  assert.deepEqual(keysB.map((o) => o.key), ['contact', 'opportunity', 'business', 'custom_objects.pet', 'custom_objects.vet']);
  assert.ok(keysB.every((o) => o.locationId === LOC_B));
  assert.equal(keysB[3]!.id, OBJ_PET_B, "B's pet is B's, though its key is A's too");
});

table('GET /objects/{key}', [
  { name: 'by key', method: 'GET', path: `/objects/custom_objects.pet${q}`, status: 200, dto: 'CustomObjectByIdResponseDTO', expectBody: { object: PET_A_OBJECT, cache: false } },
  { name: 'by id', method: 'GET', path: `/objects/${OBJ_PET_A}${q}`, status: 200, dto: 'CustomObjectByIdResponseDTO', expectBody: { object: PET_A_OBJECT, cache: false } },
  {
    name: 'fetchProperties=false: no fields', method: 'GET', path: `/objects/custom_objects.pet${q}&fetchProperties=false`, status: 200,
    dto: 'CustomObjectByIdResponseDTO', expectBody: { object: PET_A_OBJECT, cache: false },
  },
  {
    name: 'fetchProperties=true: every field, in order', method: 'GET', path: `/objects/custom_objects.pet${q}&fetchProperties=true`, status: 200,
    dto: 'CustomObjectByIdResponseDTO', expectBody: { object: PET_A_OBJECT, cache: false, fields: PET_A_FIELDS },
  },
  {
    name: 'by id with fetchProperties=true', method: 'GET', path: `/objects/${OBJ_PET_A}${q}&fetchProperties=true`, status: 200,
    dto: 'CustomObjectByIdResponseDTO', expectBody: { object: PET_A_OBJECT, cache: false, fields: PET_A_FIELDS },
  },
  { name: 'read-only OAuth token', method: 'GET', path: `/objects/custom_objects.pet${q}`, headers: () => auth(oauthA), status: 200, expectBody: { object: PET_A_OBJECT, cache: false } },
  { name: 'business', method: 'GET', path: `/objects/business${q}`, status: 200, dto: 'CustomObjectByIdResponseDTO', expectBody: () => ({ object: objectOf('business'), cache: false }) },
  { name: 'contact', method: 'GET', path: `/objects/contact${q}`, status: 200, dto: 'CustomObjectByIdResponseDTO', expectBody: () => ({ object: objectOf('contact'), cache: false }) },
  { name: 'business by id', method: 'GET', path: () => `/objects/${stdId('business')}${q}`, status: 200, expectBody: () => ({ object: objectOf('business'), cache: false }) },
  { name: 'unknown key', method: 'GET', path: `/objects/custom_objects.nope${q}`, status: 404, expectBody: E.objectNotFound('custom_objects.nope') },
  { name: 'unknown id', method: 'GET', path: `/objects/${NO_SUCH_OBJECT}${q}`, status: 404, expectBody: E.objectNotFound(NO_SUCH_OBJECT) },
  { name: 'a key only another location has', method: 'GET', path: `/objects/custom_objects.vet${q}`, status: 404, expectBody: E.objectNotFound('custom_objects.vet') },
  { name: "another location's object by id", method: 'GET', path: `/objects/${OBJ_VET_B}${q}`, status: 404, expectBody: E.objectNotFound(OBJ_VET_B) },
  { name: "another location's pet by id", method: 'GET', path: `/objects/${OBJ_PET_B}${q}`, status: 404, expectBody: E.objectNotFound(OBJ_PET_B) },
  { name: "B's token: A's pet by id", method: 'GET', path: `/objects/${OBJ_PET_A}?locationId=${LOC_B}`, headers: auth(PIT_B), status: 404, expectBody: E.objectNotFound(OBJ_PET_A) },
  { name: 'locationId missing', method: 'GET', path: '/objects/custom_objects.pet', status: 422, expectBody: missingLocation },
  { name: 'locationId missing, fetchProperties given', method: 'GET', path: '/objects/custom_objects.pet?fetchProperties=true', status: 422, expectBody: missingLocation },
  { name: 'locationId of another location', method: 'GET', path: `/objects/custom_objects.pet?locationId=${LOC_B}`, status: 403, expectBody: E.locationForbidden },
  { name: 'no objects/schema.readonly', method: 'GET', path: `/objects/custom_objects.pet${q}`, headers: auth(PIT_A_FIELDS), status: 401, expectBody: E.scopeMissing },
]);

test('GET /objects/business?fetchProperties=true lists its standard fields and its custom field', async () => {
  const answer = await runScenario({ name: 'business fields', method: 'GET', path: `/objects/business${q}&fetchProperties=true`, status: 200, dto: 'CustomObjectByIdResponseDTO' });
  const fields = (answer.body as { fields: Array<{ fieldKey: string; standard: boolean; objectKey: string; locationId: string }> }).fields;
  const keys = fields.map((f) => f.fieldKey);
  for (const k of ['name', 'phone', 'email', 'website', 'address', 'city', 'state', 'postalCode', 'country', 'description']) {
    assert.ok(fields.some((f) => f.fieldKey === `business.${k}` && f.standard), `business.${k} is a standard field`);
  }
  assert.ok(fields.some((f) => f.fieldKey === 'business.supplier_tier' && !f.standard));
  assert.equal(new Set(keys).size, keys.length);
  assert.ok(fields.every((f) => f.objectKey === 'business' && f.locationId === LOC_A));
});

// ---------------------------------------------------------------------------------------------
// Refused writes: each leaves the stored state as it was
// ---------------------------------------------------------------------------------------------

table('POST /objects refused', [
  { name: 'read-only OAuth token', method: 'POST', path: '/objects/', headers: () => auth(oauthA), body: createBody(), status: 401, expectBody: E.scopeMissing },
  { name: 'token with objects/schema.readonly only', method: 'POST', path: '/objects/', headers: auth(PIT_A_SCHEMA_READ), body: createBody(), status: 401, expectBody: E.scopeMissing },
  { name: 'token without objects scopes', method: 'POST', path: '/objects/', headers: auth(PIT_A_FIELDS), body: createBody(), status: 401, expectBody: E.scopeMissing },
  { name: 'body locationId of another location', method: 'POST', path: '/objects/', body: createBody({ locationId: LOC_B }), status: 403, expectBody: E.locationForbidden },
  {
    name: 'body locationId of another location, in an invalid body (checked first)', method: 'POST', path: '/objects/',
    body: { locationId: LOC_B, properties: [], labels: 7 }, status: 403, expectBody: E.locationForbidden,
  },
  {
    name: 'empty body', method: 'POST', path: '/objects/', body: {}, status: 422,
    expectBody: unprocessable(
      'labels must be an object', 'labels should not be empty', 'key must be a string', 'key should not be empty',
      'locationId must be a string', 'locationId should not be empty', 'primaryDisplayPropertyDetails must be an object', 'primaryDisplayPropertyDetails should not be empty',
    ),
  },
  { name: 'unknown property', method: 'POST', path: '/objects/', body: createBody({ properties: [{ key: 'x' }] }), status: 422, expectBody: unprocessable('property properties should not exist') },
  { name: 'labels missing', method: 'POST', path: '/objects/', body: createBody({ labels: undefined }), status: 422, expectBody: unprocessable('labels must be an object', 'labels should not be empty') },
  { name: 'labels.singular empty', method: 'POST', path: '/objects/', body: createBody({ labels: { singular: '', plural: 'Vets' } }), status: 422, expectBody: unprocessable('labels.singular should not be empty') },
  {
    name: 'labels.plural missing', method: 'POST', path: '/objects/', body: createBody({ labels: { singular: 'Vet' } }), status: 422,
    expectBody: unprocessable('labels.plural must be a string', 'labels.plural should not be empty'),
  },
  { name: 'labels with an unknown property', method: 'POST', path: '/objects/', body: createBody({ labels: { singular: 'Vet', plural: 'Vets', one: 'x' } }), status: 422, expectBody: unprocessable('property labels.one should not exist') },
  { name: 'key empty', method: 'POST', path: '/objects/', body: createBody({ key: '' }), status: 422, expectBody: unprocessable('key should not be empty') },
  {
    name: 'key with capitals and a space', method: 'POST', path: '/objects/', body: createBody({ key: 'Vet Visit' }), status: 422,
    expectBody: unprocessable('key must be lowercase letters, digits and underscores, optionally prefixed with custom_objects.'),
  },
  {
    name: 'key with a hyphen', method: 'POST', path: '/objects/', body: createBody({ key: 'custom_objects.vet-visit' }), status: 422,
    expectBody: unprocessable('key must be lowercase letters, digits and underscores, optionally prefixed with custom_objects.'),
  },
  {
    name: 'primary display property DATE', method: 'POST', path: '/objects/',
    body: createBody({ primaryDisplayPropertyDetails: { key: 'visit', name: 'Visit', dataType: 'DATE' } }), status: 422,
    expectBody: unprocessable('primaryDisplayPropertyDetails.dataType must be one of the following values: TEXT, NUMERICAL'),
  },
  {
    name: 'primary display property EMAIL', method: 'POST', path: '/objects/',
    body: createBody({ primaryDisplayPropertyDetails: { key: 'mail', name: 'Mail', dataType: 'EMAIL' } }), status: 422,
    expectBody: unprocessable('primaryDisplayPropertyDetails.dataType must be one of the following values: TEXT, NUMERICAL'),
  },
  {
    name: 'primary display property without a name', method: 'POST', path: '/objects/',
    body: createBody({ primaryDisplayPropertyDetails: { key: 'vet_name', dataType: 'TEXT' } }), status: 422,
    expectBody: unprocessable('primaryDisplayPropertyDetails.name must be a string', 'primaryDisplayPropertyDetails.name should not be empty'),
  },
  {
    name: "primary display property keyed under another object", method: 'POST', path: '/objects/',
    body: createBody({ primaryDisplayPropertyDetails: { key: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' } }), status: 422,
    expectBody: unprocessable('primaryDisplayPropertyDetails.key must be custom_objects.vet.<key>, the key lowercase letters, digits and underscores'),
  },
  { name: 'duplicate key, unprefixed', method: 'POST', path: '/objects/', body: createBody({ key: 'pet' }), status: 400, expectBody: badRequest('Custom Object with key custom_objects.pet already exists') },
  {
    name: 'duplicate key, prefixed', method: 'POST', path: '/objects/', body: createBody({ key: 'custom_objects.pet', primaryDisplayPropertyDetails: { key: 'custom_objects.pet.title', name: 'T', dataType: 'TEXT' } }),
    status: 400, expectBody: badRequest('Custom Object with key custom_objects.pet already exists'),
  },
  { name: 'no body', method: 'POST', path: '/objects/', status: 422, expectBody: unprocessable('body must be an object') },
]);

table('PUT /objects/{key} refused', [
  { name: 'read-only OAuth token', method: 'PUT', path: '/objects/custom_objects.pet', headers: () => auth(oauthA), body: updateBody(), status: 401, expectBody: E.scopeMissing },
  { name: 'token without objects scopes', method: 'PUT', path: '/objects/custom_objects.pet', headers: auth(PIT_A_FIELDS), body: updateBody(), status: 401, expectBody: E.scopeMissing },
  { name: 'body locationId of another location', method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ locationId: LOC_B }), status: 403, expectBody: E.locationForbidden },
  {
    name: 'body locationId of another location, with a key (checked before validation)', method: 'PUT', path: '/objects/custom_objects.pet',
    body: updateBody({ locationId: LOC_B, key: 'x' }), status: 403, expectBody: E.locationForbidden,
  },
  {
    name: 'four searchable properties', method: 'PUT', path: '/objects/custom_objects.pet',
    body: updateBody({ searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.owner_email', 'custom_objects.pet.species', 'custom_objects.pet.weight_kg'] }),
    status: 400, expectBody: badRequest('Too many searchable properties. Maximum allowed is 3, but received 4.'),
  },
  {
    name: 'five searchable properties, some unknown', method: 'PUT', path: '/objects/custom_objects.pet',
    body: updateBody({ searchableProperties: ['a', 'b', 'c', 'd', 'e'] }), status: 400, expectBody: badRequest('Too many searchable properties. Maximum allowed is 3, but received 5.'),
  },
  { name: 'no searchable property', method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ searchableProperties: [] }), status: 422, expectBody: unprocessable('searchableProperties must contain at least 1 elements') },
  {
    name: 'searchableProperties missing', method: 'PUT', path: '/objects/custom_objects.pet', body: { locationId: LOC_A }, status: 422,
    expectBody: unprocessable('searchableProperties must be an array', 'searchableProperties should not be empty'),
  },
  {
    name: 'a short key, not the full key', method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ searchableProperties: ['name'] }), status: 422,
    expectBody: unprocessable('searchableProperties.0 name is not a field of custom_objects.pet'),
  },
  {
    name: "another object's field", method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ searchableProperties: ['custom_objects.pet.name', 'business.name'] }), status: 422,
    expectBody: unprocessable('searchableProperties.1 business.name is not a field of custom_objects.pet'),
  },
  {
    name: 'a field listed twice', method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.name'] }), status: 422,
    expectBody: unprocessable('searchableProperties must not list a field twice'),
  },
  { name: 'key sent', method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ key: 'custom_objects.animal' }), status: 422, expectBody: unprocessable('property key should not exist') },
  {
    name: 'primary display property sent', method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ primaryDisplayProperty: 'custom_objects.pet.species' }), status: 422,
    expectBody: unprocessable('property primaryDisplayProperty should not exist'),
  },
  {
    name: 'primaryDisplayPropertyDetails sent', method: 'PUT', path: '/objects/custom_objects.pet',
    body: updateBody({ primaryDisplayPropertyDetails: { key: 'species', name: 'S', dataType: 'TEXT' } }), status: 422, expectBody: unprocessable('property primaryDisplayPropertyDetails should not exist'),
  },
  {
    name: 'key and primary display property sent', method: 'PUT', path: '/objects/custom_objects.pet',
    body: updateBody({ key: 'x', primaryDisplayProperty: 'y' }), status: 422, expectBody: unprocessable('property key should not exist', 'property primaryDisplayProperty should not exist'),
  },
  { name: 'labels.singular empty', method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ labels: { singular: '' } }), status: 422, expectBody: unprocessable('labels.singular should not be empty') },
  { name: 'labels a string', method: 'PUT', path: '/objects/custom_objects.pet', body: updateBody({ labels: 'Pet' }), status: 422, expectBody: unprocessable('labels must be an object') },
  { name: 'body locationId missing', method: 'PUT', path: '/objects/custom_objects.pet', body: { searchableProperties: ['custom_objects.pet.name'] }, status: 422, expectBody: missingLocation },
  { name: 'unknown object', method: 'PUT', path: '/objects/custom_objects.nope', body: updateBody(), status: 404, expectBody: E.objectNotFound('custom_objects.nope') },
  { name: 'a key only another location has', method: 'PUT', path: '/objects/custom_objects.vet', body: updateBody(), status: 404, expectBody: E.objectNotFound('custom_objects.vet') },
  { name: "another location's object by id", method: 'PUT', path: `/objects/${OBJ_PET_B}`, body: updateBody(), status: 404, expectBody: E.objectNotFound(OBJ_PET_B) },
  {
    name: 'labels of business, a standard object', method: 'PUT', path: '/objects/business',
    body: updateBody({ labels: { singular: 'Firm' }, searchableProperties: ['business.name'] }), status: 400,
    expectBody: badRequest('The labels and description of business, a standard object, cannot be changed'),
  },
]);

table('DELETE /objects/{id} refused', [
  { name: 'read-only OAuth token', method: 'DELETE', path: `/objects/${OBJ_PET_A}${q}`, headers: () => auth(oauthA), status: 401, expectBody: E.scopeMissing },
  { name: 'objects/schema.readonly only', method: 'DELETE', path: `/objects/${OBJ_PET_A}${q}`, headers: auth(PIT_A_SCHEMA_READ), status: 401, expectBody: E.scopeMissing },
  { name: 'by key, not id', method: 'DELETE', path: `/objects/custom_objects.pet${q}`, status: 400, expectBody: badIdParam },
  { name: 'an id of the wrong form', method: 'DELETE', path: `/objects/6798A1A18FC746E0EBA2CCFE${q}`, status: 400, expectBody: badIdParam },
  { name: 'locationId missing', method: 'DELETE', path: `/objects/${OBJ_PET_A}`, status: 422, expectBody: missingLocation },
  { name: 'locationId of another location', method: 'DELETE', path: `/objects/${OBJ_PET_A}?locationId=${LOC_B}`, status: 403, expectBody: E.locationForbidden },
  { name: 'unknown id', method: 'DELETE', path: `/objects/${NO_SUCH_OBJECT}${q}`, status: 404, expectBody: E.objectNotFound(NO_SUCH_OBJECT) },
  { name: "another location's object", method: 'DELETE', path: `/objects/${OBJ_PET_B}${q}`, status: 404, expectBody: E.objectNotFound(OBJ_PET_B) },
  { name: "B's token, A's object", method: 'DELETE', path: `/objects/${OBJ_PET_A}?locationId=${LOC_B}`, headers: auth(PIT_B), status: 404, expectBody: E.objectNotFound(OBJ_PET_A) },
  { name: 'business', method: 'DELETE', path: () => `/objects/${stdId('business')}${q}`, status: 400, expectBody: badRequest('business is a standard object and cannot be deleted') },
  { name: 'contact', method: 'DELETE', path: () => `/objects/${stdId('contact')}${q}`, status: 400, expectBody: badRequest('contact is a standard object and cannot be deleted') },
  { name: 'opportunity', method: 'DELETE', path: () => `/objects/${stdId('opportunity')}${q}`, status: 400, expectBody: badRequest('opportunity is a standard object and cannot be deleted') },
]);

test('POST /objects with several problems names every one of them (one message per problem)', async () => {
  const before = snapshot();
  const answer = await send({ method: 'POST', path: '/objects/', body: createBody({ key: 'Vet Visit', labels: { singular: '', plural: 'Vets' } }) });
  assert.equal(answer.status, 422, answer.text);
  const message = (answer.body as { message: string[] }).message;
  assert.deepEqual(
    [...message].sort(),
    ['key must be lowercase letters, digits and underscores, optionally prefixed with custom_objects.', 'labels.singular should not be empty'].sort(),
    'both the bad key and the empty label are reported',
  );
  assert.equal(snapshot(), before);
});

// ---------------------------------------------------------------------------------------------
// Writes, with the stored state re-read
// ---------------------------------------------------------------------------------------------

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

test('POST /objects creates a custom object: prefix added, primary display property its first field in "General Info"', async () => {
  const startedAt = new Date().toISOString();
  const answer = await runScenario({ name: 'create vet', method: 'POST', path: '/objects/', body: createBody(), status: 201, dto: 'CustomObjectResponseDTO' });
  const object = (answer.body as { object: Record<string, unknown> }).object;
  assert.match(String(object.id), /^[0-9a-f]{24}$/);
  assert.match(String(object.dateAdded), ISO);
  assert.ok(String(object.dateAdded) >= startedAt.slice(0, 19));
  const id = String(object.id);
  const expected = {
    id, standard: false, key: 'custom_objects.vet', labels: { singular: 'Vet', plural: 'Vets' }, description: 'Visiting vets', locationId: LOC_A,
    primaryDisplayProperty: 'custom_objects.vet.vet_name', dateAdded: object.dateAdded, dateUpdated: object.dateAdded, type: 'USER_DEFINED',
    searchableProperties: ['custom_objects.vet.vet_name'],
  };
  assert.deepEqual(answer.body, { object: expected });

  // Re-read through the API, by key and by id, with its fields.
  const byKey = await runScenario({ name: 'get vet', method: 'GET', path: `/objects/custom_objects.vet${q}&fetchProperties=true`, status: 200, dto: 'CustomObjectByIdResponseDTO' });
  const { fields } = byKey.body as { fields: Array<Record<string, unknown>> };
  assert.equal(fields.length, 1);
  const folderId = String(fields[0]!.parentId);
  assert.match(String(fields[0]!.id), /^[A-Za-z0-9]{20}$/);
  assert.deepEqual(comparable(byKey.body), {
    object: expected, cache: false,
    fields: [{
      id: fields[0]!.id, name: 'Vet name', showInForms: true, objectKey: 'custom_objects.vet', dataType: 'TEXT', parentId: folderId,
      fieldKey: 'custom_objects.vet.vet_name', locationId: LOC_A, standard: false, dateAdded: object.dateAdded, dateUpdated: object.dateAdded,
    }],
  });
  assert.deepEqual((await send({ method: 'GET', path: `/objects/${id}${q}` })).body, { object: expected, cache: false });
  const folders = await send({ method: 'GET', path: `/custom-fields/object-key/custom_objects.vet${q}` });
  assert.equal(folders.status, 200);
  assert.deepEqual((folders.body as { folders: Array<Record<string, unknown>> }).folders.map((f) => [f.id, f.name, f.objectKey]), [[folderId, 'General Info', 'custom_objects.vet']]);
  const list = (await send({ method: 'GET', path: `/objects/${q}` })).body as { objects: Array<{ key: string }> };
  assert.deepEqual(list.objects.map((o) => o.key), ['contact', 'opportunity', 'business', 'custom_objects.pet', 'custom_objects.vet']);

  // Stored: the object, its one folder, its one field.
  const rows = await server.app.services.store.listObjects(LOC_A);
  const row = rows.objects.find((o) => o.id === id);
  assert.ok(row);
  assert.equal(row.key, 'custom_objects.vet');
  assert.equal(row.standard, false);
  assert.deepEqual(rows.folders.filter((f) => f.objectId === id).map((f) => [f.id, f.name]), [[folderId, 'General Info']]);
  assert.deepEqual(rows.fields.filter((f) => f.objectId === id).map((f) => [f.fieldKey, f.dataType, f.parentId]), [['custom_objects.vet.vet_name', 'TEXT', folderId]]);

  // B's vet, same key in another location, is untouched; B still sees only its own.
  const b = await send({ method: 'GET', path: `/objects/custom_objects.vet?locationId=${LOC_B}`, headers: auth(PIT_B) });
  assert.equal((b.body as { object: { id: string } }).object.id, OBJ_VET_B);
});

test('POST /objects: a prefixed key and a prefixed NUMERICAL primary display property', async () => {
  const answer = await runScenario({
    name: 'create clinic_room', method: 'POST', path: '/objects/', status: 201, dto: 'CustomObjectResponseDTO',
    body: {
      labels: { singular: 'Room', plural: 'Rooms' }, key: 'custom_objects.clinic_room_2', locationId: LOC_A,
      primaryDisplayPropertyDetails: { key: 'custom_objects.clinic_room_2.room_no', name: 'Room number', dataType: 'NUMERICAL' },
    },
  });
  const object = (answer.body as { object: Record<string, unknown> }).object;
  assert.equal(object.key, 'custom_objects.clinic_room_2');
  assert.equal(object.primaryDisplayProperty, 'custom_objects.clinic_room_2.room_no');
  assert.equal('description' in object, false, 'no description: absent, not null');
  const read = await send({ method: 'GET', path: `/custom-fields/object-key/custom_objects.clinic_room_2${q}` });
  assert.deepEqual((read.body as { fields: Array<Record<string, unknown>> }).fields.map((f) => [f.fieldKey, f.dataType, f.name]), [['custom_objects.clinic_room_2.room_no', 'NUMERICAL', 'Room number']]);
});

test('PUT /objects/{key} changes labels, description and searchable properties, visible to the very next read', async () => {
  const searchable = ['custom_objects.pet.species', 'custom_objects.pet.name', 'custom_objects.pet.weight_kg'];
  const answer = await runScenario({
    name: 'update pet', method: 'PUT', path: '/objects/custom_objects.pet', status: 200, dto: 'CustomObjectResponseDTO',
    body: { locationId: LOC_A, labels: { singular: 'Patient', plural: 'Patients' }, description: 'Animals we treat', searchableProperties: searchable },
  });
  const object = (answer.body as { object: Record<string, unknown> }).object;
  assert.match(String(object.dateUpdated), ISO);
  assert.ok(String(object.dateUpdated) > LATER, 'dateUpdated moves');
  const expected = { ...PET_A_OBJECT, labels: { singular: 'Patient', plural: 'Patients' }, description: 'Animals we treat', searchableProperties: searchable, dateUpdated: object.dateUpdated };
  assert.deepEqual(answer.body, { object: expected });
  assert.deepEqual((await send({ method: 'GET', path: `/objects/custom_objects.pet${q}` })).body, { object: expected, cache: false });
  const row = (await server.app.services.store.listObjects(LOC_A)).objects.find((o) => o.id === OBJ_PET_A)!;
  assert.deepEqual([row.labels, row.description, row.searchableProperties, row.key, row.primaryDisplayProperty], [
    { singular: 'Patient', plural: 'Patients' }, 'Animals we treat', searchable, 'custom_objects.pet', 'custom_objects.pet.name',
  ]);

  // One label alone keeps the other; by id as well as by key.
  const second = await runScenario({
    name: 'plural only', method: 'PUT', path: `/objects/${OBJ_PET_A}`, status: 200, dto: 'CustomObjectResponseDTO',
    body: { locationId: LOC_A, labels: { plural: 'Animals' }, searchableProperties: ['custom_objects.pet.name'] },
  });
  const o2 = (second.body as { object: Record<string, unknown> }).object;
  assert.deepEqual([o2.labels, o2.description, o2.searchableProperties], [{ singular: 'Patient', plural: 'Animals' }, 'Animals we treat', ['custom_objects.pet.name']]);

  // B's object of the same key did not change.
  const b = (await send({ method: 'GET', path: `/objects/custom_objects.pet?locationId=${LOC_B}`, headers: auth(PIT_B) })).body as { object: Record<string, unknown> };
  assert.deepEqual([b.object.labels, b.object.searchableProperties], [{ singular: 'Animal', plural: 'Animals' }, ['custom_objects.pet.name']]);

  // Put the fixture's state back for what follows.
  await runScenario({
    name: 'restore', method: 'PUT', path: '/objects/custom_objects.pet', status: 200,
    body: { locationId: LOC_A, labels: { singular: 'Pet', plural: 'Pets' }, description: 'Patients of the clinic', searchableProperties: PET_A_OBJECT.searchableProperties },
  });
});

test("PUT /objects/business changes a standard object's searchable properties", async () => {
  const answer = await runScenario({
    name: 'business searchable', method: 'PUT', path: '/objects/business', status: 200, dto: 'CustomObjectResponseDTO',
    body: { locationId: LOC_A, searchableProperties: ['business.name', 'business.supplier_tier', 'business.city'] },
  });
  const object = (answer.body as { object: Record<string, unknown> }).object;
  assert.deepEqual([object.key, object.standard, object.type, object.searchableProperties], ['business', true, 'SYSTEM_DEFINED', ['business.name', 'business.supplier_tier', 'business.city']]);
  const row = (await server.app.services.store.listObjects(LOC_A)).objects.find((o) => o.key === 'business')!;
  assert.deepEqual(row.searchableProperties, ['business.name', 'business.supplier_tier', 'business.city']);
  assert.deepEqual(row.labels, standardA.get('business')!.labels);
});

test('DELETE /objects/{id} removes the object, its fields, folders and records in one go; the next Get Record By Id is a 404', async () => {
  // Prime the schema cache of the record path, then delete.
  const primed = await send({ method: 'GET', path: `/objects/custom_objects.pet/records/${REC_REX}` });
  assert.equal(primed.status, 200, primed.text);
  assert.equal(recordCount(OBJ_PET_A), 2);

  const answer = await runScenario({
    name: 'delete pet', method: 'DELETE', path: `/objects/${OBJ_PET_A}${q}`, status: 200,
    expectBody: { id: OBJ_PET_A, success: true, meta: { deletedFields: PET_FIELDS.map((f) => f.fieldKey), deletedAssociationIds: [] } },
  });
  assert.equal(answer.status, 200);

  // The very next requests.
  for (const [path, body] of [
    [`/objects/custom_objects.pet/records/${REC_REX}`, E.objectNotFound('custom_objects.pet')],
    [`/objects/${OBJ_PET_A}/records/${REC_MISTY}`, E.objectNotFound(OBJ_PET_A)],
    [`/objects/custom_objects.pet${q}`, E.objectNotFound('custom_objects.pet')],
    [`/objects/${OBJ_PET_A}${q}`, E.objectNotFound(OBJ_PET_A)],
    [`/custom-fields/object-key/custom_objects.pet${q}`, E.objectNotFound('custom_objects.pet')],
    [`/custom-fields/${sid('PetName')}`, { statusCode: 404, message: 'Custom field not found', error: 'Not Found' }],
  ] as const) {
    const r = await send({ method: 'GET', path });
    assert.equal(r.status, 404, path);
    assert.equal(r.text, JSON.stringify(body), path);
  }
  const folder = await send({ method: 'PUT', path: `/custom-fields/folder/${FOLDER_PET_A}`, body: { name: 'x', locationId: LOC_A } });
  assert.equal(folder.text, JSON.stringify({ statusCode: 404, message: 'Folder not found', error: 'Not Found' }));
  const list = (await send({ method: 'GET', path: `/objects/${q}` })).body as { objects: Array<{ key: string }> };
  assert.ok(!list.objects.some((o) => o.key === 'custom_objects.pet'));

  // Stored: nothing of it is left; other objects and locations keep theirs.
  const rows = await server.app.services.store.listObjects(LOC_A);
  assert.ok(!rows.objects.some((o) => o.id === OBJ_PET_A));
  assert.deepEqual(rows.fields.filter((f) => f.objectId === OBJ_PET_A), []);
  assert.deepEqual(rows.folders.filter((f) => f.objectId === OBJ_PET_A), []);
  assert.equal(await server.app.services.store.getRecord(OBJ_PET_A, REC_REX), undefined);
  assert.equal(recordCount(OBJ_PET_A), 0);
  assert.equal((await send({ method: 'GET', path: `/objects/business/records/${BIZ_A}` })).status, 200);
  const bRecord = await send({ method: 'GET', path: `/objects/custom_objects.pet/records/${REC_PET_B}`, headers: auth(PIT_B) });
  assert.equal(bRecord.status, 200, "B's pet record of the same key is untouched");
  assert.equal(recordCount(OBJ_PET_B), 1);

  // A second delete finds nothing.
  await runScenario({ name: 'delete again', method: 'DELETE', path: `/objects/${OBJ_PET_A}${q}`, status: 404, expectBody: E.objectNotFound(OBJ_PET_A) });

  // The key is free again, and the new object starts empty.
  const again = await runScenario({
    name: 'recreate pet', method: 'POST', path: '/objects/', status: 201, dto: 'CustomObjectResponseDTO',
    body: createBody({ key: 'pet', labels: { singular: 'Pet', plural: 'Pets' }, primaryDisplayPropertyDetails: { key: 'name', name: 'Name', dataType: 'TEXT' } }),
  });
  const newId = (again.body as { object: { id: string } }).object.id;
  assert.notEqual(newId, OBJ_PET_A);
  const old = await send({ method: 'GET', path: `/objects/custom_objects.pet/records/${REC_REX}` });
  assert.equal(old.text, JSON.stringify(E.recordNotFound), 'the old records did not come back');
  assert.equal(recordCount(newId), 0);
});

test('DELETE /objects/{id} answers every field key it deleted', async () => {
  const created = await send({
    method: 'POST', path: '/objects/',
    body: createBody({ key: 'lab_test', labels: { singular: 'Test', plural: 'Tests' }, primaryDisplayPropertyDetails: { key: 'code', name: 'Code', dataType: 'TEXT' } }),
  });
  assert.equal(created.status, 201, created.text);
  const id = (created.body as { object: { id: string } }).object.id;
  const folderId = (await server.app.services.store.listObjects(LOC_A)).folders.find((f) => f.objectId === id)!.id;
  const field = await send({
    method: 'POST', path: '/custom-fields/',
    body: { locationId: LOC_A, name: 'Result', showInForms: true, dataType: 'LARGE_TEXT', fieldKey: 'custom_objects.lab_test.result', objectKey: 'custom_objects.lab_test', parentId: folderId },
  });
  assert.equal(field.status, 201, field.text);
  const extraFolder = await send({ method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'custom_objects.lab_test', name: 'Extra', locationId: LOC_A } });
  assert.equal(extraFolder.status, 201, extraFolder.text);
  await runScenario({
    name: 'delete lab_test', method: 'DELETE', path: `/objects/${id}${q}`, status: 200,
    expectBody: { id, success: true, meta: { deletedFields: ['custom_objects.lab_test.code', 'custom_objects.lab_test.result'], deletedAssociationIds: [] } },
  });
  const rows = await server.app.services.store.listObjects(LOC_A);
  assert.equal(rows.folders.some((f) => f.objectId === id), false, 'both folders are gone');
  assert.equal(rows.fields.some((f) => f.objectId === id), false);
});

test('a location has at most 10 custom objects; a refused create stores nothing; a delete frees a place', async () => {
  const headers = auth(PIT_C);
  const body = (key: string) => ({ labels: { singular: key, plural: `${key}s` }, key, locationId: LOC_C, primaryDisplayPropertyDetails: { key: 'title', name: 'Title', dataType: 'TEXT' } });
  const tenth = await runScenario({ name: 'the 10th', method: 'POST', path: '/objects/', headers, body: body('tenth'), status: 201, dto: 'CustomObjectResponseDTO' });
  const tenthId = (tenth.body as { object: { id: string } }).object.id;
  await runScenario({
    name: 'the 11th', method: 'POST', path: '/objects/', headers, body: body('eleventh'), status: 400,
    expectBody: badRequest('A location can have at most 10 custom objects; delete one to create another'),
  });
  const list = (await send({ method: 'GET', path: `/objects/?locationId=${LOC_C}`, headers })).body as { objects: Array<{ standard: boolean; key: string }> };
  assert.equal(list.objects.filter((o) => !o.standard).length, 10);
  assert.ok(!list.objects.some((o) => o.key === 'custom_objects.eleventh'));
  assert.equal((await server.app.services.store.listObjects(LOC_C)).objects.filter((o) => !o.standard).length, 10);

  // Other locations are not capped by C's count.
  const a = (await send({ method: 'GET', path: `/objects/${q}` })).body as { objects: Array<{ standard: boolean }> };
  assert.ok(a.objects.filter((o) => !o.standard).length < 10);

  await runScenario({ name: 'delete the 10th', method: 'DELETE', path: `/objects/${tenthId}?locationId=${LOC_C}`, headers, status: 200 });
  await runScenario({ name: 'now the 11th fits', method: 'POST', path: '/objects/', headers, body: body('eleventh'), status: 201, dto: 'CustomObjectResponseDTO' });
});
