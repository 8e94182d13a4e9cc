import { GHLForbiddenError, GHLValidationError, HighLevel } from '@gohighlevel/api-client';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { contractErrors as E } from '../helpers/contract-errors.js';
import { dtoValidator } from '../helpers/spec-dto.js';
import { VERSION, startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The official SDK (`@gohighlevel/api-client`) searching records against the real server:
 * `ghl.objects.searchObjectRecords({ schemaKey }, body)`, a filtered and sorted search followed
 * page by page through `searchAfter` to the end, as a client written for
 * services.leadconnectorhq.com does.
 *
 * The SDK's `SearchRecordsBody` type knows only locationId, page, pageLimit, query and
 * searchAfter (string[]); filters and sort are sent all the same (axios sends the object as JSON),
 * so the body is typed through a cast, as a TypeScript user of the SDK has to.
 */

const LOC = 'Sdk8LocationOne00001';
const OTHER_LOC = 'Sdk8LocationTwo00002';
const OBJ_PET = '6798a1a18fc746e0eba2ce01';
const PIT = 'pit-8a0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d51';
const PIT_OTHER = 'pit-8b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d52';

const id = (tail: string) => `6660a0b0c0d0e0f0a1b2${tail}`;
/** name, weight, species, tags; `idTail` picked so that id order differs from name order. */
const PETS: Array<{ idTail: string; name: string; weight?: number; species?: string; tags?: string[] }> = [
  { idTail: '0a01', name: 'Rex', weight: 31.5, species: 'dog', tags: ['chicken'] },
  { idTail: '0003', name: 'Bella', weight: 4.2, species: 'cat', tags: ['chicken', 'pollen'] },
  { idTail: '0c02', name: 'Max', weight: 31.5, species: 'dog' },
  { idTail: '0b04', name: 'Luna', weight: 3.9, species: 'cat' },
  { idTail: '0e05', name: 'Charlie', species: 'dog' },
  { idTail: '0f06', name: 'Cooper', weight: 45, species: 'dog', tags: ['pollen'] },
  { idTail: '0107', name: 'Milo', weight: 5, species: 'cat', tags: ['chicken'] },
  { idTail: '0008', name: 'Bailey', weight: 31.5, species: 'dog' },
  { idTail: '0d09', name: 'Daisy', weight: 2.5, species: 'rabbit' },
  { idTail: '0210', name: 'Tucker', weight: 33, species: 'dog' },
  { idTail: '0311', name: 'Oliver' },
  { idTail: '0412', name: 'Bear', weight: 60, species: 'dog', tags: ['chicken'] },
  { idTail: '0513', name: 'Zoe', weight: 0, species: 'cat' },
];

const FIXTURE = {
  locations: [
    {
      id: LOC,
      name: 'SDK Search Clinic',
      tokens: [{ type: 'private-integration', token: PIT, scopes: ['objects/record.readonly'] }],
      objects: [
        {
          key: 'custom_objects.pet', id: OBJ_PET, labels: { singular: 'Pet', plural: 'Pets' },
          fields: [
            { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
            { fieldKey: 'custom_objects.pet.weight', name: 'Weight', dataType: 'NUMERICAL' },
            {
              fieldKey: 'custom_objects.pet.species', name: 'Species', dataType: 'SINGLE_OPTIONS',
              options: [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }, { key: 'rabbit', label: 'Rabbit' }],
            },
            {
              fieldKey: 'custom_objects.pet.tags', name: 'Allergies', dataType: 'MULTIPLE_OPTIONS',
              options: [{ key: 'chicken', label: 'Chicken' }, { key: 'pollen', label: 'Pollen' }],
            },
          ],
        },
      ],
      records: PETS.map((p, i) => {
        const { idTail, ...properties } = p;
        return { objectKey: 'custom_objects.pet', id: id(idTail), properties, dateAdded: new Date(Date.UTC(2024, 0, 1 + i, 10)).toISOString() };
      }),
    },
    {
      id: OTHER_LOC,
      name: 'Elsewhere',
      tokens: [{ type: 'private-integration', token: PIT_OTHER, scopes: ['objects/record.readonly'] }],
      objects: [{ key: 'custom_objects.pet', labels: { singular: 'Pet', plural: 'Pets' }, fields: [{ fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' }] }],
      records: [{ objectKey: 'custom_objects.pet', id: id('0f99'), properties: { name: 'Rex' } }],
    },
  ],
};

type SearchBody = Parameters<HighLevel['objects']['searchObjectRecords']>[1];
interface FoundRecord {
  id: string;
  properties: Record<string, unknown>;
  searchAfter: Array<string | number | null>;
  [k: string]: unknown;
}
interface Found {
  records: FoundRecord[];
  total: number;
}

const validateSearch = dtoValidator('objects.json', 'SearchRecordResponseDTO');

let server: TestServer;
before(async () => {
  server = await startTestServer(FIXTURE);
});
after(() => server?.close());

/** The SDK as a user sets it up, pointed at the test server; records what it sends. */
function sdk(token = PIT) {
  const ghl = new HighLevel({ privateIntegrationToken: token, apiVersion: VERSION, logLevel: 'none' });
  ghl.getHttpClient().defaults.baseURL = server.url;
  const sent: Array<{ method: string | undefined; url: string | undefined; authorization: unknown; version: unknown; data: unknown }> = [];
  ghl.getHttpClient().interceptors.request.use((cfg) => {
    sent.push({ method: cfg.method, url: cfg.url, authorization: cfg.headers.get('Authorization'), version: cfg.headers.get('Version'), data: cfg.data });
    return cfg;
  });
  return { ghl, sent };
}

async function searchWith(ghl: HighLevel, body: Record<string, unknown>): Promise<Found> {
  const answer = (await ghl.objects.searchObjectRecords({ schemaKey: 'custom_objects.pet' }, body as unknown as SearchBody)) as unknown as Found;
  assert.deepEqual(validateSearch(answer), []);
  return answer;
}

/** Dogs, or anything allergic to chicken; heaviest first, then by name; the one without a weight last. */
const FILTERS = [{ group: 'OR', filters: [{ field: 'properties.species', operator: 'eq', value: 'dog' }, { field: 'properties.tags', operator: 'eq', value: 'chicken' }] }];
const SORT = [{ field: 'properties.weight', direction: 'desc' }, { field: 'properties.name', direction: 'asc' }];
// Written out by hand: Bear 60, Cooper 45, Tucker 33, then 31.5 by name (Bailey, Max, Rex), Milo 5, Bella 4.2, Charlie (no weight).
const EXPECTED = ['Bear', 'Cooper', 'Tucker', 'Bailey', 'Max', 'Rex', 'Milo', 'Bella', 'Charlie'];

test('SDK: a filtered, sorted search followed through searchAfter to the end', async () => {
  const { ghl, sent } = sdk();
  const pageLimit = 2;
  const names: string[] = [];
  let searchAfter: Array<string | number | null> | undefined;
  let pages = 0;
  for (;;) {
    const body = { locationId: LOC, page: 1, pageLimit, query: '', filters: FILTERS, sort: SORT, ...(searchAfter ? { searchAfter } : {}) };
    const found = await searchWith(ghl, body);
    pages++;
    assert.equal(found.total, EXPECTED.length, 'total is every match, on every page');
    assert.ok(found.records.length <= pageLimit);
    names.push(...found.records.map((r) => r.properties.name as string));
    if (found.records.length < pageLimit) break;
    searchAfter = found.records.at(-1)!.searchAfter;
    assert.ok(pages < 20, 'the walk ends');
  }
  assert.deepEqual(names, EXPECTED);
  assert.equal(pages, 5, 'four full pages and a short one');

  // What the SDK sent: POST to the search path with the contract's headers and the body as given.
  assert.equal(sent.length, pages);
  for (const s of sent) {
    assert.equal(s.method, 'post');
    assert.equal(s.url, '/objects/custom_objects.pet/records/search');
    assert.equal(s.authorization, `Bearer ${PIT}`);
    assert.equal(s.version, VERSION);
  }
  // The second request continues after Cooper (weight 45): its searchAfter is Cooper's sort values, then its id.
  assert.deepEqual(sent[1]!.data, { locationId: LOC, page: 1, pageLimit, query: '', filters: FILTERS, sort: SORT, searchAfter: [45, 'Cooper', id('0f06')] });
});

test('SDK: the walk equals one big page, and each record equals getRecordById plus its searchAfter', async () => {
  const { ghl } = sdk();
  const big = await searchWith(ghl, { locationId: LOC, page: 1, pageLimit: 100, filters: FILTERS, sort: SORT });
  assert.deepEqual(big.records.map((r) => r.properties.name), EXPECTED);
  assert.equal(big.total, EXPECTED.length);
  for (const r of big.records) {
    const { record } = (await ghl.objects.getRecordById({ schemaKey: 'custom_objects.pet', id: r.id })) as unknown as { record: Record<string, unknown> & { properties: Record<string, unknown> } };
    const weight = record.properties.weight;
    const name = record.properties.name;
    assert.deepEqual(r, { ...record, searchAfter: [weight === undefined ? null : (weight as number), name as string, r.id] });
  }
  assert.ok(!big.records.some((r) => r.id === id('0f99')), 'never a record of another location');
});

test('SDK: page-based paging and the query free text', async () => {
  const { ghl } = sdk();
  const names: string[] = [];
  for (let page = 1; page <= 3; page++) {
    const found = await searchWith(ghl, { locationId: LOC, page, pageLimit: 4, query: '', filters: FILTERS, sort: SORT });
    assert.equal(found.total, EXPECTED.length);
    names.push(...found.records.map((r) => r.properties.name as string));
  }
  assert.deepEqual(names, EXPECTED);
  const rex = await searchWith(ghl, { locationId: LOC, page: 1, pageLimit: 10, query: 'REX', searchAfter: [] });
  assert.deepEqual(rex.records.map((r) => r.id), [id('0a01')]);
  assert.equal(rex.total, 1);
});

test('SDK: refusals surface as GHLError subclasses carrying the contract body', async () => {
  const { ghl } = sdk();
  let caught: unknown;
  try {
    await searchWith(ghl, { locationId: LOC, page: 1, pageLimit: 10, filters: [{ field: 'oid', operator: 'eq', value: 'x' }] });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof GHLValidationError, String(caught));
  assert.equal(caught.statusCode, 422);
  assert.deepEqual(caught.response, {
    statusCode: 422,
    message: ['filters.0.field "oid" is not a field of custom_objects.pet: use properties.<key>, createdAt or updatedAt'],
    error: 'Unprocessable Entity',
  });

  caught = undefined;
  try {
    await searchWith(sdk(PIT_OTHER).ghl, { locationId: LOC, page: 1, pageLimit: 10 });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof GHLForbiddenError, String(caught));
  assert.equal(caught.statusCode, 403);
  assert.deepEqual(caught.response, E.locationForbidden);
});
