import { GHLAuthenticationError, GHLError, GHLForbiddenError, GHLNotFoundError, GHLValidationError, HighLevel } from '@gohighlevel/api-client';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { contractErrors as E } from '../helpers/contract-errors.js';
import { dtoValidator } from '../helpers/spec-dto.js';
import { VERSION, startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The official SDK (`@gohighlevel/api-client`) against the real server: a client written for
 * services.leadconnectorhq.com must work by changing only its base URL.
 *
 * How the SDK picks a token (dist/lib/HighLevel.js, getTokenForSecurity): a configured
 * privateIntegrationToken always wins; otherwise, for the "bearer" requirement of the Objects
 * endpoints, agencyAccessToken, then locationAccessToken, then its session storage. Its config
 * must carry either privateIntegrationToken or clientId + clientSecret, so an OAuth-only client
 * gives placeholder client credentials (never used for a plain read).
 *
 * Errors (dist/lib/errors.js): every non-2xx becomes a GHLError subclass by status
 * (401 GHLAuthenticationError, 403 GHLForbiddenError, 404 GHLNotFoundError, 400/422
 * GHLValidationError) with `statusCode`, `response` (the parsed body), `code`, and `message`
 * taken from the body's `message` (an array joined with ', ').
 */

const LOC = 'Sdk7LocationOne00001';
const OTHER_LOC = 'Sdk7LocationTwo00002';
const USER = 'sx6wyHhbFdRXh302Lunr';
const OBJ_PET = '6798a1a18fc746e0eba2ccfe';
const REC_PET = '661c06b4ffde146bdb469442';
const BIZ = '66a0f1c2d3e4f5a6b7c8d9e0';
const NO_SUCH_RECORD = '661c06b4ffde146bdb46ffff';
const PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const PIT_REVOKED = 'pit-1b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d12';

const FIXTURE = {
  locations: [
    {
      id: LOC,
      name: 'SDK Clinic',
      users: [{ id: USER, name: 'Ada Lovelace' }],
      tokens: [
        { type: 'private-integration', token: PIT, scopes: ['objects/record.readonly'] },
        { type: 'oauth', scopes: ['objects/record.readonly'] },
        { type: 'private-integration', token: PIT_REVOKED, scopes: ['objects/record.readonly'], revoked: true },
      ],
      objects: [
        {
          key: 'custom_objects.pet',
          id: OBJ_PET,
          labels: { singular: 'Pet', plural: 'Pets' },
          fields: [
            { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
            { fieldKey: 'custom_objects.pet.balance', name: 'Balance', dataType: 'MONETORY' },
            {
              fieldKey: 'custom_objects.pet.diet', name: 'Diet', dataType: 'TEXTBOX_LIST',
              options: [{ key: 'morning', label: 'Morning' }],
            },
          ],
        },
      ],
      records: [
        {
          objectKey: 'custom_objects.pet',
          id: REC_PET,
          owner: [USER],
          followers: [USER],
          properties: { name: 'Rex', balance: { value: 100 }, 'diet.morning': 'Dry food' },
          dateAdded: '2024-07-11T10:00:00.000Z',
          dateUpdated: '2024-07-12T08:30:00.000Z',
        },
        { objectKey: 'business', id: BIZ, properties: { name: 'Happy Paws', phone: '+1 415 555 0123' }, dateAdded: '2024-06-01T12:00:00.000Z' },
      ],
    },
    { id: OTHER_LOC, name: 'Elsewhere' },
  ],
};

const actor = (createdAt: string) => ({ channel: 'API', source: 'FIXTURE', sourceId: 'fixture', createdAt });

const PET_BODY = {
  record: {
    id: REC_PET,
    owner: [USER],
    followers: [USER],
    properties: { name: 'Rex', balance: { currency: 'default', value: 100 }, 'diet.morning': 'Dry food' },
    dateAdded: '2024-07-11T10:00:00.000Z',
    dateUpdated: '2024-07-12T08:30:00.000Z',
    createdAt: '2024-07-11T10:00:00.000Z',
    updatedAt: '2024-07-12T08:30:00.000Z',
    locationId: LOC,
    objectId: OBJ_PET,
    objectKey: 'custom_objects.pet',
    createdBy: actor('2024-07-11T10:00:00.000Z'),
    lastUpdatedBy: actor('2024-07-12T08:30:00.000Z'),
  },
};

const validateRecordDto = dtoValidator('objects.json', 'RecordByIdResponseDTO');

let server: TestServer;
let oauth: string;
let bizObjectId: string;

before(async () => {
  server = await startTestServer(FIXTURE);
  assert.equal(server.tokens[1]?.type, 'oauth');
  oauth = server.tokens[1]!.token;
  const biz = (await server.app.services.store.listObjects(LOC)).objects.find((o) => o.key === 'business');
  assert.ok(biz);
  bizObjectId = biz.id;
});
after(() => server?.close());

/** The SDK as a user sets it up, pointed at `baseURL`; records the Authorization and Version it sends. */
function sdk(config: ConstructorParameters<typeof HighLevel>[0], baseURL = server.url) {
  const ghl = new HighLevel({ logLevel: 'none', ...config });
  ghl.getHttpClient().defaults.baseURL = baseURL;
  const sent: Array<{ authorization: unknown; version: unknown; url: string | undefined }> = [];
  ghl.getHttpClient().interceptors.request.use((cfg) => {
    sent.push({ authorization: cfg.headers.get('Authorization'), version: cfg.headers.get('Version'), url: cfg.url });
    return cfg;
  });
  return { ghl, sent };
}

const withPit = (token = PIT) => sdk({ privateIntegrationToken: token, apiVersion: VERSION });
const withOauth = () => sdk({ clientId: 'sdk-test-client', clientSecret: 'unused', locationAccessToken: oauth, apiVersion: VERSION });

/** The rejection of `promise`, which must be a GHLError of `type` carrying the contract's body. */
async function sdkError<T extends GHLError>(promise: Promise<unknown>, type: new (...args: never[]) => T, status: number, body: { message: string | readonly string[] }): Promise<T> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.equal(caught.name, 'GHLError');
  assert.equal(caught.statusCode, status);
  assert.deepEqual(caught.response, body, 'the body the server sent, parsed');
  assert.equal(caught.message, Array.isArray(body.message) ? body.message.join(', ') : body.message);
  return caught;
}

test('SDK with a Private Integration Token reads a custom-object record', async () => {
  const { ghl, sent } = withPit();
  const answer = await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET });
  assert.deepEqual(answer, PET_BODY);
  assert.deepEqual(validateRecordDto(answer), []);
  assert.deepEqual(sent, [{ authorization: `Bearer ${PIT}`, version: VERSION, url: `/objects/custom_objects.pet/records/${REC_PET}` }]);
});

test('SDK reads a business record (owner []) and a record by its object id', async () => {
  const { ghl } = withPit();
  const biz = await ghl.objects.getRecordById({ schemaKey: 'business', id: BIZ });
  assert.deepEqual(biz, {
    record: {
      id: BIZ,
      owner: [],
      followers: [],
      properties: { name: 'Happy Paws', phone: '+14155550123' },
      dateAdded: '2024-06-01T12:00:00.000Z',
      dateUpdated: '2024-06-01T12:00:00.000Z',
      createdAt: '2024-06-01T12:00:00.000Z',
      updatedAt: '2024-06-01T12:00:00.000Z',
      locationId: LOC,
      objectId: bizObjectId,
      objectKey: 'business',
      createdBy: actor('2024-06-01T12:00:00.000Z'),
      lastUpdatedBy: actor('2024-06-01T12:00:00.000Z'),
    },
  });
  assert.deepEqual(validateRecordDto(biz), []);
  assert.deepEqual(await ghl.objects.getRecordById({ schemaKey: OBJ_PET, id: REC_PET }), PET_BODY);
});

test('SDK with an OAuth location access token (locationAccessToken) reads the same record', async () => {
  const { ghl, sent } = withOauth();
  const answer = await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET });
  assert.deepEqual(answer, PET_BODY);
  assert.deepEqual(validateRecordDto(answer), []);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.authorization, `Bearer ${oauth}`, 'the SDK sent the OAuth token');
});

test('SDK: an unknown record surfaces as GHLNotFoundError with the contract body (PIT and OAuth)', async () => {
  for (const { ghl } of [withPit(), withOauth()]) {
    const err = await sdkError(ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: NO_SUCH_RECORD }), GHLNotFoundError, 404, E.recordNotFound);
    assert.equal(err.code, 'NOT_FOUND');
  }
});

test('SDK: an unknown object surfaces as GHLNotFoundError naming it', async () => {
  const { ghl } = withPit();
  await sdkError(ghl.objects.getRecordById({ schemaKey: 'custom_objects.nope', id: REC_PET }), GHLNotFoundError, 404, E.objectNotFound('custom_objects.nope'));
});

test('SDK: a malformed id and contact surface as GHLValidationError (400)', async () => {
  const { ghl } = withPit();
  const err = await sdkError(ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: 'nope' }), GHLValidationError, 400, E.badObjectId('id'));
  assert.equal(err.message, 'id must be a mongodb id');
  await sdkError(ghl.objects.getRecordById({ schemaKey: 'contact', id: REC_PET }), GHLValidationError, 400, E.unsupportedObject);
});

test('SDK: a revoked or unknown token surfaces as GHLAuthenticationError, sent once (no refresh loop)', async () => {
  for (const token of [PIT_REVOKED, 'pit-9b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d19']) {
    const { ghl, sent } = withPit(token);
    await sdkError(ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET }), GHLAuthenticationError, 401, E.invalidToken);
    assert.equal(sent.length, 1);
  }
});

test('SDK: ?locationId= passed through axios options is checked against the token (200 own, 403 other)', async () => {
  const { ghl, sent } = withPit();
  assert.deepEqual(await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET }, { params: { locationId: LOC } }), PET_BODY);
  await sdkError(ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET }, { params: { locationId: OTHER_LOC } }), GHLForbiddenError, 403, E.locationForbidden);
  assert.equal(sent.length, 2);
});

test("SDK with its default Version (2023-02-21): refused by default, read with serve --versions accepting it", async () => {
  const { ghl, sent } = sdk({ privateIntegrationToken: PIT });
  await sdkError(ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET }), GHLAuthenticationError, 401, E.versionInvalid);
  assert.equal(sent[0]!.version, '2023-02-21');

  const lenient = await startTestServer(FIXTURE, { versions: `${VERSION},2023-02-21` });
  try {
    const { ghl: client } = sdk({ privateIntegrationToken: PIT }, lenient.url);
    assert.deepEqual(await client.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: REC_PET }), PET_BODY);
  } finally {
    await lenient.close();
  }
});
