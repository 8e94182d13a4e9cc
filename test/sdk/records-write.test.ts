import { GHLAuthenticationError, GHLError, GHLForbiddenError, GHLNotFoundError, GHLValidationError, HighLevel } from '@gohighlevel/api-client';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { contractErrors as E } from '../helpers/contract-errors.js';
import { dtoValidator } from '../helpers/spec-dto.js';
import { VERSION, auth, call, startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The official SDK (`@gohighlevel/api-client`) writing records against the real server:
 * `ghl.objects.createObjectRecord`, `updateObjectRecord`, `deleteObjectRecord`.
 *
 * Where the SDK puts `locationId` (dist/lib/code/objects/objects.js): createObjectRecord takes only
 * `schemaKey` as a parameter, so `locationId` travels in the request body the caller gives;
 * updateObjectRecord declares `locationId` as a query parameter (`?locationId=`); deleteObjectRecord
 * has no `locationId` at all. That is exactly the placement the contract requires, so a plain SDK
 * call works on all three; a `locationId` forced onto a delete through axios options is refused
 * (422) as the real service refuses it.
 *
 * Errors (dist/lib/errors.js): 400 and 422 become GHLValidationError, 401 GHLAuthenticationError,
 * 403 GHLForbiddenError, 404 GHLNotFoundError; `response` is the parsed body.
 */

const LOC = 'Sdk8LocationOne00001';
const OTHER_LOC = 'Sdk8LocationTwo00002';
const USER = 'sx6wyHhbFdRXh302Lunr';
const USER_2 = 'v5cEPM428h8vShlRW1KT';
const OBJ_PET = '6798a1a18fc746e0eba2ccfe';
const REC_PET = '661c06b4ffde146bdb469442';
const PIT = 'pit-8a0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d41';
const PIT_READ = 'pit-8b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d42';
const ID_PIT = '00000000-0000-4000-8000-00000000b001';
const ID_OAUTH_WRITE = '00000000-0000-4000-8000-00000000b002';

const FIXTURE = {
  locations: [
    {
      id: LOC,
      name: 'SDK Write Clinic',
      users: [{ id: USER, name: 'Ada Lovelace' }, { id: USER_2, name: 'Grace Hopper' }],
      tokens: [
        { type: 'private-integration', id: ID_PIT, token: PIT, scopes: ['objects/record.readonly', 'objects/record.write'] },
        { type: 'oauth', id: ID_OAUTH_WRITE, scopes: ['objects/record.readonly', 'objects/record.write'] },
        { type: 'oauth', scopes: ['objects/record.readonly'] },
        { type: 'private-integration', token: PIT_READ, scopes: ['objects/record.readonly'] },
      ],
      objects: [
        {
          key: 'custom_objects.pet',
          id: OBJ_PET,
          labels: { singular: 'Pet', plural: 'Pets' },
          fields: [
            { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
            { fieldKey: 'custom_objects.pet.weight_kg', name: 'Weight (kg)', dataType: 'NUMERICAL' },
            { fieldKey: 'custom_objects.pet.owner_phone', name: 'Owner phone', dataType: 'PHONE' },
            { fieldKey: 'custom_objects.pet.birthday', name: 'Birthday', dataType: 'DATE' },
            {
              fieldKey: 'custom_objects.pet.vaccines', name: 'Vaccines', dataType: 'CHECKBOX',
              options: [{ key: 'rabies', label: 'Rabies' }, { key: 'distemper', label: 'Distemper' }, { key: 'parvo', label: 'Parvovirus' }],
            },
            {
              fieldKey: 'custom_objects.pet.diet', name: 'Diet', dataType: 'TEXTBOX_LIST',
              options: [{ key: 'morning', label: 'Morning' }, { key: 'evening', label: 'Evening' }],
            },
            { fieldKey: 'custom_objects.pet.chip_id', name: 'Microchip ID', dataType: 'TEXT', unique: true },
          ],
        },
      ],
      records: [
        {
          objectKey: 'custom_objects.pet', id: REC_PET, owner: [USER], properties: { name: 'Rex', weight_kg: 30, chip_id: 'CHIP-REX' },
          dateAdded: '2024-07-11T10:00:00.000Z',
        },
      ],
    },
    { id: OTHER_LOC, name: 'Elsewhere' },
  ],
};

interface ApiRecord {
  id: string;
  owner: string[];
  followers: string[];
  properties: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  dateAdded: string;
  dateUpdated: string;
  locationId: string;
  objectId: string;
  objectKey: string;
  createdBy: { channel: string; source: string; sourceId: string; createdAt: string };
  lastUpdatedBy: { channel: string; source: string; sourceId: string; createdAt: string };
}

const validateRecord = dtoValidator('objects.json', 'RecordByIdResponseDTO');
const validateDelete = dtoValidator('objects.json', 'ObjectRecordDeleteResponseDTO');

let server: TestServer;
let oauthWrite: string;
let oauthRead: string;
let bizObjectId: string;

before(async () => {
  server = await startTestServer(FIXTURE);
  const oauth = server.tokens.filter((t) => t.type === 'oauth');
  oauthWrite = oauth[0]!.token;
  oauthRead = oauth[1]!.token;
  const biz = (await server.app.services.store.listObjects(LOC)).objects.find((o) => o.key === 'business');
  assert.ok(biz);
  bizObjectId = biz.id;
});
after(() => server?.close());

interface Sent {
  method: string | undefined;
  url: string | undefined;
  params: unknown;
  data: unknown;
  authorization: unknown;
  version: unknown;
}

/** The SDK as a user sets it up, pointed at our server; records what it sends. */
function sdk(config: ConstructorParameters<typeof HighLevel>[0]) {
  const ghl = new HighLevel({ logLevel: 'none', ...config });
  ghl.getHttpClient().defaults.baseURL = server.url;
  const sent: Sent[] = [];
  ghl.getHttpClient().interceptors.request.use((cfg) => {
    sent.push({
      method: cfg.method?.toUpperCase(),
      url: cfg.url,
      params: cfg.params,
      data: cfg.data,
      authorization: cfg.headers.get('Authorization'),
      version: cfg.headers.get('Version'),
    });
    return cfg;
  });
  return { ghl, sent };
}

const withPit = (token = PIT) => sdk({ privateIntegrationToken: token, apiVersion: VERSION });
const withOauth = (token: string) => sdk({ clientId: 'sdk-test-client', clientSecret: 'unused', locationAccessToken: token, apiVersion: VERSION });

/** The rejection of `promise`: a GHLError of `type` carrying exactly `body`. */
async function sdkError<T extends GHLError>(promise: Promise<unknown>, type: new (...args: never[]) => T, status: number, body: { message: string | readonly string[]; [extra: string]: unknown }): Promise<T> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.equal(caught.statusCode, status);
  assert.deepEqual(caught.response, body, 'the body the server sent, parsed');
  assert.equal(caught.message, Array.isArray(body.message) ? body.message.join(', ') : body.message);
  return caught;
}

const recordOf = (answer: unknown): ApiRecord => {
  assert.deepEqual(validateRecord(answer), []);
  return (answer as { record: ApiRecord }).record;
};

function duplicate(fieldName: string, value: string, field: string) {
  const message = `A record with the same value for ${fieldName} - ${value} already exists.`;
  return { statusCode: 400, message, errors: [{ errorCode: 'duplicate_record', message, field }] };
}
const v422 = (...message: string[]) => ({ statusCode: 422, message, error: 'Unprocessable Entity' });

/** The stored record as GET answers it, as text, for byte comparisons. */
async function storedText(id: string): Promise<string> {
  const res = await call(`${server.url}/objects/custom_objects.pet/records/${id}`, { headers: auth(PIT) });
  assert.equal(res.status, 200);
  return res.text;
}

test('SDK createObjectRecord: locationId in the body, no query; 201 answer readable with getRecordById', async () => {
  const { ghl, sent } = withPit();
  const t0 = Date.now();
  const answer = await ghl.objects.createObjectRecord(
    { schemaKey: 'custom_objects.pet' },
    { locationId: LOC, owner: [USER], followers: [USER, USER_2], properties: { name: 'Bella', owner_phone: '+1 (415) 555-0123', birthday: '2024-03-10T23:30:00-05:00', 'diet.morning': 'Kibble', vaccines: ['rabies'] } },
  );
  const r = recordOf(answer);
  assert.deepEqual(r.properties, { name: 'Bella', owner_phone: '+14155550123', birthday: '2024-03-11', 'diet.morning': 'Kibble', vaccines: ['rabies'] });
  assert.deepEqual([r.owner, r.followers], [[USER], [USER, USER_2]]);
  assert.deepEqual([r.locationId, r.objectId, r.objectKey], [LOC, OBJ_PET, 'custom_objects.pet']);
  assert.ok(Date.parse(r.createdAt) >= t0 && r.updatedAt === r.createdAt);
  assert.deepEqual(r.createdBy, { channel: 'API', source: 'INTEGRATION', sourceId: ID_PIT, createdAt: r.createdAt });
  assert.deepEqual(r.lastUpdatedBy, r.createdBy);

  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.method, 'POST');
  assert.equal(sent[0]!.url, '/objects/custom_objects.pet/records');
  assert.ok(sent[0]!.params === undefined || Object.keys(sent[0]!.params as object).length === 0, 'no query parameters');
  assert.equal((sent[0]!.data as { locationId: string }).locationId, LOC);
  assert.equal(sent[0]!.authorization, `Bearer ${PIT}`);
  assert.equal(sent[0]!.version, VERSION);

  assert.deepEqual(await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: r.id }), answer);
});

test('SDK createObjectRecord by object id and for business', async () => {
  const { ghl } = withPit();
  const byId = recordOf(await ghl.objects.createObjectRecord({ schemaKey: OBJ_PET }, { locationId: LOC, properties: { name: 'By id' } }));
  assert.equal(byId.objectKey, 'custom_objects.pet');
  const biz = recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'business' }, { locationId: LOC, followers: [USER], properties: { name: 'Vet Supplies', email: 'vet@example.com' } }));
  assert.deepEqual([biz.objectKey, biz.objectId, biz.owner, biz.followers], ['business', bizObjectId, [], [USER]]);
  assert.deepEqual((await ghl.objects.getRecordById({ schemaKey: 'business', id: biz.id })).record, biz);
  const biz2 = recordOf(await ghl.objects.createObjectRecord({ schemaKey: bizObjectId }, { locationId: LOC, properties: { name: 'By business id' } }));
  assert.equal(biz2.objectKey, 'business');
});

test('SDK updateObjectRecord: locationId in the query; merges, {add, remove}, null clears; updatedAt moves', async () => {
  const { ghl, sent } = withPit();
  const r0 = recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { name: 'Merge', weight_kg: 4, vaccines: ['rabies', 'parvo'], 'diet.morning': 'Eggs' } }));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const answer = await ghl.objects.updateObjectRecord(
    { schemaKey: 'custom_objects.pet', id: r0.id, locationId: LOC },
    { properties: { weight_kg: 4.5, vaccines: { add: ['distemper'], remove: ['rabies'] }, 'diet.morning': null, 'diet.evening': 'Fish' } },
  );
  const r1 = recordOf(answer);
  assert.deepEqual(r1.properties, { name: 'Merge', weight_kg: 4.5, vaccines: ['parvo', 'distemper'], 'diet.evening': 'Fish' });
  assert.equal(r1.createdAt, r0.createdAt);
  assert.ok(r1.updatedAt > r0.updatedAt);
  assert.deepEqual(r1.createdBy, r0.createdBy);
  assert.equal(r1.lastUpdatedBy.createdAt, r1.updatedAt);

  const put = sent.at(-1)!;
  assert.equal(put.method, 'PUT');
  assert.equal(put.url, `/objects/custom_objects.pet/records/${r0.id}`);
  assert.deepEqual(put.params, { locationId: LOC });
  assert.ok(!('locationId' in (put.data as object)), 'no locationId in the body');

  assert.deepEqual(await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: r0.id }), answer);
  // by object id too
  const r2 = recordOf(await ghl.objects.updateObjectRecord({ schemaKey: OBJ_PET, id: r0.id, locationId: LOC }, { owner: [USER_2] }));
  assert.deepEqual([r2.owner, r2.properties], [[USER_2], r1.properties]);
});

test('SDK deleteObjectRecord: no locationId anywhere; {id, success: true}; then not found', async () => {
  const { ghl, sent } = withPit();
  const r = recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { name: 'Doomed', chip_id: 'CHIP-DOOMED' } }));
  const answer = await ghl.objects.deleteObjectRecord({ schemaKey: 'custom_objects.pet', id: r.id });
  assert.deepEqual(answer, { id: r.id, success: true });
  assert.deepEqual(validateDelete(answer), []);
  const del = sent.at(-1)!;
  assert.equal(del.method, 'DELETE');
  assert.equal(del.url, `/objects/custom_objects.pet/records/${r.id}`);
  assert.ok(del.params === undefined || Object.keys(del.params as object).length === 0);
  assert.equal(del.data, undefined);

  await sdkError(ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: r.id }), GHLNotFoundError, 404, E.recordNotFound);
  await sdkError(ghl.objects.deleteObjectRecord({ schemaKey: 'custom_objects.pet', id: r.id }), GHLNotFoundError, 404, E.recordNotFound);
  // its unique value is free again
  recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { chip_id: 'CHIP-DOOMED' } }));
  // business by its object id
  const biz = recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'business' }, { locationId: LOC, properties: { name: 'Gone Ltd' } }));
  assert.deepEqual(await ghl.objects.deleteObjectRecord({ schemaKey: bizObjectId, id: biz.id }), { id: biz.id, success: true });
});

test('SDK: a locationId forced onto a delete through axios options is refused (422), and the record stays', async () => {
  const { ghl } = withPit();
  const r = recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { name: 'Stays' } }));
  await sdkError(ghl.objects.deleteObjectRecord({ schemaKey: 'custom_objects.pet', id: r.id }, { params: { locationId: LOC } }), GHLValidationError, 422, v422('property locationId should not exist'));
  assert.deepEqual((await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: r.id })).record, r);
});

test('SDK with an OAuth location token that has record.write: writes are attributed to its id', async () => {
  const { ghl, sent } = withOauth(oauthWrite);
  const r = recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { name: 'OAuth pet' } }));
  assert.equal(r.createdBy.sourceId, ID_OAUTH_WRITE);
  assert.equal(sent[0]!.authorization, `Bearer ${oauthWrite}`);
  const { ghl: pitClient } = withPit();
  const r1 = recordOf(await pitClient.objects.updateObjectRecord({ schemaKey: 'custom_objects.pet', id: r.id, locationId: LOC }, { properties: { weight_kg: 2 } }));
  assert.equal(r1.createdBy.sourceId, ID_OAUTH_WRITE);
  assert.equal(r1.lastUpdatedBy.sourceId, ID_PIT);
  assert.deepEqual(await ghl.objects.deleteObjectRecord({ schemaKey: 'custom_objects.pet', id: r.id }), { id: r.id, success: true });
});

test('SDK: tokens without record.write get GHLAuthenticationError with the scope body, and nothing is written', async () => {
  const before = await storedText(REC_PET);
  for (const { ghl } of [withOauth(oauthRead), withPit(PIT_READ)]) {
    await sdkError(ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { name: 'x' } }), GHLAuthenticationError, 401, E.scopeMissing);
    await sdkError(ghl.objects.updateObjectRecord({ schemaKey: 'custom_objects.pet', id: REC_PET, locationId: LOC }, { properties: { name: 'x' } }), GHLAuthenticationError, 401, E.scopeMissing);
    await sdkError(ghl.objects.deleteObjectRecord({ schemaKey: 'custom_objects.pet', id: REC_PET }), GHLAuthenticationError, 401, E.scopeMissing);
  }
  assert.equal(await storedText(REC_PET), before);
});

test('SDK: placement and location errors surface with the contract bodies', async () => {
  const { ghl } = withPit();
  const before = await storedText(REC_PET);
  await sdkError(
    ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { properties: { name: 'No location' } }),
    GHLValidationError, 400, { statusCode: 400, message: 'LocationId is not specified', error: 'Bad Request' },
  );
  await sdkError(ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: OTHER_LOC, properties: { name: 'x' } }), GHLForbiddenError, 403, E.locationForbidden);
  await sdkError(ghl.objects.updateObjectRecord({ schemaKey: 'custom_objects.pet', id: REC_PET, locationId: OTHER_LOC }, { properties: { name: 'x' } }), GHLForbiddenError, 403, E.locationForbidden);
  await sdkError(
    ghl.objects.updateObjectRecord({ schemaKey: 'custom_objects.pet', id: REC_PET, locationId: LOC }, { locationId: LOC, properties: { name: 'x' } }),
    GHLValidationError, 422, v422('property locationId should not exist'),
  );
  await sdkError(ghl.objects.createObjectRecord({ schemaKey: 'contact' }, { locationId: LOC, properties: {} }), GHLValidationError, 400, E.unsupportedObject);
  await sdkError(ghl.objects.updateObjectRecord({ schemaKey: 'custom_objects.pet', id: '661c06b4ffde146bdb46ffff', locationId: LOC }, { properties: {} }), GHLNotFoundError, 404, E.recordNotFound);
  assert.equal(await storedText(REC_PET), before);
});

test('SDK: property validation is a GHLValidationError (422) listing every problem; nothing changes', async () => {
  const { ghl } = withPit();
  const before = await storedText(REC_PET);
  await sdkError(
    ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { name: 5, weight_kg: '30', colour: 'brown' } }),
    GHLValidationError, 422, v422('properties.name must be a string', 'properties.weight_kg must be a number', 'properties.colour is not a field of custom_objects.pet'),
  );
  await sdkError(
    ghl.objects.updateObjectRecord({ schemaKey: 'custom_objects.pet', id: REC_PET, locationId: LOC }, { properties: { name: 'Renamed', vaccines: 'rabies' } }),
    GHLValidationError, 422, v422('properties.vaccines must be an array of option keys, not a string'),
  );
  await sdkError(
    ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, createdAt: '2020-01-01T00:00:00.000Z', properties: {} }),
    GHLValidationError, 422, v422('property createdAt should not exist'),
  );
  assert.equal(await storedText(REC_PET), before);
});

test('SDK: a unique conflict is a GHLValidationError (400) carrying the duplicate_record errors', async () => {
  const { ghl } = withPit();
  const err = await sdkError(
    ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { name: 'Rex II', chip_id: 'CHIP-REX' } }),
    GHLValidationError, 400, duplicate('Microchip ID', 'CHIP-REX', 'chip_id'),
  );
  assert.equal(err.code, 'VALIDATION');
  const other = recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { chip_id: 'CHIP-SDK' } }));
  const before = await storedText(other.id);
  await sdkError(
    ghl.objects.updateObjectRecord({ schemaKey: 'custom_objects.pet', id: other.id, locationId: LOC }, { properties: { name: 'Copy', chip_id: 'CHIP-REX' } }),
    GHLValidationError, 400, duplicate('Microchip ID', 'CHIP-REX', 'chip_id'),
  );
  assert.equal(await storedText(other.id), before);
});

test('SDK: concurrent creates with one unique value: exactly one succeeds; concurrent updates all survive', async () => {
  const { ghl } = withPit();
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) => ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { name: `Racer ${i}`, chip_id: 'CHIP-SDK-RACE' } })),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) {
    if (r.status === 'rejected') {
      assert.ok(r.reason instanceof GHLValidationError);
      assert.deepEqual(r.reason.response, duplicate('Microchip ID', 'CHIP-SDK-RACE', 'chip_id'));
    }
  }

  const r0 = recordOf(await ghl.objects.createObjectRecord({ schemaKey: 'custom_objects.pet' }, { locationId: LOC, properties: { vaccines: [] } }));
  const patches: Array<Record<string, unknown>> = [
    { name: 'Busy' }, { weight_kg: 3 }, { owner_phone: '+917000000003' }, { birthday: '2021-01-01' }, { 'diet.morning': 'Hay' }, { 'diet.evening': 'Oats' },
    { vaccines: { add: ['rabies'] } }, { vaccines: { add: ['parvo'] } }, { vaccines: { add: ['distemper'] } }, { chip_id: 'CHIP-BUSY' },
  ];
  await Promise.all(patches.map((properties) => ghl.objects.updateObjectRecord({ schemaKey: 'custom_objects.pet', id: r0.id, locationId: LOC }, { properties })));
  const final = recordOf(await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: r0.id }));
  const { vaccines, ...rest } = final.properties;
  assert.deepEqual(rest, { name: 'Busy', weight_kg: 3, owner_phone: '+917000000003', birthday: '2021-01-01', 'diet.morning': 'Hay', 'diet.evening': 'Oats', chip_id: 'CHIP-BUSY' });
  assert.deepEqual([...(vaccines as string[])].sort(), ['distemper', 'parvo', 'rabies']);
});
