import { GHLAuthenticationError, GHLError, GHLForbiddenError, GHLNotFoundError, GHLValidationError, HighLevel } from '@gohighlevel/api-client';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { contractErrors as E } from '../helpers/contract-errors.js';
import { dtoValidator } from '../helpers/spec-dto.js';
import { VERSION, startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The official SDK (`@gohighlevel/api-client`) against the real server, for object schemas
 * (`ghl.objects.*`) and custom fields and folders (`ghl.customFields.*`): a client written for
 * services.leadconnectorhq.com must work by changing only its base URL. Every answer is checked
 * against the spec's DTO, every write re-read through the SDK.
 *
 * Errors (dist/lib/errors.js): 401 GHLAuthenticationError, 403 GHLForbiddenError, 404
 * GHLNotFoundError, 400/422 GHLValidationError, each with `statusCode` and `response` (the parsed
 * body).
 */

const LOC = 'Sdk7LocationOne00001';
const OTHER_LOC = 'Sdk7LocationTwo00002';
const USER = 'sx6wyHhbFdRXh302Lunr';
const OBJ_PET = '6798a1a18fc746e0eba2ccfe';
const FOLDER = '66aa000000000000000000a1';
const REC_PET = '661c06b4ffde146bdb469442';
const PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const AT = '2024-05-01T08:00:00.000Z';
const FIELD_NAME = 'SdkPetName0000000001';
const FIELD_WEIGHT = 'SdkPetWeight00000001';

const FIXTURE = {
  locations: [
    {
      id: LOC,
      name: 'SDK Clinic',
      users: [{ id: USER, name: 'Ada Lovelace' }],
      tokens: [
        {
          type: 'private-integration', token: PIT,
          scopes: ['objects/record.readonly', 'objects/schema.readonly', 'objects/schema.write', 'locations/customFields.readonly', 'locations/customFields.write'],
        },
        { type: 'oauth', scopes: ['objects/schema.readonly', 'locations/customFields.readonly'] },
      ],
      objects: [
        {
          key: 'custom_objects.pet',
          id: OBJ_PET,
          labels: { singular: 'Pet', plural: 'Pets' },
          description: 'Patients',
          folders: [{ id: FOLDER, name: 'General Info' }],
          fields: [
            { id: FIELD_NAME, fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT', dateAdded: AT },
            { id: FIELD_WEIGHT, fieldKey: 'custom_objects.pet.weight_kg', name: 'Weight', dataType: 'NUMERICAL', dateAdded: AT },
          ],
          dateAdded: AT,
        },
      ],
      records: [{ objectKey: 'custom_objects.pet', id: REC_PET, owner: [USER], properties: { name: 'Rex', weight_kg: 31.5 }, dateAdded: AT }],
    },
    { id: OTHER_LOC, name: 'Elsewhere' },
  ],
};

const PET_OBJECT = {
  id: OBJ_PET, standard: false, key: 'custom_objects.pet', labels: { singular: 'Pet', plural: 'Pets' }, description: 'Patients', locationId: LOC,
  primaryDisplayProperty: 'custom_objects.pet.name', dateAdded: AT, dateUpdated: AT, type: 'USER_DEFINED', searchableProperties: ['custom_objects.pet.name'],
};

const check = (file: 'objects.json' | 'custom-fields.json', dto: string, body: unknown) => assert.deepEqual(dtoValidator(file, dto)(body), [], `a valid ${dto}`);

let server: TestServer;
let oauth: string;

before(async () => {
  server = await startTestServer(FIXTURE);
  assert.equal(server.tokens[1]?.type, 'oauth');
  oauth = server.tokens[1]!.token;
});
after(() => server?.close());

/** The SDK as a user sets it up, pointed at the server; records what it sends. */
function sdk(config: ConstructorParameters<typeof HighLevel>[0]) {
  const ghl = new HighLevel({ logLevel: 'none', ...config });
  ghl.getHttpClient().defaults.baseURL = server.url;
  const sent: Array<{ method: string | undefined; url: string | undefined; authorization: unknown; version: unknown }> = [];
  ghl.getHttpClient().interceptors.request.use((cfg) => {
    sent.push({ method: cfg.method?.toUpperCase(), url: cfg.url, authorization: cfg.headers.get('Authorization'), version: cfg.headers.get('Version') });
    return cfg;
  });
  return { ghl, sent };
}
const withPit = () => sdk({ privateIntegrationToken: PIT, apiVersion: VERSION });

/** The rejection of `promise`: a GHLError of `type` carrying exactly `body`. */
async function sdkError<T extends GHLError>(promise: Promise<unknown>, type: new (...args: never[]) => T, body: { statusCode: number; message: string | readonly string[]; error?: string }): Promise<T> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.equal(caught.statusCode, body.statusCode);
  assert.deepEqual(caught.response, body);
  return caught;
}

/** The SDK's answers carry fields' `unique` flag when the server sends it (work in progress elsewhere): set aside here. */
function withoutUnique<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'unique' && typeof v === 'boolean' ? undefined : v))) as T;
}

test('objects.getObjectByLocationId lists the standard objects and the custom one', async () => {
  const { ghl, sent } = withPit();
  const answer = await ghl.objects.getObjectByLocationId({ locationId: LOC });
  check('objects.json', 'CustomObjectListResponseDTO', answer);
  const objects = answer.objects ?? [];
  assert.deepEqual(objects.map((o) => [o.key, o.standard, o.type]), [
    ['contact', true, 'SYSTEM_DEFINED'], ['opportunity', true, 'SYSTEM_DEFINED'], ['business', true, 'SYSTEM_DEFINED'], ['custom_objects.pet', false, 'USER_DEFINED'],
  ]);
  assert.deepEqual(objects[3], PET_OBJECT);
  assert.deepEqual(sent, [{ method: 'GET', url: '/objects/', authorization: `Bearer ${PIT}`, version: VERSION }]);
});

test('objects.getObjectSchemaByKey, with and without fetchProperties, by key and by id', async () => {
  const { ghl } = withPit();
  const plain = await ghl.objects.getObjectSchemaByKey({ key: 'custom_objects.pet', locationId: LOC });
  check('objects.json', 'CustomObjectByIdResponseDTO', plain);
  assert.deepEqual(plain, { object: PET_OBJECT, cache: false });

  const full = await ghl.objects.getObjectSchemaByKey({ key: OBJ_PET, locationId: LOC, fetchProperties: 'true' });
  check('objects.json', 'CustomObjectByIdResponseDTO', full);
  assert.deepEqual(withoutUnique(full), {
    object: PET_OBJECT,
    cache: false,
    fields: [
      { id: FIELD_NAME, name: 'Name', showInForms: true, objectKey: 'custom_objects.pet', dataType: 'TEXT', parentId: FOLDER, fieldKey: 'custom_objects.pet.name', locationId: LOC, standard: false, dateAdded: AT, dateUpdated: AT },
      { id: FIELD_WEIGHT, name: 'Weight', showInForms: true, objectKey: 'custom_objects.pet', dataType: 'NUMERICAL', parentId: FOLDER, fieldKey: 'custom_objects.pet.weight_kg', locationId: LOC, standard: false, dateAdded: AT, dateUpdated: AT },
    ],
  });

  // An OAuth location token reads schemas too.
  const viaOauth = sdk({ clientId: 'sdk-test-client', clientSecret: 'unused', locationAccessToken: oauth, apiVersion: VERSION });
  assert.deepEqual(await viaOauth.ghl.objects.getObjectSchemaByKey({ key: 'custom_objects.pet', locationId: LOC }), { object: PET_OBJECT, cache: false });
  assert.equal(viaOauth.sent[0]!.authorization, `Bearer ${oauth}`);
});

test('objects.getObjectSchemaByKey: unknown object, another location, and no locationId surface as the matching errors', async () => {
  const { ghl } = withPit();
  await sdkError(ghl.objects.getObjectSchemaByKey({ key: 'custom_objects.nope', locationId: LOC }), GHLNotFoundError, E.objectNotFound('custom_objects.nope'));
  await sdkError(ghl.objects.getObjectSchemaByKey({ key: 'custom_objects.pet', locationId: OTHER_LOC }), GHLForbiddenError, E.locationForbidden);
  await sdkError(ghl.objects.getObjectByLocationId({ locationId: OTHER_LOC }), GHLForbiddenError, E.locationForbidden);
});

test('objects.createCustomObjectSchema creates a schema the next read returns; a duplicate is a GHLValidationError', async () => {
  const { ghl, sent } = withPit();
  const body = {
    labels: { singular: 'Vet', plural: 'Vets' }, key: 'vet', description: 'Visiting vets', locationId: LOC,
    primaryDisplayPropertyDetails: { key: 'vet_name', name: 'Vet name', dataType: 'TEXT' },
  };
  const created = await ghl.objects.createCustomObjectSchema(body);
  check('objects.json', 'CustomObjectResponseDTO', created);
  const object = created.object!;
  assert.match(object.id, /^[0-9a-f]{24}$/);
  assert.deepEqual([object.key, object.primaryDisplayProperty, object.standard, object.type, object.description, object.locationId], [
    'custom_objects.vet', 'custom_objects.vet.vet_name', false, 'USER_DEFINED', 'Visiting vets', LOC,
  ]);
  assert.equal(sent[0]!.authorization, `Bearer ${PIT}`, 'the PIT, though the operation asks for Agency-Access');

  const read = await ghl.objects.getObjectSchemaByKey({ key: 'custom_objects.vet', locationId: LOC, fetchProperties: 'true' });
  assert.deepEqual(read.object, object);
  assert.deepEqual(read.fields?.map((f) => [f.fieldKey, f.dataType, f.name]), [['custom_objects.vet.vet_name', 'TEXT', 'Vet name']]);

  await sdkError(ghl.objects.createCustomObjectSchema(body), GHLValidationError, { statusCode: 400, message: 'Custom Object with key custom_objects.vet already exists', error: 'Bad Request' });
  await sdkError(
    ghl.objects.createCustomObjectSchema({ ...body, key: 'clinic', primaryDisplayPropertyDetails: { key: 'when', name: 'When', dataType: 'DATE' } }),
    GHLValidationError,
    { statusCode: 422, message: ['primaryDisplayPropertyDetails.dataType must be one of the following values: TEXT, NUMERICAL'], error: 'Unprocessable Entity' },
  );
  const list = await ghl.objects.getObjectByLocationId({ locationId: LOC });
  assert.deepEqual(list.objects?.filter((o) => !o.standard).map((o) => o.key), ['custom_objects.pet', 'custom_objects.vet']);

  // A read-only token may not create.
  const readOnly = sdk({ clientId: 'sdk-test-client', clientSecret: 'unused', locationAccessToken: oauth, apiVersion: VERSION });
  await sdkError(readOnly.ghl.objects.createCustomObjectSchema({ ...body, key: 'other' }), GHLAuthenticationError, E.scopeMissing);
});

test('objects.updateCustomObject changes labels, description and searchable properties; too many is a GHLValidationError', async () => {
  const { ghl } = withPit();
  const updated = await ghl.objects.updateCustomObject(
    { key: 'custom_objects.pet' },
    { labels: { singular: 'Patient', plural: 'Patients' }, description: 'Animals we treat', locationId: LOC, searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.weight_kg'] },
  );
  check('objects.json', 'CustomObjectResponseDTO', updated);
  const object = updated.object as typeof PET_OBJECT;
  assert.deepEqual({ ...object, dateUpdated: AT }, {
    ...PET_OBJECT, labels: { singular: 'Patient', plural: 'Patients' }, description: 'Animals we treat', searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.weight_kg'],
  });
  assert.ok(object.dateUpdated > AT);
  assert.deepEqual((await ghl.objects.getObjectSchemaByKey({ key: 'custom_objects.pet', locationId: LOC })).object, object);

  const four = ['custom_objects.pet.name', 'custom_objects.pet.weight_kg', 'custom_objects.pet.name', 'custom_objects.pet.weight_kg'];
  await sdkError(
    ghl.objects.updateCustomObject({ key: 'custom_objects.pet' }, { locationId: LOC, searchableProperties: four }),
    GHLValidationError,
    { statusCode: 400, message: 'Too many searchable properties. Maximum allowed is 3, but received 4.', error: 'Bad Request' },
  );
  const withKey = { locationId: LOC, searchableProperties: ['custom_objects.pet.name'], key: 'custom_objects.animal' };
  await sdkError(
    ghl.objects.updateCustomObject({ key: 'custom_objects.pet' }, withKey),
    GHLValidationError,
    { statusCode: 422, message: ['property key should not exist'], error: 'Unprocessable Entity' },
  );
  assert.deepEqual((await ghl.objects.getObjectSchemaByKey({ key: 'custom_objects.pet', locationId: LOC })).object, object, 'the refused updates changed nothing');
});

test('customFields: folder and field created, read, listed, updated and deleted through the SDK', async () => {
  const { ghl, sent } = withPit();

  const folder = await ghl.customFields.createCustomFieldFolder({ objectKey: 'custom_objects.pet', name: 'Medical', locationId: LOC });
  check('custom-fields.json', 'ICustomFieldFolder', folder);
  assert.match(folder.id, /^[0-9a-f]{24}$/);
  assert.deepEqual([folder.objectKey, folder.name, folder.locationId], ['custom_objects.pet', 'Medical', LOC]);

  const created = await ghl.customFields.createCustomField({
    locationId: LOC, name: 'Vaccines', showInForms: true, dataType: 'CHECKBOX', fieldKey: 'custom_objects.pet.vaccines', objectKey: 'custom_objects.pet', parentId: folder.id,
    options: [{ key: 'rabies', label: 'Rabies' }, { key: 'parvo', label: 'Parvovirus' }],
  });
  check('custom-fields.json', 'CustomFieldSuccessfulResponseDto', created);
  const field = created.field!;
  assert.match(field.id, /^[A-Za-z0-9]{20}$/);
  assert.deepEqual([field.fieldKey, field.objectKey, field.dataType, field.parentId, field.locationId, field.options], [
    'custom_objects.pet.vaccines', 'custom_objects.pet', 'CHECKBOX', folder.id, LOC, [{ key: 'rabies', label: 'Rabies' }, { key: 'parvo', label: 'Parvovirus' }],
  ]);

  const byId = await ghl.customFields.getCustomFieldById({ id: field.id });
  check('custom-fields.json', 'CustomFieldSuccessfulResponseDto', byId);
  assert.deepEqual(byId, created);

  const listed = await ghl.customFields.getCustomFieldsByObjectKey({ objectKey: 'custom_objects.pet', locationId: LOC });
  check('custom-fields.json', 'CustomFieldsResponseDTO', listed);
  assert.deepEqual(listed.fields?.map((f) => f.id), [FIELD_NAME, FIELD_WEIGHT, field.id]);
  assert.deepEqual(listed.folders?.map((f) => [f.id, f.name]), [[FOLDER, 'General Info'], [folder.id, 'Medical']]);

  const options = [{ key: 'rabies', label: 'Rabies' }, { key: 'parvo', label: 'Parvo' }, { key: 'lepto', label: 'Leptospirosis' }];
  const updated = await ghl.customFields.updateCustomField({ id: field.id }, { locationId: LOC, name: 'Vaccinations', showInForms: false, options });
  check('custom-fields.json', 'CustomFieldSuccessfulResponseDto', updated);
  assert.deepEqual([updated.field?.name, updated.field?.showInForms, updated.field?.options, updated.field?.fieldKey], ['Vaccinations', false, options, 'custom_objects.pet.vaccines']);
  assert.deepEqual(await ghl.customFields.getCustomFieldById({ id: field.id }), updated);

  const renamed = await ghl.customFields.updateCustomFieldFolder({ id: folder.id }, { name: 'Medical records', locationId: LOC });
  check('custom-fields.json', 'ICustomFieldFolder', renamed);
  assert.deepEqual([renamed.id, renamed.name], [folder.id, 'Medical records']);

  // The folder holds a field: it cannot go yet.
  await sdkError(
    ghl.customFields.deleteCustomFieldFolder({ id: folder.id, locationId: LOC }),
    GHLValidationError,
    { statusCode: 400, message: 'The folder still holds fields: delete them first', error: 'Bad Request' },
  );

  const deleted = await ghl.customFields.deleteCustomField({ id: field.id });
  check('custom-fields.json', 'CustomFolderDeleteResponseDto', deleted);
  assert.deepEqual(deleted, { succeded: true, id: field.id, key: 'custom_objects.pet.vaccines' });
  await sdkError(ghl.customFields.getCustomFieldById({ id: field.id }), GHLNotFoundError, { statusCode: 404, message: 'Custom field not found', error: 'Not Found' });

  const folderDeleted = await ghl.customFields.deleteCustomFieldFolder({ id: folder.id, locationId: LOC });
  check('custom-fields.json', 'CustomFolderDeleteResponseDto', folderDeleted);
  assert.deepEqual(folderDeleted, { succeded: true, id: folder.id, key: 'custom_objects.pet' });
  const after = await ghl.customFields.getCustomFieldsByObjectKey({ objectKey: 'custom_objects.pet', locationId: LOC });
  assert.deepEqual(after.folders?.map((f) => f.id), [FOLDER]);
  assert.deepEqual(after.fields?.map((f) => f.id), [FIELD_NAME, FIELD_WEIGHT]);

  // Every call went with the PIT and the contract's Version, on the spec's paths.
  assert.ok(sent.every((s) => s.authorization === `Bearer ${PIT}` && s.version === VERSION));
  assert.deepEqual(sent.map((s) => `${s.method} ${s.url}`).slice(0, 4), [
    'POST /custom-fields/folder', 'POST /custom-fields/', `GET /custom-fields/${field.id}`, 'GET /custom-fields/object-key/custom_objects.pet',
  ]);
});

test('customFields: contact is refused, a bad id and a foreign location surface as SDK errors', async () => {
  const { ghl } = withPit();
  const unsupported = { statusCode: 400, message: 'Api does not support objectKey of type contact or opportunity', error: 'Bad Request' };
  await sdkError(ghl.customFields.getCustomFieldsByObjectKey({ objectKey: 'contact', locationId: LOC }), GHLValidationError, unsupported);
  await sdkError(
    ghl.customFields.createCustomField({ locationId: LOC, name: 'X', showInForms: true, dataType: 'TEXT', fieldKey: 'contact.x', objectKey: 'contact', parentId: FOLDER }),
    GHLValidationError,
    unsupported,
  );
  await sdkError(ghl.customFields.createCustomFieldFolder({ objectKey: 'opportunity', name: 'X', locationId: LOC }), GHLValidationError, unsupported);
  await sdkError(ghl.customFields.getCustomFieldById({ id: 'nope' }), GHLValidationError, { statusCode: 400, message: ['id must be a 20 character id'], error: 'Bad Request' });
  await sdkError(ghl.customFields.createCustomFieldFolder({ objectKey: 'custom_objects.pet', name: 'X', locationId: OTHER_LOC }), GHLForbiddenError, E.locationForbidden);
  await sdkError(ghl.customFields.deleteCustomField({ id: FIELD_NAME }), GHLValidationError, {
    statusCode: 400, message: 'custom_objects.pet.name is the primary display property of custom_objects.pet and cannot be deleted', error: 'Bad Request',
  });
});

test("customFields.deleteCustomField: the very next objects.getRecordById no longer has the field's value", async () => {
  const { ghl } = withPit();
  const before = await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET });
  assert.deepEqual(before.record?.properties, { name: 'Rex', weight_kg: 31.5 });
  assert.deepEqual(await ghl.customFields.deleteCustomField({ id: FIELD_WEIGHT }), { succeded: true, id: FIELD_WEIGHT, key: 'custom_objects.pet.weight_kg' });
  const afterDelete = await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET });
  assert.deepEqual(afterDelete.record?.properties, { name: 'Rex' });
  check('objects.json', 'RecordByIdResponseDTO', afterDelete);
});
