import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FolderRow } from '../../../src/store/store.js';
import { contractErrors as E } from '../../helpers/contract-errors.js';
import { dtoValidator } from '../../helpers/spec-dto.js';
import { auth, call, startTestServer, type Answer, type TestServer } from '../../helpers/test-server.js';
import { comparable, resolve } from '../../helpers/scenario.js';

/**
 * Custom fields of custom objects and business, and their folders (`/custom-fields/`), over real
 * HTTP and a real SQLite file, against the issue "Object schemas and custom fields" and
 * CONTRACT.md. Scenario tables first (each refused write must leave the database as it was), then
 * write flows re-read through the API and the store, including Get Record By Id right after a
 * field is deleted. Two locations, A and B, with an object of the same key.
 */

// ---------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------

const LOC_A = 'AlphaClinicLocation1';
const LOC_B = 'BravoClinicLocation2';
const USER_A = 'sx6wyHhbFdRXh302Lunr';

const PIT_A = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
/** objects/schema.* and records, but no locations/customFields.* */
const PIT_A_SCHEMA = 'pit-1b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d12';
/** locations/customFields.readonly only. */
const PIT_A_FIELDS_READ = 'pit-2b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d13';
const PIT_B = 'pit-5b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d21';

const OBJ_PET_A = '6798a1a18fc746e0eba2ccfe';
const OBJ_PET_B = '6798a1a18fc746e0eba2cc01';
const OBJ_VET_B = '6798a1a18fc746e0eba2cc02';
const FOLDER_GENERAL = '66aa000000000000000000a1';
const FOLDER_IMAGING = '66aa000000000000000000a2';
const FOLDER_EMPTY = '66aa000000000000000000a3';
const FOLDER_PET_B = '66aa000000000000000000b1';
const FOLDER_VET_B = '66aa000000000000000000b2';
const NO_SUCH_FOLDER = '66aa00000000000000000fff';

const REC_REX = '661c06b4ffde146bdb469442';
const REC_MISTY = '661c06b4ffde146bdb469443';
const BIZ_A = '66a0f1c2d3e4f5a6b7c8d9e0';
const REC_PET_B = '661c06b4ffde146bdb4694b1';

const AT = '2024-05-01T08:00:00.000Z';

/** A 20-character field id made from a tag. */
const sid = (tag: string) => (tag + '0'.repeat(20)).slice(0, 20);
const F = {
  name: sid('PetName'), weight: sid('PetWeight'), email: sid('PetEmail'), species: sid('PetSpecies'), vaccines: sid('PetVaccines'),
  size: sid('PetSize'), diet: sid('PetDiet'), xrays: sid('PetXrays'), notes: sid('PetNotes'), tier: sid('BizTier'),
  bName: sid('BPetName'), bChip: sid('BPetChip'), bVet: sid('BVetName'),
};
const NO_SUCH_FIELD = sid('NoSuchField');

const PET_FIELDS = [
  { id: F.name, fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
  { id: F.weight, fieldKey: 'custom_objects.pet.weight_kg', name: 'Weight (kg)', dataType: 'NUMERICAL', description: 'In kilograms', placeholder: '12.5' },
  { id: F.email, fieldKey: 'custom_objects.pet.owner_email', name: 'Owner email', dataType: 'EMAIL' },
  { id: F.species, fieldKey: 'custom_objects.pet.species', name: 'Species', dataType: 'SINGLE_OPTIONS', options: [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }] },
  { id: F.vaccines, fieldKey: 'custom_objects.pet.vaccines', name: 'Vaccines', dataType: 'CHECKBOX', options: [{ key: 'rabies', label: 'Rabies' }, { key: 'parvo', label: 'Parvovirus' }] },
  {
    id: F.size, fieldKey: 'custom_objects.pet.size', name: 'Size', dataType: 'RADIO', allowCustomOption: true,
    options: [{ key: 'small', label: 'Small', url: 'https://example.com/small.png' }, { key: 'large', label: 'Large' }],
  },
  { id: F.diet, fieldKey: 'custom_objects.pet.diet', name: 'Diet', dataType: 'TEXTBOX_LIST', options: [{ key: 'morning', label: 'Morning' }, { key: 'evening', label: 'Evening' }] },
  { id: F.xrays, fieldKey: 'custom_objects.pet.xrays', name: 'X-rays', dataType: 'FILE_UPLOAD', acceptedFormats: '.png', maxFileLimit: 3, parentId: FOLDER_IMAGING },
  { id: F.notes, fieldKey: 'custom_objects.pet.notes', name: 'Notes', dataType: 'LARGE_TEXT', showInForms: false },
];

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
        { type: 'private-integration', token: PIT_A_SCHEMA, scopes: ['objects/record.readonly', 'objects/schema.readonly', 'objects/schema.write'] },
        { type: 'private-integration', token: PIT_A_FIELDS_READ, scopes: ['locations/customFields.readonly'] },
      ],
      objects: [
        {
          key: 'custom_objects.pet',
          id: OBJ_PET_A,
          labels: { singular: 'Pet', plural: 'Pets' },
          primaryDisplayProperty: 'custom_objects.pet.name',
          searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.owner_email', 'custom_objects.pet.weight_kg'],
          folders: [{ id: FOLDER_GENERAL, name: 'General Info' }, { id: FOLDER_IMAGING, name: 'Imaging' }, { id: FOLDER_EMPTY, name: 'Spare' }],
          fields: PET_FIELDS.map((f) => ({ ...f, dateAdded: AT })),
          dateAdded: AT,
        },
        {
          key: 'business',
          fields: [{ id: F.tier, fieldKey: 'business.supplier_tier', name: 'Supplier tier', dataType: 'SINGLE_OPTIONS', options: [{ key: 'gold', label: 'Gold' }], dateAdded: AT }],
        },
      ],
      records: [
        {
          objectKey: 'custom_objects.pet', id: REC_REX, owner: [USER_A],
          properties: {
            name: 'Rex', weight_kg: 31.5, owner_email: 'rex@example.com', species: 'dog', vaccines: ['rabies'], size: 'small',
            'diet.morning': 'Dry food', 'diet.evening': 'Wet food', xrays: [{ url: 'https://example.com/rex.png' }], notes: 'Calm',
          },
          dateAdded: AT,
        },
        { objectKey: 'custom_objects.pet', id: REC_MISTY, properties: { name: 'Misty', weight_kg: 4.2, 'diet.evening': 'Tuna' }, dateAdded: AT },
        { objectKey: 'business', id: BIZ_A, properties: { name: 'Happy Paws', supplier_tier: 'gold' }, dateAdded: AT },
      ],
    },
    {
      id: LOC_B,
      name: 'Bravo Clinic',
      tokens: [
        { type: 'private-integration', token: PIT_B, scopes: ['objects/record.readonly', 'objects/schema.readonly', 'locations/customFields.readonly', 'locations/customFields.write'] },
      ],
      objects: [
        {
          key: 'custom_objects.pet', id: OBJ_PET_B, labels: { singular: 'Animal', plural: 'Animals' },
          folders: [{ id: FOLDER_PET_B, name: 'General Info' }],
          fields: [
            { id: F.bName, fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
            { id: F.bChip, fieldKey: 'custom_objects.pet.chip_id', name: 'Chip', dataType: 'TEXT' },
          ],
          dateAdded: AT,
        },
        {
          key: 'custom_objects.vet', id: OBJ_VET_B, labels: { singular: 'Vet', plural: 'Vets' },
          folders: [{ id: FOLDER_VET_B, name: 'General Info' }],
          fields: [{ id: F.bVet, fieldKey: 'custom_objects.vet.full_name', name: 'Full name', dataType: 'TEXT' }],
          dateAdded: AT,
        },
      ],
      records: [{ objectKey: 'custom_objects.pet', id: REC_PET_B, properties: { name: 'Bravo Rex', chip_id: 'X1' }, dateAdded: AT }],
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// Expected bodies
// ---------------------------------------------------------------------------------------------

type FieldDoc = (typeof PET_FIELDS)[number] & { parentId?: string; showInForms?: boolean; allowCustomOption?: boolean };

/** A fixture field as `ICustomField`, with the defaults the server gives what the fixture leaves out. */
function fieldBody(f: FieldDoc, objectKey = 'custom_objects.pet', folder = FOLDER_GENERAL): Record<string, unknown> {
  const { parentId, ...rest } = f;
  return {
    showInForms: true,
    ...rest,
    ...(f.dataType === 'RADIO' ? { allowCustomOption: f.allowCustomOption ?? false } : {}),
    objectKey,
    parentId: parentId ?? folder,
    locationId: LOC_A,
    standard: false,
    dateAdded: AT,
    dateUpdated: AT,
  };
}
const petField = (id: string) => fieldBody(PET_FIELDS.find((f) => f.id === id)! as FieldDoc);

const reason: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 422: 'Unprocessable Entity' };
const err = (statusCode: number, message: string | string[]) => ({ statusCode, message, error: reason[statusCode] });
const unprocessable = (...message: string[]) => err(422, message);
const badRequest = (message: string) => err(400, message);
const missingLocation = unprocessable('locationId must be a string', 'locationId should not be empty');
const badShortId = err(400, ['id must be a 20 character id']);
const badObjectId = err(400, ['id must be a mongodb id']);
const fieldNotFound = err(404, 'Custom field not found');
const folderNotFound = err(404, 'Folder not found');
const unsupported = badRequest('Api does not support objectKey of type contact or opportunity');

// ---------------------------------------------------------------------------------------------
// The server, the stored state, the scenario runner
// ---------------------------------------------------------------------------------------------

let server: TestServer;
let db: Database.Database;
let oauthA: string;
/** Location A's business folder and a standard business field (made at load time). */
let bizFolder: FolderRow;
let bizNameFieldId: string;
/** Load-time dates of the fixture's folders. */
let folderRows: Map<string, FolderRow>;

before(async () => {
  server = await startTestServer(FIXTURE);
  assert.equal(server.tokens[1]?.type, 'oauth');
  oauthA = server.tokens[1]!.token;
  const rows = await server.app.services.store.listObjects(LOC_A);
  const biz = rows.objects.find((o) => o.key === 'business')!;
  bizFolder = rows.folders.find((f) => f.objectId === biz.id)!;
  bizNameFieldId = rows.fields.find((f) => f.fieldKey === 'business.name')!.id;
  folderRows = new Map(rows.folders.map((f) => [f.id, f]));
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

function folderBody(id: string, name: string, objectKey = 'custom_objects.pet'): Record<string, unknown> {
  const row = folderRows.get(id)!;
  return { id, objectKey, locationId: LOC_A, name, dateAdded: row.createdAt, dateUpdated: row.updatedAt };
}

interface Scenario {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A function when the path holds an id made at load time. */
  path: string | (() => string);
  /** `auth(PIT_A)` unless given. */
  headers?: Record<string, string> | (() => Record<string, string>);
  body?: unknown | (() => unknown);
  status: number;
  /** Error answers are compared byte for byte with JSON.stringify of this; 2xx answers deeply. */
  expectBody?: unknown | (() => unknown);
  /** The custom-fields.json DTO a 2xx answer must satisfy. */
  dto?: string;
}

async function send(s: Pick<Scenario, 'method' | 'path' | 'headers' | 'body'>): Promise<Answer> {
  return call(server.url + resolve(s.path), { method: s.method, headers: s.headers === undefined ? auth(PIT_A) : resolve(s.headers), body: resolve(s.body) });
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
    if (s.dto) assert.deepEqual(dtoValidator('custom-fields.json', s.dto)(answer.body), [], `the answer is a valid ${s.dto}`);
  }
  return answer;
}

function table(title: string, scenarios: Scenario[]): void {
  for (const s of scenarios) test(`${title}: ${s.name}`, () => runScenario(s).then(() => undefined));
}

const q = `?locationId=${LOC_A}`;
const createBody = (over: Record<string, unknown> = {}) => ({
  locationId: LOC_A,
  name: 'Microchip',
  showInForms: true,
  dataType: 'TEXT',
  fieldKey: 'custom_objects.pet.microchip',
  objectKey: 'custom_objects.pet',
  parentId: FOLDER_GENERAL,
  ...over,
});
const updateBody = (over: Record<string, unknown> = {}) => ({ locationId: LOC_A, showInForms: true, ...over });
const validateRecord = dtoValidator('objects.json', 'RecordByIdResponseDTO');

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

table('GET /custom-fields/{id}', [
  { name: 'a TEXT field', method: 'GET', path: `/custom-fields/${F.name}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto', expectBody: () => ({ field: petField(F.name) }) },
  { name: 'with description and placeholder', method: 'GET', path: `/custom-fields/${F.weight}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto', expectBody: () => ({ field: petField(F.weight) }) },
  { name: 'RADIO: options with url, allowCustomOption', method: 'GET', path: `/custom-fields/${F.size}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto', expectBody: () => ({ field: petField(F.size) }) },
  { name: 'FILE_UPLOAD in its folder', method: 'GET', path: `/custom-fields/${F.xrays}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto', expectBody: () => ({ field: petField(F.xrays) }) },
  { name: 'EMAIL', method: 'GET', path: `/custom-fields/${F.email}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto', expectBody: () => ({ field: petField(F.email) }) },
  {
    name: 'a custom field of business', method: 'GET', path: `/custom-fields/${F.tier}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto',
    expectBody: () => ({
      field: {
        id: F.tier, name: 'Supplier tier', showInForms: true, options: [{ key: 'gold', label: 'Gold' }], objectKey: 'business', dataType: 'SINGLE_OPTIONS',
        parentId: bizFolder.id, fieldKey: 'business.supplier_tier', locationId: LOC_A, standard: false, dateAdded: AT, dateUpdated: AT,
      },
    }),
  },
  { name: 'read-only OAuth token', method: 'GET', path: `/custom-fields/${F.name}`, headers: () => auth(oauthA), status: 200, expectBody: () => ({ field: petField(F.name) }) },
  { name: 'customFields.readonly alone', method: 'GET', path: `/custom-fields/${F.name}`, headers: auth(PIT_A_FIELDS_READ), status: 200, expectBody: () => ({ field: petField(F.name) }) },
  { name: 'no customFields scope', method: 'GET', path: `/custom-fields/${F.name}`, headers: auth(PIT_A_SCHEMA), status: 401, expectBody: E.scopeMissing },
  { name: 'version missing', method: 'GET', path: `/custom-fields/${F.name}`, headers: { Authorization: `Bearer ${PIT_A}` }, status: 401, expectBody: E.versionMissing },
  { name: 'an id too short', method: 'GET', path: '/custom-fields/nope', status: 400, expectBody: badShortId },
  { name: 'an id of 21 characters', method: 'GET', path: `/custom-fields/${F.name}x`, status: 400, expectBody: badShortId },
  { name: 'a folder id (24 hex)', method: 'GET', path: `/custom-fields/${FOLDER_GENERAL}`, status: 400, expectBody: badShortId },
  { name: 'unknown id', method: 'GET', path: `/custom-fields/${NO_SUCH_FIELD}`, status: 404, expectBody: fieldNotFound },
  { name: "another location's field", method: 'GET', path: `/custom-fields/${F.bChip}`, status: 404, expectBody: fieldNotFound },
  { name: "B's token, A's field", method: 'GET', path: `/custom-fields/${F.name}`, headers: auth(PIT_B), status: 404, expectBody: fieldNotFound },
  { name: '?locationId= of another location', method: 'GET', path: `/custom-fields/${F.name}?locationId=${LOC_B}`, status: 403, expectBody: E.locationForbidden },
]);

test('GET /custom-fields/{id} of a standard business field', async () => {
  const answer = await runScenario({ name: 'business.name', method: 'GET', path: () => `/custom-fields/${bizNameFieldId}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto' });
  const field = (answer.body as { field: Record<string, unknown> }).field;
  assert.deepEqual([field.id, field.fieldKey, field.objectKey, field.standard, field.dataType, field.locationId], [bizNameFieldId, 'business.name', 'business', true, 'TEXT', LOC_A]);
});

table('GET /custom-fields/object-key/{objectKey}', [
  {
    name: 'a custom object: its fields and folders', method: 'GET', path: `/custom-fields/object-key/custom_objects.pet${q}`, status: 200, dto: 'CustomFieldsResponseDTO',
    expectBody: () => ({
      fields: PET_FIELDS.map((f) => fieldBody(f as FieldDoc)),
      folders: [folderBody(FOLDER_GENERAL, 'General Info'), folderBody(FOLDER_IMAGING, 'Imaging'), folderBody(FOLDER_EMPTY, 'Spare')],
    }),
  },
  {
    name: 'read-only OAuth token', method: 'GET', path: `/custom-fields/object-key/custom_objects.pet${q}`, headers: () => auth(oauthA), status: 200, dto: 'CustomFieldsResponseDTO',
  },
  {
    name: "B's object of the same key, with B's token", method: 'GET', path: `/custom-fields/object-key/custom_objects.pet?locationId=${LOC_B}`, headers: auth(PIT_B),
    status: 200, dto: 'CustomFieldsResponseDTO',
  },
  { name: 'contact', method: 'GET', path: `/custom-fields/object-key/contact${q}`, status: 400, expectBody: unsupported },
  { name: 'opportunity', method: 'GET', path: `/custom-fields/object-key/opportunity${q}`, status: 400, expectBody: unsupported },
  { name: 'unknown object', method: 'GET', path: `/custom-fields/object-key/custom_objects.nope${q}`, status: 404, expectBody: E.objectNotFound('custom_objects.nope') },
  { name: 'an object only another location has', method: 'GET', path: `/custom-fields/object-key/custom_objects.vet${q}`, status: 404, expectBody: E.objectNotFound('custom_objects.vet') },
  { name: 'locationId missing', method: 'GET', path: '/custom-fields/object-key/custom_objects.pet', status: 422, expectBody: missingLocation },
  { name: 'locationId of another location', method: 'GET', path: `/custom-fields/object-key/custom_objects.pet?locationId=${LOC_B}`, status: 403, expectBody: E.locationForbidden },
  { name: 'no customFields scope', method: 'GET', path: `/custom-fields/object-key/custom_objects.pet${q}`, headers: auth(PIT_A_SCHEMA), status: 401, expectBody: E.scopeMissing },
]);

test('GET /custom-fields/object-key: business lists its custom field and its folder; B sees only its own', async () => {
  const answer = await runScenario({ name: 'business', method: 'GET', path: `/custom-fields/object-key/business${q}`, status: 200, dto: 'CustomFieldsResponseDTO' });
  const { fields, folders } = answer.body as { fields: Array<Record<string, unknown>>; folders: Array<Record<string, unknown>> };
  assert.ok(fields.some((f) => f.id === F.tier && f.fieldKey === 'business.supplier_tier'));
  assert.ok(fields.every((f) => f.objectKey === 'business' && f.locationId === LOC_A));
  assert.deepEqual(folders, [{ id: bizFolder.id, objectKey: 'business', locationId: LOC_A, name: 'General Info', dateAdded: bizFolder.createdAt, dateUpdated: bizFolder.updatedAt }]);

  const b = await send({ method: 'GET', path: `/custom-fields/object-key/custom_objects.pet?locationId=${LOC_B}`, headers: auth(PIT_B) });
  const bBody = b.body as { fields: Array<{ id: string; locationId: string }>; folders: Array<{ id: string }> };
  assert.deepEqual(bBody.fields.map((f) => f.id), [F.bName, F.bChip]);
  assert.ok(bBody.fields.every((f) => f.locationId === LOC_B));
  assert.deepEqual(bBody.folders.map((f) => f.id), [FOLDER_PET_B]);
});

// ---------------------------------------------------------------------------------------------
// Refused writes: each leaves the stored state as it was
// ---------------------------------------------------------------------------------------------

table('POST /custom-fields refused', [
  { name: 'read-only OAuth token', method: 'POST', path: '/custom-fields/', headers: () => auth(oauthA), body: createBody(), status: 401, expectBody: E.scopeMissing },
  { name: 'customFields.readonly only', method: 'POST', path: '/custom-fields/', headers: auth(PIT_A_FIELDS_READ), body: createBody(), status: 401, expectBody: E.scopeMissing },
  { name: 'no customFields scope', method: 'POST', path: '/custom-fields/', headers: auth(PIT_A_SCHEMA), body: createBody(), status: 401, expectBody: E.scopeMissing },
  { name: 'body locationId of another location', method: 'POST', path: '/custom-fields/', body: createBody({ locationId: LOC_B }), status: 403, expectBody: E.locationForbidden },
  {
    name: 'body locationId of another location, in an invalid body (checked first)', method: 'POST', path: '/custom-fields/',
    body: { locationId: LOC_B, dataType: 'NOPE', extra: true }, status: 403, expectBody: E.locationForbidden,
  },
  {
    name: 'empty body', method: 'POST', path: '/custom-fields/', body: {}, status: 422,
    expectBody: unprocessable(
      'locationId must be a string', 'locationId should not be empty', 'name must be a string', 'name should not be empty',
      'showInForms must be a boolean', 'showInForms should not be empty', 'dataType must be a string', 'dataType should not be empty',
      'fieldKey must be a string', 'fieldKey should not be empty', 'objectKey must be a string', 'objectKey should not be empty',
      'parentId must be a string', 'parentId should not be empty',
    ),
  },
  {
    name: 'several problems of form', method: 'POST', path: '/custom-fields/',
    body: createBody({ name: '', showInForms: 'yes', dataType: 'COLOR', parentId: 'nope', extra: 1 }), status: 422,
    expectBody: unprocessable(
      'property extra should not exist', 'name should not be empty', 'showInForms must be a boolean',
      'dataType must be one of the following values: TEXT, LARGE_TEXT, NUMERICAL, PHONE, MONETORY, CHECKBOX, SINGLE_OPTIONS, MULTIPLE_OPTIONS, RADIO, DATE, TEXTBOX_LIST, FILE_UPLOAD, EMAIL',
      'parentId must be a mongodb id',
    ),
  },
  {
    name: 'FILE_UPLOAD with isMultiFileAllowed', method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType: 'FILE_UPLOAD', isMultiFileAllowed: true }), status: 422, expectBody: unprocessable('property isMultiFileAllowed should not exist'),
  },
  {
    name: 'an option with an unknown property', method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType: 'CHECKBOX', options: [{ key: 'a', label: 'A', color: 'red' }] }), status: 422, expectBody: unprocessable('property options.0.color should not exist'),
  },
  {
    name: 'an option without a label', method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType: 'CHECKBOX', options: [{ key: 'a' }] }), status: 422, expectBody: unprocessable('options.0.label must be a string', 'options.0.label should not be empty'),
  },
  {
    name: 'options on a TEXT field', method: 'POST', path: '/custom-fields/',
    body: createBody({ options: [{ key: 'a', label: 'A' }] }), status: 422, expectBody: unprocessable('options cannot be set on a TEXT field'),
  },
  ...(['CHECKBOX', 'SINGLE_OPTIONS', 'MULTIPLE_OPTIONS', 'RADIO', 'TEXTBOX_LIST'] as const).map((dataType): Scenario => ({
    name: `${dataType} without options`, method: 'POST', path: '/custom-fields/', body: createBody({ dataType }), status: 422,
    expectBody: unprocessable(`options must list at least one option for a ${dataType} field`),
  })),
  {
    name: 'CHECKBOX with an empty options list', method: 'POST', path: '/custom-fields/', body: createBody({ dataType: 'CHECKBOX', options: [] }), status: 422,
    expectBody: unprocessable('options must list at least one option for a CHECKBOX field'),
  },
  ...(['CHECKBOX', 'SINGLE_OPTIONS', 'MULTIPLE_OPTIONS', 'TEXTBOX_LIST'] as const).map((dataType): Scenario => ({
    name: `an option url on ${dataType}`, method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType, options: [{ key: 'a', label: 'A' }, { key: 'b', label: 'B', url: 'https://example.com/b.png' }] }), status: 422,
    expectBody: unprocessable('options.1.url can only be set on RADIO options'),
  })),
  {
    name: 'an option key listed twice', method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType: 'SINGLE_OPTIONS', options: [{ key: 'a', label: 'A' }, { key: 'a', label: 'B' }] }), status: 422,
    expectBody: unprocessable('options.1.key "a" is listed twice'),
  },
  {
    name: 'an option key with a space', method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType: 'SINGLE_OPTIONS', options: [{ key: 'a b', label: 'A' }] }), status: 422,
    expectBody: unprocessable('options.0.key must match ^[A-Za-z0-9_-]{1,100}$'),
  },
  {
    name: 'acceptedFormats and maxFileLimit on a TEXT field', method: 'POST', path: '/custom-fields/',
    body: createBody({ acceptedFormats: '.pdf', maxFileLimit: 2 }), status: 422,
    expectBody: unprocessable('acceptedFormats can only be set on a FILE_UPLOAD field', 'maxFileLimit can only be set on a FILE_UPLOAD field'),
  },
  {
    name: 'maxFileLimit on a CHECKBOX field', method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType: 'CHECKBOX', options: [{ key: 'a', label: 'A' }], maxFileLimit: 2 }), status: 422,
    expectBody: unprocessable('maxFileLimit can only be set on a FILE_UPLOAD field'),
  },
  {
    name: 'acceptedFormats not in the list', method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType: 'FILE_UPLOAD', acceptedFormats: '.exe' }), status: 422,
    expectBody: unprocessable('acceptedFormats must be one of the following values: .pdf, .docx, .doc, .jpg, .jpeg, .png, .gif, .csv, .xlsx, .xls, all'),
  },
  {
    name: 'maxFileLimit 0', method: 'POST', path: '/custom-fields/', body: createBody({ dataType: 'FILE_UPLOAD', maxFileLimit: 0 }), status: 422,
    expectBody: unprocessable('maxFileLimit must be a whole number from 1 to 20'),
  },
  {
    name: 'allowCustomOption on a CHECKBOX field', method: 'POST', path: '/custom-fields/',
    body: createBody({ dataType: 'CHECKBOX', options: [{ key: 'a', label: 'A' }], allowCustomOption: true }), status: 422,
    expectBody: unprocessable('allowCustomOption can only be set on a RADIO field'),
  },
  {
    name: 'allowCustomOption false on a TEXT field', method: 'POST', path: '/custom-fields/', body: createBody({ allowCustomOption: false }), status: 422,
    expectBody: unprocessable('allowCustomOption can only be set on a RADIO field'),
  },
  {
    name: "fieldKey of another object", method: 'POST', path: '/custom-fields/', body: createBody({ fieldKey: 'custom_objects.vet.microchip' }), status: 422,
    expectBody: unprocessable('fieldKey must be custom_objects.pet.<key>, the key lowercase letters, digits and underscores'),
  },
  {
    name: 'fieldKey without the object prefix', method: 'POST', path: '/custom-fields/', body: createBody({ fieldKey: 'microchip' }), status: 422,
    expectBody: unprocessable('fieldKey must be custom_objects.pet.<key>, the key lowercase letters, digits and underscores'),
  },
  {
    name: 'fieldKey with capitals', method: 'POST', path: '/custom-fields/', body: createBody({ fieldKey: 'custom_objects.pet.MicroChip' }), status: 422,
    expectBody: unprocessable('fieldKey must be custom_objects.pet.<key>, the key lowercase letters, digits and underscores'),
  },
  {
    name: 'business fieldKey without its prefix', method: 'POST', path: '/custom-fields/',
    body: () => createBody({ objectKey: 'business', fieldKey: 'custom_objects.pet.vat', parentId: bizFolder.id }), status: 422,
    expectBody: unprocessable('fieldKey must be business.<key>, the key lowercase letters, digits and underscores'),
  },
  {
    name: "parentId of another object's folder", method: 'POST', path: '/custom-fields/', body: () => createBody({ parentId: bizFolder.id }), status: 422,
    expectBody: () => unprocessable(`parentId ${bizFolder.id} is not a folder of custom_objects.pet`),
  },
  {
    name: "parentId of another location's folder", method: 'POST', path: '/custom-fields/', body: createBody({ parentId: FOLDER_PET_B }), status: 422,
    expectBody: unprocessable(`parentId ${FOLDER_PET_B} is not a folder of custom_objects.pet`),
  },
  { name: 'fieldKey taken', method: 'POST', path: '/custom-fields/', body: createBody({ fieldKey: 'custom_objects.pet.weight_kg' }), status: 400, expectBody: badRequest('A field with key custom_objects.pet.weight_kg already exists') },
  {
    name: 'fieldKey taken, of another type', method: 'POST', path: '/custom-fields/',
    body: createBody({ fieldKey: 'custom_objects.pet.species', dataType: 'DATE' }), status: 400, expectBody: badRequest('A field with key custom_objects.pet.species already exists'),
  },
  {
    name: 'fieldKey of a standard business field', method: 'POST', path: '/custom-fields/',
    body: () => createBody({ objectKey: 'business', fieldKey: 'business.name', parentId: bizFolder.id }), status: 400, expectBody: badRequest('A field with key business.name already exists'),
  },
  {
    name: 'fieldKey of a custom business field', method: 'POST', path: '/custom-fields/',
    body: () => createBody({ objectKey: 'business', fieldKey: 'business.supplier_tier', parentId: bizFolder.id }), status: 400,
    expectBody: badRequest('A field with key business.supplier_tier already exists'),
  },
  { name: 'contact', method: 'POST', path: '/custom-fields/', body: createBody({ objectKey: 'contact', fieldKey: 'contact.microchip' }), status: 400, expectBody: unsupported },
  { name: 'opportunity', method: 'POST', path: '/custom-fields/', body: createBody({ objectKey: 'opportunity', fieldKey: 'opportunity.microchip' }), status: 400, expectBody: unsupported },
  {
    name: 'unknown object', method: 'POST', path: '/custom-fields/', body: createBody({ objectKey: 'custom_objects.nope', fieldKey: 'custom_objects.nope.x' }), status: 404,
    expectBody: E.objectNotFound('custom_objects.nope'),
  },
  {
    name: 'an object only another location has', method: 'POST', path: '/custom-fields/',
    body: createBody({ objectKey: 'custom_objects.vet', fieldKey: 'custom_objects.vet.x', parentId: FOLDER_VET_B }), status: 404, expectBody: E.objectNotFound('custom_objects.vet'),
  },
]);

table('PUT /custom-fields/{id} refused', [
  { name: 'read-only OAuth token', method: 'PUT', path: `/custom-fields/${F.name}`, headers: () => auth(oauthA), body: updateBody({ name: 'X' }), status: 401, expectBody: E.scopeMissing },
  { name: 'no customFields scope', method: 'PUT', path: `/custom-fields/${F.name}`, headers: auth(PIT_A_SCHEMA), body: updateBody({ name: 'X' }), status: 401, expectBody: E.scopeMissing },
  { name: 'body locationId of another location', method: 'PUT', path: `/custom-fields/${F.name}`, body: updateBody({ locationId: LOC_B }), status: 403, expectBody: E.locationForbidden },
  { name: 'body locationId of another location, bad id (checked first)', method: 'PUT', path: '/custom-fields/nope', body: updateBody({ locationId: LOC_B, fieldKey: 'x' }), status: 403, expectBody: E.locationForbidden },
  { name: 'bad id', method: 'PUT', path: '/custom-fields/nope', body: updateBody(), status: 400, expectBody: badShortId },
  { name: 'unknown id', method: 'PUT', path: `/custom-fields/${NO_SUCH_FIELD}`, body: updateBody(), status: 404, expectBody: fieldNotFound },
  { name: "another location's field", method: 'PUT', path: `/custom-fields/${F.bChip}`, body: updateBody({ name: 'Stolen' }), status: 404, expectBody: fieldNotFound },
  { name: "B's token, A's field", method: 'PUT', path: `/custom-fields/${F.name}`, headers: auth(PIT_B), body: { locationId: LOC_B, showInForms: true, name: 'Stolen' }, status: 404, expectBody: fieldNotFound },
  { name: 'fieldKey sent', method: 'PUT', path: `/custom-fields/${F.weight}`, body: updateBody({ fieldKey: 'custom_objects.pet.weight' }), status: 422, expectBody: unprocessable('property fieldKey should not exist') },
  {
    name: 'dataType, objectKey, parentId and allowCustomOption sent', method: 'PUT', path: `/custom-fields/${F.size}`,
    body: updateBody({ dataType: 'TEXT', objectKey: 'business', parentId: FOLDER_IMAGING, allowCustomOption: false }), status: 422,
    expectBody: unprocessable('property dataType should not exist', 'property objectKey should not exist', 'property parentId should not exist', 'property allowCustomOption should not exist'),
  },
  { name: 'showInForms missing', method: 'PUT', path: `/custom-fields/${F.name}`, body: { locationId: LOC_A, name: 'X' }, status: 422, expectBody: unprocessable('showInForms must be a boolean', 'showInForms should not be empty') },
  { name: 'locationId missing', method: 'PUT', path: `/custom-fields/${F.name}`, body: { showInForms: true }, status: 422, expectBody: missingLocation },
  { name: 'name empty', method: 'PUT', path: `/custom-fields/${F.name}`, body: updateBody({ name: '' }), status: 422, expectBody: unprocessable('name should not be empty') },
  {
    name: 'an existing option left out', method: 'PUT', path: `/custom-fields/${F.vaccines}`,
    body: updateBody({ options: [{ key: 'rabies', label: 'Rabies' }, { key: 'lepto', label: 'Leptospirosis' }] }), status: 422,
    expectBody: unprocessable('options must keep every existing option; missing: parvo'),
  },
  {
    name: 'every existing option left out', method: 'PUT', path: `/custom-fields/${F.species}`, body: updateBody({ options: [{ key: 'bird', label: 'Bird' }] }), status: 422,
    expectBody: unprocessable('options must keep every existing option; missing: dog, cat'),
  },
  {
    name: 'an option key listed twice: one problem, one message', method: 'PUT', path: `/custom-fields/${F.species}`,
    body: updateBody({ options: [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }, { key: 'dog', label: 'Dog again' }] }), status: 422,
    expectBody: unprocessable('options.2.key "dog" is listed twice'),
  },
  {
    name: 'an empty options list', method: 'PUT', path: `/custom-fields/${F.species}`, body: updateBody({ options: [] }), status: 422,
    expectBody: unprocessable('options must list at least one option for a SINGLE_OPTIONS field', 'options must keep every existing option; missing: dog, cat'),
  },
  {
    name: 'an option url on CHECKBOX', method: 'PUT', path: `/custom-fields/${F.vaccines}`,
    body: updateBody({ options: [{ key: 'rabies', label: 'Rabies' }, { key: 'parvo', label: 'Parvovirus', url: 'https://example.com/p.png' }] }), status: 422,
    expectBody: unprocessable('options.1.url can only be set on RADIO options'),
  },
  { name: 'options on a TEXT field', method: 'PUT', path: `/custom-fields/${F.name}`, body: updateBody({ options: [{ key: 'a', label: 'A' }] }), status: 422, expectBody: unprocessable('options cannot be set on a TEXT field') },
  { name: 'acceptedFormats on a TEXT field', method: 'PUT', path: `/custom-fields/${F.name}`, body: updateBody({ acceptedFormats: '.pdf' }), status: 422, expectBody: unprocessable('acceptedFormats can only be set on a FILE_UPLOAD field') },
  { name: 'maxFileLimit 0', method: 'PUT', path: `/custom-fields/${F.xrays}`, body: updateBody({ maxFileLimit: 0 }), status: 422, expectBody: unprocessable('maxFileLimit must be a whole number from 1 to 20') },
  { name: 'a standard business field', method: 'PUT', path: () => `/custom-fields/${bizNameFieldId}`, body: updateBody({ name: 'Company' }), status: 400, expectBody: badRequest('business.name is a standard field and cannot be changed') },
]);

table('DELETE /custom-fields/{id} refused', [
  { name: 'read-only OAuth token', method: 'DELETE', path: `/custom-fields/${F.notes}`, headers: () => auth(oauthA), status: 401, expectBody: E.scopeMissing },
  { name: 'no customFields scope', method: 'DELETE', path: `/custom-fields/${F.notes}`, headers: auth(PIT_A_SCHEMA), status: 401, expectBody: E.scopeMissing },
  { name: '?locationId= of another location', method: 'DELETE', path: `/custom-fields/${F.notes}?locationId=${LOC_B}`, status: 403, expectBody: E.locationForbidden },
  { name: 'bad id', method: 'DELETE', path: '/custom-fields/custom_objects.pet.notes', status: 400, expectBody: badShortId },
  { name: 'unknown id', method: 'DELETE', path: `/custom-fields/${NO_SUCH_FIELD}`, status: 404, expectBody: fieldNotFound },
  { name: "another location's field", method: 'DELETE', path: `/custom-fields/${F.bChip}`, status: 404, expectBody: fieldNotFound },
  { name: "B's token, A's field", method: 'DELETE', path: `/custom-fields/${F.notes}`, headers: auth(PIT_B), status: 404, expectBody: fieldNotFound },
  {
    name: 'the primary display property', method: 'DELETE', path: `/custom-fields/${F.name}`, status: 400,
    expectBody: badRequest('custom_objects.pet.name is the primary display property of custom_objects.pet and cannot be deleted'),
  },
  { name: 'a standard business field', method: 'DELETE', path: () => `/custom-fields/${bizNameFieldId}`, status: 400, expectBody: badRequest('business.name is a standard field and cannot be deleted') },
]);

table('folders refused', [
  { name: 'create: read-only OAuth token', method: 'POST', path: '/custom-fields/folder', headers: () => auth(oauthA), body: { objectKey: 'custom_objects.pet', name: 'X', locationId: LOC_A }, status: 401, expectBody: E.scopeMissing },
  { name: 'create: no customFields scope', method: 'POST', path: '/custom-fields/folder', headers: auth(PIT_A_SCHEMA), body: { objectKey: 'custom_objects.pet', name: 'X', locationId: LOC_A }, status: 401, expectBody: E.scopeMissing },
  { name: 'create: body locationId of another location', method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'custom_objects.pet', name: 'X', locationId: LOC_B }, status: 403, expectBody: E.locationForbidden },
  { name: 'create: body locationId of another location, invalid body', method: 'POST', path: '/custom-fields/folder', body: { name: '', locationId: LOC_B, x: 1 }, status: 403, expectBody: E.locationForbidden },
  { name: 'create: contact', method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'contact', name: 'X', locationId: LOC_A }, status: 400, expectBody: unsupported },
  { name: 'create: opportunity', method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'opportunity', name: 'X', locationId: LOC_A }, status: 400, expectBody: unsupported },
  { name: 'create: unknown object', method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'custom_objects.nope', name: 'X', locationId: LOC_A }, status: 404, expectBody: E.objectNotFound('custom_objects.nope') },
  { name: "create: another location's object", method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'custom_objects.vet', name: 'X', locationId: LOC_A }, status: 404, expectBody: E.objectNotFound('custom_objects.vet') },
  { name: 'create: name empty', method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'custom_objects.pet', name: '', locationId: LOC_A }, status: 422, expectBody: unprocessable('name should not be empty') },
  {
    name: 'create: objectKey missing, unknown property', method: 'POST', path: '/custom-fields/folder', body: { name: 'X', locationId: LOC_A, parentId: FOLDER_GENERAL }, status: 422,
    expectBody: unprocessable('objectKey must be a string', 'objectKey should not be empty', 'property parentId should not exist'),
  },
  { name: 'rename: bad id', method: 'PUT', path: '/custom-fields/folder/nope', body: { name: 'X', locationId: LOC_A }, status: 400, expectBody: badObjectId },
  { name: 'rename: a field id', method: 'PUT', path: `/custom-fields/folder/${F.name}`, body: { name: 'X', locationId: LOC_A }, status: 400, expectBody: badObjectId },
  { name: 'rename: unknown', method: 'PUT', path: `/custom-fields/folder/${NO_SUCH_FOLDER}`, body: { name: 'X', locationId: LOC_A }, status: 404, expectBody: folderNotFound },
  { name: "rename: another location's folder", method: 'PUT', path: `/custom-fields/folder/${FOLDER_PET_B}`, body: { name: 'X', locationId: LOC_A }, status: 404, expectBody: folderNotFound },
  { name: "rename: B's token, A's folder", method: 'PUT', path: `/custom-fields/folder/${FOLDER_GENERAL}`, headers: auth(PIT_B), body: { name: 'X', locationId: LOC_B }, status: 404, expectBody: folderNotFound },
  { name: 'rename: body locationId of another location', method: 'PUT', path: `/custom-fields/folder/${FOLDER_GENERAL}`, body: { name: 'X', locationId: LOC_B }, status: 403, expectBody: E.locationForbidden },
  { name: 'rename: name empty', method: 'PUT', path: `/custom-fields/folder/${FOLDER_GENERAL}`, body: { name: '', locationId: LOC_A }, status: 422, expectBody: unprocessable('name should not be empty') },
  { name: 'rename: objectKey sent', method: 'PUT', path: `/custom-fields/folder/${FOLDER_GENERAL}`, body: { name: 'X', locationId: LOC_A, objectKey: 'business' }, status: 422, expectBody: unprocessable('property objectKey should not exist') },
  { name: 'rename: read-only OAuth token', method: 'PUT', path: `/custom-fields/folder/${FOLDER_GENERAL}`, headers: () => auth(oauthA), body: { name: 'X', locationId: LOC_A }, status: 401, expectBody: E.scopeMissing },
  { name: 'delete: a folder that holds fields', method: 'DELETE', path: `/custom-fields/folder/${FOLDER_IMAGING}${q}`, status: 400, expectBody: badRequest('The folder still holds fields: delete them first') },
  { name: 'delete: bad id', method: 'DELETE', path: `/custom-fields/folder/nope${q}`, status: 400, expectBody: badObjectId },
  { name: 'delete: locationId missing', method: 'DELETE', path: `/custom-fields/folder/${FOLDER_EMPTY}`, status: 422, expectBody: missingLocation },
  { name: 'delete: locationId of another location', method: 'DELETE', path: `/custom-fields/folder/${FOLDER_EMPTY}?locationId=${LOC_B}`, status: 403, expectBody: E.locationForbidden },
  { name: 'delete: unknown', method: 'DELETE', path: `/custom-fields/folder/${NO_SUCH_FOLDER}${q}`, status: 404, expectBody: folderNotFound },
  { name: "delete: another location's folder", method: 'DELETE', path: `/custom-fields/folder/${FOLDER_VET_B}${q}`, status: 404, expectBody: folderNotFound },
  { name: "delete: B's token, A's empty folder", method: 'DELETE', path: `/custom-fields/folder/${FOLDER_EMPTY}?locationId=${LOC_B}`, headers: auth(PIT_B), status: 404, expectBody: folderNotFound },
  { name: 'delete: read-only OAuth token', method: 'DELETE', path: `/custom-fields/folder/${FOLDER_EMPTY}${q}`, headers: () => auth(oauthA), status: 401, expectBody: E.scopeMissing },
]);

test('POST /custom-fields with a problem of form and a problem of rule names both (one message per problem)', async () => {
  const before = snapshot();
  const answer = await send({ method: 'POST', path: '/custom-fields/', body: createBody({ name: '', options: [{ key: 'a', label: 'A' }] }) });
  assert.equal(answer.status, 422, answer.text);
  assert.deepEqual([...(answer.body as { message: string[] }).message].sort(), ['name should not be empty', 'options cannot be set on a TEXT field'].sort());
  assert.equal(snapshot(), before);
});

// ---------------------------------------------------------------------------------------------
// Creating fields
// ---------------------------------------------------------------------------------------------

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** One create per dataType: the body sent, and what the answer adds (defaults) beyond it. */
const CREATES: Array<{ dataType: string; extra?: Record<string, unknown>; defaults?: Record<string, unknown> }> = [
  { dataType: 'TEXT', extra: { description: 'Chip on the neck', placeholder: '985...' } },
  { dataType: 'LARGE_TEXT' },
  { dataType: 'NUMERICAL' },
  { dataType: 'PHONE' },
  { dataType: 'MONETORY' },
  { dataType: 'EMAIL' },
  { dataType: 'DATE' },
  { dataType: 'CHECKBOX', extra: { options: [{ key: 'a', label: 'A' }, { key: 'b', label: 'B' }] } },
  { dataType: 'SINGLE_OPTIONS', extra: { options: [{ key: 'indoor', label: 'Indoor' }] } },
  { dataType: 'MULTIPLE_OPTIONS', extra: { options: [{ key: 'x-1', label: 'X one' }, { key: 'Y_2', label: 'Y two' }] } },
  { dataType: 'RADIO', extra: { options: [{ key: 'r', label: 'R', url: 'https://example.com/r.png' }] }, defaults: { allowCustomOption: false } },
  { dataType: 'RADIO', extra: { options: [{ key: 'r', label: 'R' }], allowCustomOption: true } },
  { dataType: 'TEXTBOX_LIST', extra: { options: [{ key: 'am', label: 'AM' }, { key: 'pm', label: 'PM' }] } },
  { dataType: 'FILE_UPLOAD', defaults: { acceptedFormats: 'all', maxFileLimit: 1 } },
  { dataType: 'FILE_UPLOAD', extra: { acceptedFormats: '.pdf', maxFileLimit: 5 } },
];

for (const [i, c] of CREATES.entries()) {
  test(`POST /custom-fields creates a ${c.dataType} field${c.extra ? ` (${Object.keys(c.extra).join(', ')})` : ''}, visible to the very next reads`, async () => {
    const fieldKey = `custom_objects.pet.new_${c.dataType.toLowerCase()}_${i}`;
    const body = createBody({ name: `New ${c.dataType}`, dataType: c.dataType, fieldKey, showInForms: i % 2 === 0, ...c.extra, ...(i % 3 === 0 ? { parentId: FOLDER_IMAGING } : {}) });
    const answer = await runScenario({ name: 'create', method: 'POST', path: '/custom-fields/', body, status: 201, dto: 'CustomFieldSuccessfulResponseDto' });
    const field = (answer.body as { field: Record<string, unknown> }).field;
    assert.match(String(field.id), /^[A-Za-z0-9]{20}$/);
    assert.match(String(field.dateAdded), ISO);
    const { locationId: _l, objectKey: _o, fieldKey: _f, parentId, ...given } = body;
    const expected = {
      id: field.id, ...given, ...c.defaults, objectKey: 'custom_objects.pet', parentId, fieldKey, locationId: LOC_A, standard: false,
      dateAdded: field.dateAdded, dateUpdated: field.dateAdded,
    };
    assert.deepEqual(comparable(answer.body), { field: expected });

    // The very next reads: by id, the object's list, the object with its properties.
    assert.deepEqual(comparable((await send({ method: 'GET', path: `/custom-fields/${String(field.id)}` })).body), { field: expected });
    const list = (await send({ method: 'GET', path: `/custom-fields/object-key/custom_objects.pet${q}` })).body as { fields: unknown[] };
    assert.deepEqual(comparable(list.fields.at(-1)), expected, 'listed last, in creation order');
    const object = (await send({ method: 'GET', path: `/objects/custom_objects.pet${q}&fetchProperties=true` })).body as { fields: unknown[] };
    assert.deepEqual(comparable(object.fields.at(-1)), expected);

    // Stored.
    const row = (await server.app.services.store.listObjects(LOC_A)).fields.find((f) => f.id === field.id);
    assert.ok(row);
    assert.deepEqual([row.fieldKey, row.dataType, row.objectId, row.parentId, row.standard], [fieldKey, c.dataType, OBJ_PET_A, parentId, false]);
    assert.deepEqual(row.options, (c.extra?.options as unknown[]) ?? []);
  });
}

test('POST /custom-fields creates a business field; B may use the same key as A', async () => {
  const answer = await runScenario({
    name: 'business field', method: 'POST', path: '/custom-fields/', status: 201, dto: 'CustomFieldSuccessfulResponseDto',
    body: () => createBody({ name: 'VAT number', objectKey: 'business', fieldKey: 'business.vat_number', parentId: bizFolder.id }),
  });
  const field = (answer.body as { field: Record<string, unknown> }).field;
  assert.deepEqual([field.objectKey, field.fieldKey, field.parentId, field.standard], ['business', 'business.vat_number', bizFolder.id, false]);
  const object = (await send({ method: 'GET', path: `/objects/business${q}&fetchProperties=true` })).body as { fields: Array<{ fieldKey: string }> };
  assert.ok(object.fields.some((f) => f.fieldKey === 'business.vat_number'));

  // Field keys are unique within an object of a location, not across locations.
  const b = await runScenario({
    name: "B's weight_kg", method: 'POST', path: '/custom-fields/', headers: auth(PIT_B), status: 201, dto: 'CustomFieldSuccessfulResponseDto',
    body: { ...createBody({ name: 'Weight', dataType: 'NUMERICAL', fieldKey: 'custom_objects.pet.weight_kg', parentId: FOLDER_PET_B }), locationId: LOC_B },
  });
  const bField = (b.body as { field: Record<string, unknown> }).field;
  assert.deepEqual([bField.locationId, bField.fieldKey], [LOC_B, 'custom_objects.pet.weight_kg']);
  assert.equal((await server.app.services.store.listObjects(LOC_B)).fields.find((f) => f.id === bField.id)?.objectId, OBJ_PET_B);
  const aWeight = await send({ method: 'GET', path: `/custom-fields/${F.weight}` });
  assert.deepEqual(comparable(aWeight.body), { field: petField(F.weight) }, "A's field of the same key is untouched");
});

// ---------------------------------------------------------------------------------------------
// Updating fields
// ---------------------------------------------------------------------------------------------

test('PUT /custom-fields/{id} changes name, description, placeholder and showInForms; key and type stay', async () => {
  const answer = await runScenario({
    name: 'update notes', method: 'PUT', path: `/custom-fields/${F.notes}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto',
    body: updateBody({ name: 'Clinical notes', description: 'Free text', placeholder: 'Anything to know', showInForms: true }),
  });
  const field = (answer.body as { field: Record<string, unknown> }).field;
  assert.ok(String(field.dateUpdated) > AT, 'dateUpdated moves');
  const expected = { ...petField(F.notes), name: 'Clinical notes', description: 'Free text', placeholder: 'Anything to know', showInForms: true, dateUpdated: field.dateUpdated };
  assert.deepEqual(comparable(answer.body), { field: expected });
  assert.deepEqual(comparable((await send({ method: 'GET', path: `/custom-fields/${F.notes}` })).body), { field: expected });
  const row = (await server.app.services.store.listObjects(LOC_A)).fields.find((f) => f.id === F.notes)!;
  assert.deepEqual([row.name, row.description, row.placeholder, row.showInForms, row.fieldKey, row.dataType], [
    'Clinical notes', 'Free text', 'Anything to know', true, 'custom_objects.pet.notes', 'LARGE_TEXT',
  ]);
});

test('PUT /custom-fields/{id} options replace the list: labels change, new options join, existing keys stay', async () => {
  const createPet = (vaccines: string[]) =>
    send({ method: 'POST', path: '/objects/custom_objects.pet/records', body: { locationId: LOC_A, properties: { name: 'Options', vaccines } } });
  // Before the change a new option is refused (and the old list remembered for the next checks).
  assert.equal((await createPet(['parvo'])).status, 201);
  const early = await createPet(['lepto']);
  assert.equal(early.status, 422, early.text);
  assert.match(early.text, /which is not an option of Vaccines \(rabies, parvo\)/);
  const options = [{ key: 'parvo', label: 'Parvo (DHPP)' }, { key: 'lepto', label: 'Leptospirosis' }, { key: 'rabies', label: 'Rabies' }];
  const answer = await runScenario({
    name: 'vaccines', method: 'PUT', path: `/custom-fields/${F.vaccines}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto', body: updateBody({ options }),
  });
  assert.deepEqual((answer.body as { field: { options: unknown } }).field.options, options);
  assert.deepEqual(((await send({ method: 'GET', path: `/custom-fields/${F.vaccines}` })).body as { field: { options: unknown } }).field.options, options);
  assert.deepEqual((await server.app.services.store.listObjects(LOC_A)).fields.find((f) => f.id === F.vaccines)!.options, options);
  // Records are checked against the new list at once.
  assert.equal((await createPet(['lepto', 'parvo'])).status, 201);
  const unknown = await createPet(['distemper']);
  assert.equal(unknown.status, 422, unknown.text);
  assert.match(unknown.text, /which is not an option of Vaccines \(parvo, lepto, rabies\)/);

  // A RADIO option may carry a url.
  const radio = [...PET_FIELDS.find((f) => f.id === F.size)!.options!, { key: 'medium', label: 'Medium', url: 'https://example.com/m.png' }];
  const r = await runScenario({ name: 'size', method: 'PUT', path: `/custom-fields/${F.size}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto', body: updateBody({ options: radio }) });
  const rField = (r.body as { field: Record<string, unknown> }).field;
  assert.deepEqual([rField.options, rField.allowCustomOption], [radio, true]);
});

test('PUT /custom-fields/{id} changes acceptedFormats and maxFileLimit of a FILE_UPLOAD field', async () => {
  const answer = await runScenario({
    name: 'xrays', method: 'PUT', path: `/custom-fields/${F.xrays}`, status: 200, dto: 'CustomFieldSuccessfulResponseDto', body: updateBody({ acceptedFormats: '.jpg', maxFileLimit: 10 }),
  });
  const field = (answer.body as { field: Record<string, unknown> }).field;
  assert.deepEqual([field.acceptedFormats, field.maxFileLimit, field.parentId], ['.jpg', 10, FOLDER_IMAGING]);
  const row = (await server.app.services.store.listObjects(LOC_A)).fields.find((f) => f.id === F.xrays)!;
  assert.deepEqual([row.acceptedFormats, row.maxFileLimit], ['.jpg', 10]);
});

test('PUT /custom-fields/{id} renames an option field without resending its options (options are optional on update)', async () => {
  const answer = await send({ method: 'PUT', path: `/custom-fields/${F.species}`, body: updateBody({ name: 'Kind of animal' }) });
  assert.equal(answer.status, 200, answer.text);
  const field = (answer.body as { field: Record<string, unknown> }).field;
  assert.deepEqual([field.name, field.options], ['Kind of animal', [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }]]);
  assert.deepEqual(dtoValidator('custom-fields.json', 'CustomFieldSuccessfulResponseDto')(answer.body), []);
});

// ---------------------------------------------------------------------------------------------
// Deleting fields: the very next Get Record By Id no longer shows their values
// ---------------------------------------------------------------------------------------------

async function getRecord(id: string): Promise<{ status: number; properties: Record<string, unknown>; body: unknown; text: string }> {
  const r = await send({ method: 'GET', path: `/objects/custom_objects.pet/records/${id}` });
  return { status: r.status, body: r.body, text: r.text, properties: (r.body as { record?: { properties: Record<string, unknown> } }).record?.properties ?? {} };
}

async function storedProperties(id: string): Promise<Record<string, unknown>> {
  const record = await server.app.services.store.getRecord(OBJ_PET_A, id);
  assert.ok(record);
  return record.properties;
}

test('DELETE /custom-fields/{id}: the next Get Record By Id lacks the property, the record still valid; searchable drops it', async () => {
  // Prime the record path's schema cache.
  const primed = await getRecord(REC_REX);
  assert.equal(primed.status, 200, primed.text);
  assert.equal(primed.properties.weight_kg, 31.5);

  const answer = await runScenario({
    name: 'delete weight_kg', method: 'DELETE', path: `/custom-fields/${F.weight}`, status: 200, dto: 'CustomFolderDeleteResponseDto',
    expectBody: { succeded: true, id: F.weight, key: 'custom_objects.pet.weight_kg' },
  });
  assert.equal(answer.status, 200);

  for (const id of [REC_REX, REC_MISTY]) {
    const rec = await getRecord(id);
    assert.equal(rec.status, 200, rec.text);
    assert.equal('weight_kg' in rec.properties, false, `record ${id} no longer shows weight_kg`);
    assert.deepEqual(validateRecord(rec.body), [], 'the record answer is still a valid RecordByIdResponseDTO');
    assert.equal('weight_kg' in (await storedProperties(id)), false, 'and it is gone from the stored record');
  }
  assert.equal((await getRecord(REC_REX)).properties.name, 'Rex', 'other values stay');

  assert.equal((await send({ method: 'GET', path: `/custom-fields/${F.weight}` })).text, JSON.stringify(fieldNotFound));
  const list = (await send({ method: 'GET', path: `/custom-fields/object-key/custom_objects.pet${q}` })).body as { fields: Array<{ id: string }> };
  assert.ok(!list.fields.some((f) => f.id === F.weight));
  const object = (await send({ method: 'GET', path: `/objects/custom_objects.pet${q}&fetchProperties=true` })).body as {
    object: { searchableProperties: string[] };
    fields: Array<{ id: string }>;
  };
  assert.ok(!object.fields.some((f) => f.id === F.weight));
  assert.deepEqual(object.object.searchableProperties, ['custom_objects.pet.name', 'custom_objects.pet.owner_email']);
  assert.ok(!(await server.app.services.store.listObjects(LOC_A)).fields.some((f) => f.id === F.weight));

  await runScenario({ name: 'delete again', method: 'DELETE', path: `/custom-fields/${F.weight}`, status: 404, expectBody: fieldNotFound });

  // A new field of the same key starts empty: the old values do not come back.
  const again = await send({ method: 'POST', path: '/custom-fields/', body: createBody({ name: 'Weight', dataType: 'NUMERICAL', fieldKey: 'custom_objects.pet.weight_kg' }) });
  assert.equal(again.status, 201, again.text);
  assert.notEqual((again.body as { field: { id: string } }).field.id, F.weight);
  assert.equal('weight_kg' in (await getRecord(REC_REX)).properties, false);
  assert.equal('weight_kg' in (await getRecord(REC_MISTY)).properties, false);
});

test('DELETE /custom-fields/{id} of a TEXTBOX_LIST removes every option sub-key from every record', async () => {
  assert.deepEqual([(await getRecord(REC_REX)).properties['diet.morning'], (await getRecord(REC_MISTY)).properties['diet.evening']], ['Dry food', 'Tuna']);
  await runScenario({
    name: 'delete diet', method: 'DELETE', path: `/custom-fields/${F.diet}`, status: 200, dto: 'CustomFolderDeleteResponseDto',
    expectBody: { succeded: true, id: F.diet, key: 'custom_objects.pet.diet' },
  });
  for (const id of [REC_REX, REC_MISTY]) {
    const rec = await getRecord(id);
    assert.deepEqual(Object.keys(rec.properties).filter((k) => k.startsWith('diet')), [], `record ${id}`);
    assert.deepEqual(validateRecord(rec.body), []);
    assert.deepEqual(Object.keys(await storedProperties(id)).filter((k) => k.startsWith('diet')), []);
  }
  // The other location's records are not touched.
  const b = await send({ method: 'GET', path: `/objects/custom_objects.pet/records/${REC_PET_B}`, headers: auth(PIT_B) });
  assert.deepEqual((b.body as { record: { properties: unknown } }).record.properties, { name: 'Bravo Rex', chip_id: 'X1' });
});

test('DELETE /custom-fields/{id} of the only searchable field leaves the primary display property searchable', async () => {
  const put = await send({ method: 'PUT', path: '/objects/custom_objects.pet', body: { locationId: LOC_A, searchableProperties: ['custom_objects.pet.owner_email'] } });
  assert.equal(put.status, 200, put.text);
  await runScenario({
    name: 'delete owner_email', method: 'DELETE', path: `/custom-fields/${F.email}`, status: 200, dto: 'CustomFolderDeleteResponseDto',
    expectBody: { succeded: true, id: F.email, key: 'custom_objects.pet.owner_email' },
  });
  const object = (await send({ method: 'GET', path: `/objects/custom_objects.pet${q}` })).body as { object: { searchableProperties: string[] } };
  assert.deepEqual(object.object.searchableProperties, ['custom_objects.pet.name']);
  assert.deepEqual((await server.app.services.store.listObjects(LOC_A)).objects.find((o) => o.id === OBJ_PET_A)!.searchableProperties, ['custom_objects.pet.name']);
  assert.equal('owner_email' in (await getRecord(REC_REX)).properties, false);
});

// ---------------------------------------------------------------------------------------------
// Folders
// ---------------------------------------------------------------------------------------------

test('folders: create, rename, hold a field (then not deletable), empty, delete; each step visible to the next read', async () => {
  const created = await runScenario({
    name: 'create', method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'custom_objects.pet', name: 'Medical', locationId: LOC_A }, status: 201, dto: 'ICustomFieldFolder',
  });
  const folder = created.body as Record<string, unknown>;
  const id = String(folder.id);
  assert.match(id, /^[0-9a-f]{24}$/);
  assert.match(String(folder.dateAdded), ISO);
  assert.deepEqual(folder, { id, objectKey: 'custom_objects.pet', locationId: LOC_A, name: 'Medical', dateAdded: folder.dateAdded, dateUpdated: folder.dateAdded });
  const listed = () => send({ method: 'GET', path: `/custom-fields/object-key/custom_objects.pet${q}` }).then((r) => (r.body as { folders: Array<Record<string, unknown>> }).folders);
  assert.deepEqual((await listed()).at(-1), folder);
  assert.deepEqual((await server.app.services.store.listObjects(LOC_A)).folders.find((f) => f.id === id)?.objectId, OBJ_PET_A);

  const renamed = await runScenario({
    name: 'rename', method: 'PUT', path: `/custom-fields/folder/${id}`, body: { name: 'Medical records', locationId: LOC_A }, status: 200, dto: 'ICustomFieldFolder',
  });
  const r = renamed.body as Record<string, unknown>;
  assert.deepEqual([r.id, r.name, r.objectKey, r.locationId, r.dateAdded], [id, 'Medical records', 'custom_objects.pet', LOC_A, folder.dateAdded]);
  assert.ok(String(r.dateUpdated) >= String(folder.dateUpdated));
  assert.equal((await listed()).find((f) => f.id === id)?.name, 'Medical records');
  assert.equal((await server.app.services.store.listObjects(LOC_A)).folders.find((f) => f.id === id)?.name, 'Medical records');

  const field = await send({ method: 'POST', path: '/custom-fields/', body: createBody({ name: 'Allergy', fieldKey: 'custom_objects.pet.allergy', parentId: id }) });
  assert.equal(field.status, 201, field.text);
  const fieldId = (field.body as { field: { id: string; parentId: string } }).field.id;
  assert.equal((field.body as { field: { parentId: string } }).field.parentId, id);

  await runScenario({ name: 'delete while it holds a field', method: 'DELETE', path: `/custom-fields/folder/${id}${q}`, status: 400, expectBody: badRequest('The folder still holds fields: delete them first') });
  assert.ok((await listed()).some((f) => f.id === id));

  assert.equal((await send({ method: 'DELETE', path: `/custom-fields/${fieldId}` })).status, 200);
  await runScenario({
    name: 'delete', method: 'DELETE', path: `/custom-fields/folder/${id}${q}`, status: 200, dto: 'CustomFolderDeleteResponseDto',
    expectBody: { succeded: true, id, key: 'custom_objects.pet' },
  });
  assert.ok(!(await listed()).some((f) => f.id === id));
  assert.ok(!(await server.app.services.store.listObjects(LOC_A)).folders.some((f) => f.id === id));
  await runScenario({ name: 'delete again', method: 'DELETE', path: `/custom-fields/folder/${id}${q}`, status: 404, expectBody: folderNotFound });
  await runScenario({ name: 'rename after delete', method: 'PUT', path: `/custom-fields/folder/${id}`, body: { name: 'X', locationId: LOC_A }, status: 404, expectBody: folderNotFound });
});

test("folders: the fixture's empty folder can be deleted; business takes folders too", async () => {
  await runScenario({
    name: 'delete Spare', method: 'DELETE', path: `/custom-fields/folder/${FOLDER_EMPTY}${q}`, status: 200, dto: 'CustomFolderDeleteResponseDto',
    expectBody: { succeded: true, id: FOLDER_EMPTY, key: 'custom_objects.pet' },
  });
  const biz = await runScenario({
    name: 'business folder', method: 'POST', path: '/custom-fields/folder', body: { objectKey: 'business', name: 'Billing', locationId: LOC_A }, status: 201, dto: 'ICustomFieldFolder',
  });
  const folder = biz.body as { id: string; objectKey: string };
  assert.equal(folder.objectKey, 'business');
  const list = (await send({ method: 'GET', path: `/custom-fields/object-key/business${q}` })).body as { folders: Array<{ id: string }> };
  assert.deepEqual(list.folders.map((f) => f.id), [bizFolder.id, folder.id]);
  // A field can go in it.
  const field = await runScenario({
    name: 'business field in the new folder', method: 'POST', path: '/custom-fields/', status: 201, dto: 'CustomFieldSuccessfulResponseDto',
    body: createBody({ name: 'IBAN', objectKey: 'business', fieldKey: 'business.iban', parentId: folder.id }),
  });
  assert.equal((field.body as { field: { parentId: string } }).field.parentId, folder.id);
});
