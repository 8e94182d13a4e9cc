import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { contractErrors as E } from '../../helpers/contract-errors.js';
import { dtoValidator } from '../../helpers/spec-dto.js';
import { VERSION, auth, call, startTestServer, type Answer, type TestServer } from '../../helpers/test-server.js';

/**
 * `POST /objects/{schemaKey}/records/search` over real HTTP and a real SQLite file, against
 * CONTRACT.md ("Every request", "Errors") and highlevel-behavior.md §4, and the semantics written
 * down in src/services/search-plan.ts (negation holds for records lacking the property, missing
 * values sort last in either direction, ties broken by id ascending, `query` case-insensitive for
 * ASCII over the searchable properties).
 *
 * Every 201 body is checked against the spec's SearchRecordResponseDTO, and every record in it
 * against what Get Record By Id answers for it, plus its `searchAfter` (the sort values, then the
 * id), computed here from the record read back.
 *
 * Expected result sets are written out by hand from the fixture below (not computed by a model),
 * except the order of whole-object sorts, which `expectedOrder` derives with a plain comparator.
 */

// ---------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------

const LOC = 'Se1LocationAlpha0001';
const OTHER_LOC = 'Se2LocationBravo0002';
const UNKNOWN_LOC = 'Se9LocationNowhere09';

const OBJ_PET = '6798a1a18fc746e0eba2cd01';
const OBJ_TOY = '6798a1a18fc746e0eba2cd02';
const OBJ_PET_OTHER = '6798a1a18fc746e0eba2cd0b';

const PIT_READ = 'pit-5a0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d41';
const PIT_RW = 'pit-5b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d42';
const PIT_WRITE_ONLY = 'pit-5c0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d43';
const PIT_SCHEMA_ONLY = 'pit-5d0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d44';
const PIT_REVOKED = 'pit-5e0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d45';
const PIT_OTHER = 'pit-5f0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d46';
const PIT_UNKNOWN = 'pit-600e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d47';

const PET_FIELDS = [
  { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
  { fieldKey: 'custom_objects.pet.notes', name: 'Notes', dataType: 'LARGE_TEXT' },
  { fieldKey: 'custom_objects.pet.weight', name: 'Weight', dataType: 'NUMERICAL' },
  { fieldKey: 'custom_objects.pet.phone', name: 'Owner phone', dataType: 'PHONE' },
  { fieldKey: 'custom_objects.pet.email', name: 'Owner email', dataType: 'EMAIL' },
  { fieldKey: 'custom_objects.pet.price', name: 'Price', dataType: 'MONETORY' },
  {
    fieldKey: 'custom_objects.pet.vaccines', name: 'Vaccines', dataType: 'CHECKBOX',
    options: [{ key: 'rabies', label: 'Rabies' }, { key: 'distemper', label: 'Distemper' }, { key: 'parvo', label: 'Parvovirus' }],
  },
  {
    fieldKey: 'custom_objects.pet.species', name: 'Species', dataType: 'SINGLE_OPTIONS',
    options: [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }, { key: 'rabbit', label: 'Rabbit' }],
  },
  {
    fieldKey: 'custom_objects.pet.tags', name: 'Allergies', dataType: 'MULTIPLE_OPTIONS',
    options: [{ key: 'pollen', label: 'Pollen' }, { key: 'chicken', label: 'Chicken' }, { key: 'penicillin', label: 'Penicillin' }],
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
];

const day = (d: string, time = '10:00:00.000') => `2024-${d}T${time}Z`;
const TIE_UPDATED = '2024-03-01T12:00:00.000Z';
const xray = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `https://example.com/xrays/${i}.png`, name: `${i}.png` }));

interface Seed {
  label: string;
  /** The last four hex digits of the id: chosen so that id order is neither name nor fixture order. */
  idTail: string;
  properties: Record<string, unknown>;
  created: string;
  updated?: string;
}

/** Thirty pets; `label` is the name, or `(no name)` for the one without. */
const PETS: Seed[] = [
  {
    label: 'Rex', idTail: '0a10', created: day('01-05'), updated: TIE_UPDATED,
    properties: {
      name: 'Rex', notes: 'Neutered in 2022.', weight: 31.5, phone: '+917000000000', email: 'rex.owner@example.com',
      price: { currency: 'default', value: 100 }, vaccines: ['rabies', 'parvo'], species: 'dog', tags: ['chicken'], size: 'large',
      birthday: '2019-04-02', 'diet.morning': 'Dry food, 200 g', 'diet.evening': 'Wet food', xrays: xray(1),
    },
  },
  {
    label: 'Bella', idTail: '0f03', created: day('01-06'), updated: TIE_UPDATED,
    properties: { name: 'Bella', weight: 4.2, email: 'bella@rexhaven.com', price: { value: 250.5 }, vaccines: ['rabies'], species: 'cat', tags: ['pollen', 'chicken'], size: 'small', birthday: '2020-01-15' },
  },
  {
    label: 'Max', idTail: '0c22', created: day('01-07'), updated: day('02-10'),
    properties: { name: 'Max', weight: 31.5, price: { value: 100 }, vaccines: ['distemper'], species: 'dog', birthday: '2018-11-30', 'diet.morning': 'Raw meat' },
  },
  {
    label: 'Luna', idTail: '0301', created: day('01-08'), updated: '2024-03-05T00:00:00.000Z',
    properties: { name: 'Luna', weight: 3.9, email: 'luna@example.com', price: { value: 0 }, vaccines: [], species: 'cat', tags: ['penicillin'], birthday: '2021-06-01' },
  },
  { label: 'Charlie', idTail: '0e5a', created: day('01-09'), properties: { name: 'Charlie', price: { value: 75 }, species: 'dog', tags: [], birthday: '2019-12-31' } },
  { label: 'Lucy', idTail: '0777', created: day('02-01', '09:30:00.000'), properties: { name: 'Lucy', notes: 'Afraid of thunder', weight: 12, vaccines: ['rabies', 'distemper', 'parvo'], species: 'rabbit' } },
  {
    label: 'Cooper', idTail: '0b19', created: day('02-01', '09:30:00.000'), updated: TIE_UPDATED,
    properties: { name: 'Cooper', weight: 45, price: { value: 1200 }, species: 'dog', tags: ['pollen'], size: 'large', birthday: '2017-03-03', xrays: xray(2) },
  },
  { label: 'Daisy', idTail: '0042', created: day('02-02'), properties: { name: 'Daisy', weight: 2.5, price: { value: 30 }, species: 'rabbit', birthday: '2022-02-22' } },
  { label: 'Milo', idTail: '0d0d', created: day('02-03'), properties: { name: 'Milo', weight: 5, email: 'milo@example.org', price: { value: 60 }, species: 'cat', tags: ['chicken'] } },
  { label: 'Sadie', idTail: '0123', created: day('02-04'), properties: { name: 'Sadie', weight: 28, price: { value: 300 }, species: 'dog', birthday: '2020-07-04' } },
  { label: 'Oliver', idTail: '0999', created: day('02-05'), properties: { name: 'Oliver', notes: 'Stray, no records' } },
  {
    label: 'Bailey', idTail: '0005', created: day('02-06'),
    properties: { name: 'Bailey', weight: 31.5, price: { value: 99.99 }, species: 'dog', tags: ['chicken', 'penicillin'], birthday: '2019-04-02' },
  },
  { label: 'Lola', idTail: '0aaa', created: day('02-07'), properties: { name: 'Lola', weight: 4.2, price: { value: 250.5 }, species: 'cat' } },
  { label: 'Rocky', idTail: '0c01', created: day('02-08'), properties: { name: 'Rocky', weight: 38, price: { value: 500 }, vaccines: ['rabies'], species: 'dog' } },
  { label: 'Zoe', idTail: '0b00', created: day('02-09'), properties: { name: 'Zoe', weight: 0, price: { value: 10 }, species: 'cat' } },
  { label: 'Buddy', idTail: '0e01', created: day('02-10'), properties: { name: 'Buddy', weight: 22, email: 'buddy@example.com', price: { value: 150 }, species: 'dog' } },
  { label: 'Molly', idTail: '0f00', created: day('02-11'), properties: { name: 'Molly', weight: 19.5, price: { value: 80 }, species: 'dog' } },
  { label: 'Stella', idTail: '0111', created: day('02-12'), properties: { name: 'Stella', weight: 7, price: { value: 45 }, species: 'cat', size: 'tiny' } },
  { label: 'Tucker', idTail: '0d99', created: day('02-13'), properties: { name: 'Tucker', weight: 33, price: { value: 420 }, species: 'dog' } },
  { label: 'Bear', idTail: '0444', created: day('02-14'), properties: { name: 'Bear', weight: 60, price: { value: 2000 }, species: 'dog', birthday: '2016-01-01' } },
  { label: 'Duke', idTail: '0888', created: day('02-15'), properties: { name: 'Duke', weight: 41, price: { value: 700 }, species: 'dog' } },
  { label: 'Penny', idTail: '0666', created: day('02-16'), properties: { name: 'Penny', weight: 6.5, price: { value: 45 }, species: 'rabbit' } },
  { label: 'Rexford', idTail: '0222', created: day('02-17'), properties: { name: 'Rexford', weight: 27, email: 'rexford@example.com', price: { value: 130 }, species: 'dog' } },
  { label: 'T-Rex', idTail: '0555', created: day('02-18'), properties: { name: 'T-Rex', weight: 100, price: { value: 5000 }, tags: ['pollen'] } },
  { label: 'Éclair', idTail: '0333', created: day('02-19'), properties: { name: 'Éclair', weight: 3.1, price: { value: 20 }, species: 'cat' } },
  { label: 'Mr: Whiskers', idTail: '0c99', created: day('02-20'), properties: { name: 'Mr: Whiskers', weight: 5.5, species: 'cat' } },
  { label: 'Ginger', idTail: '0aab', created: day('02-21'), properties: { name: 'Ginger' } },
  { label: '(no name)', idTail: '0dd0', created: day('02-22'), properties: { weight: 15, species: 'dog' } },
  { label: 'Pepper', idTail: '0fff', created: day('02-23'), properties: { name: 'Pepper', weight: 9, price: { value: 45 }, vaccines: ['parvo'], species: 'cat' } },
  {
    label: 'Shadow', idTail: '0010', created: day('02-24'), updated: TIE_UPDATED,
    properties: { name: 'Shadow', weight: 24, price: { value: 210 }, species: 'dog', birthday: '2020-10-10' },
  },
];
const petId = (tail: string) => `6650a0b0c0d0e0f0a1b2${tail}`;
const ALL_PETS = PETS.map((p) => p.label);
const LABEL_OF = new Map(PETS.map((p) => [petId(p.idTail), p.label]));
const allBut = (...labels: string[]) => ALL_PETS.filter((l) => !labels.includes(l));

const BIZ_PAWS = '66b0f1c2d3e4f5a6b7c8d901';
const BIZ_REXFEED = '66b0f1c2d3e4f5a6b7c8d902';
const BIZ_VET = '66b0f1c2d3e4f5a6b7c8d903';
const BIZ_ACME = '66b0f1c2d3e4f5a6b7c8d904';
const BIZ_OTHER = '66b0f1c2d3e4f5a6b7c8d9b1';
const TOY_REX = '66c0f1c2d3e4f5a6b7c8d901';
const PET_OTHER_REX = '66d0f1c2d3e4f5a6b7c8d9b1';

const FIXTURE = {
  locations: [
    {
      id: LOC,
      name: 'Search Clinic',
      users: [{ id: 'sx6wyHhbFdRXh302Lunr', name: 'Ada Lovelace' }],
      tokens: [
        { type: 'private-integration', token: PIT_READ, scopes: ['objects/record.readonly'] },
        { type: 'private-integration', token: PIT_RW, scopes: ['objects/record.readonly', 'objects/record.write'] },
        { type: 'private-integration', token: PIT_WRITE_ONLY, scopes: ['objects/record.write'] },
        { type: 'private-integration', token: PIT_SCHEMA_ONLY, scopes: ['objects/schema.readonly', 'objects/schema.write'] },
        { type: 'private-integration', token: PIT_REVOKED, scopes: ['objects/record.readonly'], revoked: true },
        { type: 'oauth', scopes: ['objects/record.readonly'] },
      ],
      objects: [
        {
          key: 'custom_objects.pet', id: OBJ_PET, labels: { singular: 'Pet', plural: 'Pets' },
          primaryDisplayProperty: 'custom_objects.pet.name',
          searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.email', 'custom_objects.pet.weight'],
          fields: PET_FIELDS,
        },
        {
          key: 'custom_objects.toy', id: OBJ_TOY, labels: { singular: 'Toy', plural: 'Toys' },
          fields: [
            { fieldKey: 'custom_objects.toy.name', name: 'Name', dataType: 'TEXT' },
            { fieldKey: 'custom_objects.toy.price', name: 'Price', dataType: 'NUMERICAL' },
          ],
        },
        {
          key: 'business',
          fields: [{ fieldKey: 'business.tier', name: 'Tier', dataType: 'SINGLE_OPTIONS', options: [{ key: 'gold', label: 'Gold' }, { key: 'silver', label: 'Silver' }] }],
        },
      ],
      records: [
        ...PETS.map((p) => ({
          objectKey: 'custom_objects.pet', id: petId(p.idTail), properties: p.properties, dateAdded: p.created, ...(p.updated ? { dateUpdated: p.updated } : {}),
        })),
        { objectKey: 'custom_objects.toy', id: TOY_REX, properties: { name: 'Rex', price: 31.5 }, dateAdded: day('01-01') },
        { objectKey: 'business', id: BIZ_PAWS, properties: { name: 'Happy Paws Supplies', email: 'orders@happypaws.com', city: 'Austin', tier: 'gold' }, dateAdded: day('01-01') },
        { objectKey: 'business', id: BIZ_REXFEED, properties: { name: 'Rex Feed Co', city: 'Dallas', tier: 'silver' }, dateAdded: day('01-02') },
        { objectKey: 'business', id: BIZ_VET, properties: { name: 'Vet Partners', email: 'hi@vetpartners.io', city: 'Austin' }, dateAdded: day('01-03') },
        { objectKey: 'business', id: BIZ_ACME, properties: { name: 'Acme Grooming' }, dateAdded: day('01-04') },
      ],
    },
    {
      id: OTHER_LOC,
      name: 'Bravo Vets',
      tokens: [{ type: 'private-integration', token: PIT_OTHER, scopes: ['objects/record.readonly', 'objects/record.write'] }],
      objects: [
        {
          key: 'custom_objects.pet', id: OBJ_PET_OTHER, labels: { singular: 'Pet', plural: 'Pets' },
          fields: [
            { fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
            { fieldKey: 'custom_objects.pet.weight', name: 'Weight', dataType: 'NUMERICAL' },
          ],
        },
      ],
      records: [
        { objectKey: 'custom_objects.pet', id: PET_OTHER_REX, properties: { name: 'Rex', weight: 31.5 }, dateAdded: day('05-01') },
        { objectKey: 'business', id: BIZ_OTHER, properties: { name: 'Happy Paws Bravo', city: 'Austin' }, dateAdded: day('01-01') },
      ],
    },
  ],
};

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
  createdAt: string;
  updatedAt: string;
  locationId: string;
  objectId: string;
  objectKey: string;
  createdBy: Actor;
  lastUpdatedBy: Actor;
}
interface FoundRecord extends ApiRecord {
  searchAfter: Array<string | number | null>;
}
interface Found {
  records: FoundRecord[];
  total: number;
}
type SortSpec = { field: string; direction: 'asc' | 'desc' };
type Body = Record<string, unknown>;

const validateSearch = dtoValidator('objects.json', 'SearchRecordResponseDTO');
const DEFAULT_SORT: SortSpec[] = [{ field: 'updatedAt', direction: 'desc' }];

let server: TestServer;
let oauthRead: string;
let bizObjectId: string;

before(async () => {
  server = await startTestServer(FIXTURE);
  const oauth = server.tokens.filter((t) => t.type === 'oauth');
  assert.equal(oauth.length, 1);
  oauthRead = oauth[0]!.token;
  const biz = (await server.app.services.store.listObjects(LOC)).objects.find((o) => o.key === 'business');
  assert.ok(biz);
  bizObjectId = biz.id;
});
after(() => server?.close());

const url = (path: string) => `${server.url}${path}`;
const searchPath = (schemaKey: string) => `/objects/${schemaKey}/records/search`;
const PET_SEARCH = searchPath('custom_objects.pet');

function searchRaw(body: unknown, schemaKey = 'custom_objects.pet', headers: Record<string, string> = auth(PIT_READ)): Promise<Answer> {
  return call(url(searchPath(schemaKey)), { method: 'POST', headers, body });
}

/** The `searchAfter` a record must carry under `sort`: its sort values (timestamps as epoch ms, money by its value, null when missing), then its id. */
function expectedSearchAfter(r: ApiRecord, sort: SortSpec[]): Array<string | number | null> {
  const values = sort.map((s): string | number | null => {
    if (s.field === 'createdAt' || s.field === 'updatedAt') return Date.parse(r[s.field]);
    const v = r.properties[s.field.slice('properties.'.length)];
    if (v === undefined) return null;
    if (typeof v === 'object' && v !== null && 'value' in v) return (v as { value: number }).value;
    return v as string | number;
  });
  return [...values, r.id];
}

/**
 * A search that must succeed: 201, JSON, valid against SearchRecordResponseDTO, at most
 * `pageLimit` records, and each record exactly what Get Record By Id answers plus its searchAfter.
 */
async function search(body: Body, schemaKey = 'custom_objects.pet', headers: Record<string, string> = auth(PIT_READ)): Promise<Found> {
  const res = await searchRaw(body, schemaKey, headers);
  assert.equal(res.status, 201, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(validateSearch(res.body), [], res.text);
  const found = res.body as Found;
  assert.deepEqual(Object.keys(found).sort(), ['records', 'total']);
  assert.ok(Number.isInteger(found.total) && found.total >= found.records.length, `total ${found.total}`);
  assert.ok(found.records.length <= (body.pageLimit as number), 'no more records than pageLimit');
  assert.equal(new Set(found.records.map((r) => r.id)).size, found.records.length, 'no record twice in a page');
  const sort = Array.isArray(body.sort) && body.sort.length > 0 ? (body.sort as SortSpec[]) : DEFAULT_SORT;
  await Promise.all(
    found.records.map(async (r) => {
      const record = await getRecord(schemaKey, r.id, headers);
      assert.deepEqual(r, { ...record, searchAfter: expectedSearchAfter(record, sort) }, `record ${r.id} as Get Record By Id answers it, plus searchAfter`);
    }),
  );
  return found;
}

/**
 * Get Record By Id over HTTP. Optimization (keeps the file well under its time budget): answers
 * are kept until this file next writes (`wrote()`), as nothing else changes the records.
 */
const gets = new Map<string, Promise<ApiRecord>>();
function getRecord(schemaKey: string, id: string, headers: Record<string, string>): Promise<ApiRecord> {
  const key = `${schemaKey} ${id} ${headers.Authorization ?? ''}`;
  let hit = gets.get(key);
  if (!hit) {
    hit = call(url(`/objects/${schemaKey}/records/${id}`), { headers }).then((got) => {
      assert.equal(got.status, 200, got.text);
      return (got.body as { record: ApiRecord }).record;
    });
    gets.set(key, hit);
  }
  return hit;
}
/** Every write of this file goes through here: Get Record By Id answers are read afresh afterwards. */
async function write(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<Answer> {
  try {
    return await call(url(path), { method, headers: auth(PIT_RW), body });
  } finally {
    gets.clear();
  }
}

const labels = (found: Found) => found.records.map((r) => LABEL_OF.get(r.id) ?? r.id);
const sorted = (xs: readonly string[]) => [...xs].sort();

/** Every pet matching `body`, as a set of labels: one page of 100, which must hold them all. */
async function matching(body: Body): Promise<string[]> {
  const found = await search({ locationId: LOC, pageLimit: 100, ...body });
  assert.equal(found.total, found.records.length, 'one page holds every match');
  return sorted(labels(found));
}

const cond = (field: string, operator: string, value?: unknown) => (value === undefined ? { field, operator } : { field, operator, value });
const and = (...filters: unknown[]) => ({ group: 'AND', filters });
const or = (...filters: unknown[]) => ({ group: 'OR', filters });

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

const v422 = (...message: string[]) => ({ statusCode: 422, message, error: 'Unprocessable Entity' });
const body = (extra: Body = {}): Body => ({ locationId: LOC, pageLimit: 10, ...extra });
const filter1 = (...f: unknown[]) => body({ filters: f });
const OPERATORS = 'eq, not_eq, contains, not_contains, exists, not_exists, range';
/** `depth` groups, each the only item of the one around it, with one condition inside. */
function nested(depth: number): unknown {
  let item: unknown = cond('properties.name', 'exists');
  for (let i = 0; i < depth; i++) item = and(item);
  return item;
}
const LONG = 'x'.repeat(256);

interface Scenario {
  name: string;
  /** Default: the pet object. */
  schemaKey?: string;
  /** Default: the read-only PIT of LOC with the contract's Version. */
  headers?: () => Record<string, string>;
  /** Default: search with a query string appended to the path. */
  query?: string;
  body: unknown;
  status: number;
  expectBody: unknown;
}

const SCENARIOS: Scenario[] = [
  // --- Every request -------------------------------------------------------------------------
  { name: 'no Version header', headers: () => ({ Authorization: `Bearer ${PIT_READ}` }), body: body(), status: 401, expectBody: E.versionMissing },
  { name: 'unsupported Version', headers: () => auth(PIT_READ, '2023-02-21'), body: body(), status: 401, expectBody: E.versionInvalid },
  { name: 'no Authorization', headers: () => ({ Version: VERSION }), body: body(), status: 401, expectBody: E.invalidToken },
  { name: 'not a Bearer token', headers: () => ({ Version: VERSION, Authorization: `Basic ${PIT_READ}` }), body: body(), status: 401, expectBody: E.invalidToken },
  { name: 'unknown PIT', headers: () => auth(PIT_UNKNOWN), body: body(), status: 401, expectBody: E.invalidToken },
  { name: 'revoked PIT', headers: () => auth(PIT_REVOKED), body: body(), status: 401, expectBody: E.invalidToken },
  { name: 'token with objects/record.write only (search needs objects/record.readonly)', headers: () => auth(PIT_WRITE_ONLY), body: body(), status: 401, expectBody: E.scopeMissing },
  { name: 'token with schema scopes only', headers: () => auth(PIT_SCHEMA_ONLY), body: body(), status: 401, expectBody: E.scopeMissing },
  { name: 'scope is checked before location', headers: () => auth(PIT_WRITE_ONLY), body: body({ locationId: OTHER_LOC }), status: 401, expectBody: E.scopeMissing },
  { name: 'another location in the body', body: body({ locationId: OTHER_LOC }), status: 403, expectBody: E.locationForbidden },
  { name: 'an unknown location in the body', body: body({ locationId: UNKNOWN_LOC }), status: 403, expectBody: E.locationForbidden },
  { name: 'another location in the body of an invalid body (guard before DTO)', body: { locationId: OTHER_LOC, pageLimit: 1000, bogus: 1 }, status: 403, expectBody: E.locationForbidden },
  { name: 'another location in the query', query: `?locationId=${OTHER_LOC}`, body: body(), status: 403, expectBody: E.locationForbidden },
  { name: "another location's token, this location in the body", headers: () => auth(PIT_OTHER), body: body(), status: 403, expectBody: E.locationForbidden },
  { name: 'OAuth token, another location in the body', headers: () => auth(oauthRead), body: body({ locationId: OTHER_LOC }), status: 403, expectBody: E.locationForbidden },

  // --- The body's shape ---------------------------------------------------------------------
  { name: 'no locationId', body: { pageLimit: 10 }, status: 422, expectBody: v422('locationId must be a string', 'locationId should not be empty') },
  { name: 'locationId in the query only (search takes it in the body)', query: `?locationId=${LOC}`, body: { pageLimit: 10 }, status: 422, expectBody: v422('locationId must be a string', 'locationId should not be empty') },
  { name: 'locationId not a string', body: { locationId: 42, pageLimit: 10 }, status: 422, expectBody: v422('locationId must be a string') },
  { name: 'unknown body property', body: body({ limit: 5 }), status: 422, expectBody: v422('property limit should not exist') },
  { name: 'several unknown body properties', body: body({ limit: 5, offset: 2 }), status: 422, expectBody: v422('property limit should not exist', 'property offset should not exist') },
  { name: 'body an array', body: [body()], status: 422, expectBody: v422('body must be an object') },
  { name: 'body not JSON', body: '{"locationId":', status: 400, expectBody: { statusCode: 400, message: 'Body is not valid JSON: it could not be parsed', error: 'Bad Request' } },

  // --- The object ---------------------------------------------------------------------------
  { name: 'unknown custom object', schemaKey: 'custom_objects.nope', body: body(), status: 404, expectBody: E.objectNotFound('custom_objects.nope') },
  { name: 'unknown object id', schemaKey: '6798a1a18fc746e0eba2ffff', body: body(), status: 404, expectBody: E.objectNotFound('6798a1a18fc746e0eba2ffff') },
  { name: "another location's object id", schemaKey: OBJ_PET_OTHER, body: body(), status: 404, expectBody: E.objectNotFound(OBJ_PET_OTHER) },
  { name: 'contact', schemaKey: 'contact', body: body(), status: 400, expectBody: E.unsupportedObject },
  { name: 'opportunity', schemaKey: 'opportunity', body: body(), status: 400, expectBody: E.unsupportedObject },

  // --- Filter fields ------------------------------------------------------------------------
  { name: 'bare field oid (the real service: "Invalid field - oid")', body: filter1(cond('oid', 'eq', 'x')), status: 422, expectBody: v422('filters.0.field "oid" is not a field of custom_objects.pet: use properties.<key>, createdAt or updatedAt') },
  { name: 'bare name of a property', body: filter1(cond('name', 'eq', 'Rex')), status: 422, expectBody: v422('filters.0.field must be "properties.name"') },
  { name: 'unknown property', body: filter1(cond('properties.colour', 'eq', 'brown')), status: 422, expectBody: v422('filters.0.field "properties.colour" is not a field of custom_objects.pet') },
  { name: 'full key of a property', body: filter1(cond('properties.custom_objects.pet.name', 'eq', 'Rex')), status: 422, expectBody: v422('filters.0.field must use the field\'s short key "properties.name"') },
  { name: 'a TEXTBOX_LIST without its option', body: filter1(cond('properties.diet', 'exists')), status: 422, expectBody: v422('filters.0.field "properties.diet" is not a field of custom_objects.pet') },
  { name: 'a TEXTBOX_LIST with an unknown option', body: filter1(cond('properties.diet.noon', 'exists')), status: 422, expectBody: v422('filters.0.field "properties.diet.noon" is not a field of custom_objects.pet') },
  { name: 'field not a string', body: filter1(cond(5 as unknown as string, 'exists')), status: 422, expectBody: v422('filters.0.field must be a string') },
  { name: 'field missing', body: filter1({ operator: 'exists' }), status: 422, expectBody: v422('filters.0.field must be a string') },
  { name: 'the second item is named by its index', body: filter1(cond('properties.name', 'exists'), cond('oid', 'exists')), status: 422, expectBody: v422('filters.1.field "oid" is not a field of custom_objects.pet: use properties.<key>, createdAt or updatedAt') },

  // --- Operators ----------------------------------------------------------------------------
  { name: 'unknown operator', body: filter1(cond('properties.name', 'like', 'Rex')), status: 422, expectBody: v422(`filters.0.operator must be one of the following values: ${OPERATORS}`) },
  { name: 'operator in capitals', body: filter1(cond('properties.name', 'EQ', 'Rex')), status: 422, expectBody: v422(`filters.0.operator must be one of the following values: ${OPERATORS}`) },
  { name: 'no operator', body: filter1({ field: 'properties.name', value: 'Rex' }), status: 422, expectBody: v422(`filters.0.operator must be one of the following values: ${OPERATORS}`) },
  { name: 'not_range is no operator', body: filter1(cond('properties.weight', 'not_range', { gte: 1 })), status: 422, expectBody: v422(`filters.0.operator must be one of the following values: ${OPERATORS}`) },
  { name: 'bad field and bad operator: both named', body: filter1(cond('oid', 'like', 'x')), status: 422, expectBody: v422(`filters.0.operator must be one of the following values: ${OPERATORS}`, 'filters.0.field "oid" is not a field of custom_objects.pet: use properties.<key>, createdAt or updatedAt') },
  { name: 'contains on NUMERICAL', body: filter1(cond('properties.weight', 'contains', '3')), status: 422, expectBody: v422('filters.0.operator contains does not apply to properties.weight (NUMERICAL)') },
  { name: 'not_contains on MONETORY', body: filter1(cond('properties.price', 'not_contains', '1')), status: 422, expectBody: v422('filters.0.operator not_contains does not apply to properties.price (MONETORY)') },
  { name: 'range on MULTIPLE_OPTIONS', body: filter1(cond('properties.tags', 'range', { gte: 'a' })), status: 422, expectBody: v422('filters.0.operator range does not apply to properties.tags (MULTIPLE_OPTIONS)') },
  { name: 'range on CHECKBOX', body: filter1(cond('properties.vaccines', 'range', { gte: 'a' })), status: 422, expectBody: v422('filters.0.operator range does not apply to properties.vaccines (CHECKBOX)') },
  { name: 'eq on FILE_UPLOAD', body: filter1(cond('properties.xrays', 'eq', 'x')), status: 422, expectBody: v422('filters.0.operator eq does not apply to properties.xrays (FILE_UPLOAD)') },
  { name: 'not_contains on createdAt', body: filter1(cond('createdAt', 'not_contains', '2024')), status: 422, expectBody: v422('filters.0.operator not_contains does not apply to createdAt') },
  { name: 'contains on updatedAt', body: filter1(cond('updatedAt', 'contains', '2024')), status: 422, expectBody: v422('filters.0.operator contains does not apply to updatedAt') },

  // --- Values -------------------------------------------------------------------------------
  { name: 'NUMERICAL: a numeric string', body: filter1(cond('properties.weight', 'eq', '31.5')), status: 422, expectBody: v422('filters.0.value must be a number for properties.weight (NUMERICAL)') },
  { name: 'NUMERICAL: no value', body: filter1(cond('properties.weight', 'not_eq')), status: 422, expectBody: v422('filters.0.value must be a number for properties.weight (NUMERICAL)') },
  { name: 'MONETORY: the money object', body: filter1(cond('properties.price', 'eq', { currency: 'default', value: 100 })), status: 422, expectBody: v422('filters.0.value must be a number for properties.price (MONETORY)') },
  { name: 'TEXT: a number', body: filter1(cond('properties.name', 'eq', 5)), status: 422, expectBody: v422('filters.0.value must be a string for properties.name (TEXT)') },
  { name: 'TEXT: an array', body: filter1(cond('properties.name', 'eq', ['Rex'])), status: 422, expectBody: v422('filters.0.value must be a string for properties.name (TEXT)') },
  { name: 'MULTIPLE_OPTIONS: eq with an array', body: filter1(cond('properties.tags', 'eq', ['chicken'])), status: 422, expectBody: v422('filters.0.value must be a string for properties.tags (MULTIPLE_OPTIONS)') },
  { name: 'MULTIPLE_OPTIONS: contains a number', body: filter1(cond('properties.tags', 'contains', 5)), status: 422, expectBody: v422('filters.0.value must be a string for properties.tags (MULTIPLE_OPTIONS)') },
  { name: 'DATE: not a calendar date', body: filter1(cond('properties.birthday', 'eq', '2019-02-30')), status: 422, expectBody: v422('filters.0.value must be a date "YYYY-MM-DD" for properties.birthday (DATE)') },
  { name: 'DATE: free text', body: filter1(cond('properties.birthday', 'eq', 'yesterday')), status: 422, expectBody: v422('filters.0.value must be a date "YYYY-MM-DD" for properties.birthday (DATE)') },
  { name: 'createdAt: free text', body: filter1(cond('createdAt', 'eq', 'yesterday')), status: 422, expectBody: v422('filters.0.value must be an ISO 8601 date-time or epoch milliseconds for createdAt') },
  { name: 'updatedAt: a fractional epoch', body: filter1(cond('updatedAt', 'eq', 1.5)), status: 422, expectBody: v422('filters.0.value must be an ISO 8601 date-time or epoch milliseconds for updatedAt') },
  { name: 'contains an empty string', body: filter1(cond('properties.name', 'contains', '')), status: 422, expectBody: v422('filters.0.value should not be empty') },
  { name: 'exists with a value', body: filter1(cond('properties.name', 'exists', true)), status: 422, expectBody: v422('filters.0.value must not be given for exists') },
  { name: 'not_exists with a value', body: filter1(cond('properties.name', 'not_exists', 'Rex')), status: 422, expectBody: v422('filters.0.value must not be given for not_exists') },
  { name: 'a value over 255 characters', body: filter1(cond('properties.name', 'eq', LONG)), status: 422, expectBody: v422('filters.0.value must be shorter than or equal to 255 characters') },
  { name: 'a contains value over 255 characters', body: filter1(cond('properties.name', 'not_contains', LONG)), status: 422, expectBody: v422('filters.0.value must be shorter than or equal to 255 characters') },

  // --- Ranges -------------------------------------------------------------------------------
  { name: 'range without bounds', body: filter1(cond('properties.weight', 'range', {})), status: 422, expectBody: v422('filters.0.value must have at least one of gte, gt, lte, lt') },
  { name: 'range without a value', body: filter1(cond('properties.weight', 'range')), status: 422, expectBody: v422('filters.0.value must be an object with gte, gt, lte or lt') },
  { name: 'range with a number', body: filter1(cond('properties.weight', 'range', 5)), status: 422, expectBody: v422('filters.0.value must be an object with gte, gt, lte or lt') },
  { name: 'range with other bounds', body: filter1(cond('properties.weight', 'range', { from: 1, to: 2 })), status: 422, expectBody: v422('filters.0.value has "from", "to"; a range takes only gte, gt, lte and lt') },
  { name: 'range bound of the wrong type', body: filter1(cond('properties.weight', 'range', { gte: '1', lt: 5 })), status: 422, expectBody: v422('filters.0.value.gte must be a number for properties.weight (NUMERICAL)') },
  { name: 'range bounds of a timestamp', body: filter1(cond('createdAt', 'range', { gte: 'soon', lte: 'later' })), status: 422, expectBody: v422('filters.0.value.gte must be an ISO 8601 date-time or epoch milliseconds for createdAt', 'filters.0.value.lte must be an ISO 8601 date-time or epoch milliseconds for createdAt') },

  // --- The filter tree ----------------------------------------------------------------------
  { name: 'filters not an array', body: body({ filters: { field: 'properties.name', operator: 'exists' } }), status: 422, expectBody: v422('filters must be an array') },
  { name: 'a filter that is a string', body: filter1('properties.name = Rex'), status: 422, expectBody: v422('filters.0 must be an object: {field, operator, value} or {group, filters}') },
  { name: 'a condition with an extra key', body: filter1({ ...cond('properties.name', 'eq', 'Rex'), negate: true }), status: 422, expectBody: v422('filters.0 has "negate"; a condition takes only field, operator and value') },
  { name: 'a group that is neither AND nor OR', body: filter1({ group: 'XOR', filters: [cond('properties.name', 'exists')] }), status: 422, expectBody: v422('filters.0.group must be one of the following values: AND, OR') },
  { name: 'an empty group', body: filter1(or()), status: 422, expectBody: v422('filters.0.filters must contain at least 1 elements') },
  { name: 'a group with condition keys', body: filter1({ ...and(cond('properties.name', 'exists')), field: 'properties.name' }), status: 422, expectBody: v422('filters.0 has "field"; a group takes only group and filters') },
  { name: 'a problem deep in a group names its path', body: filter1(or(cond('properties.name', 'exists'), and(cond('properties.weight', 'eq', 'heavy')))), status: 422, expectBody: v422('filters.0.filters.1.filters.0.value must be a number for properties.weight (NUMERICAL)') },
  { name: 'groups nested too deep (6)', body: filter1(nested(6)), status: 422, expectBody: v422(`filters${'.0.filters'.repeat(5)}.0 nests groups more than 5 deep`) },
  { name: 'too many conditions (101)', body: body({ filters: Array.from({ length: 101 }, () => cond('properties.name', 'exists')) }), status: 422, expectBody: v422('filters must contain no more than 100 conditions (groups included)') },

  // --- Paging -------------------------------------------------------------------------------
  { name: 'pageLimit over the cap', body: body({ pageLimit: 101 }), status: 422, expectBody: v422('pageLimit must not be greater than 100') },
  { name: 'pageLimit 1e20', body: body({ pageLimit: 1e20 }), status: 422, expectBody: v422('pageLimit must not be greater than 100') },
  { name: 'pageLimit 0', body: body({ pageLimit: 0 }), status: 422, expectBody: v422('pageLimit must not be less than 1') },
  { name: 'pageLimit a fraction', body: body({ pageLimit: 2.5 }), status: 422, expectBody: v422('pageLimit must be an integer') },
  { name: 'pageLimit a string', body: body({ pageLimit: '10' }), status: 422, expectBody: v422('pageLimit must be an integer') },
  { name: 'no pageLimit', body: { locationId: LOC }, status: 422, expectBody: v422('pageLimit must be an integer', 'pageLimit should not be empty') },
  { name: 'page 0', body: body({ page: 0 }), status: 422, expectBody: v422('page must not be less than 1') },
  { name: 'deep paging over the cap (101 x 100)', body: body({ page: 101, pageLimit: 100 }), status: 422, expectBody: v422('page * pageLimit must not be greater than 10000: use searchAfter to page further') },
  { name: 'deep paging over the cap (1001 x 10)', body: body({ page: 1001 }), status: 422, expectBody: v422('page * pageLimit must not be greater than 10000: use searchAfter to page further') },

  // --- Sort ---------------------------------------------------------------------------------
  { name: 'sort on a list property', body: body({ sort: [{ field: 'properties.tags', direction: 'asc' }] }), status: 422, expectBody: v422('sort.0.field properties.tags (MULTIPLE_OPTIONS) cannot be sorted on') },
  { name: 'sort on files', body: body({ sort: [{ field: 'properties.xrays', direction: 'asc' }] }), status: 422, expectBody: v422('sort.0.field properties.xrays (FILE_UPLOAD) cannot be sorted on') },
  { name: 'sort on a bare name', body: body({ sort: [{ field: 'name', direction: 'asc' }] }), status: 422, expectBody: v422('sort.0.field must be "properties.name"') },
  { name: 'sort on an unknown field', body: body({ sort: [{ field: 'dateAdded', direction: 'asc' }] }), status: 422, expectBody: v422('sort.0.field "dateAdded" is not a field of custom_objects.pet: use properties.<key>, createdAt or updatedAt') },
  { name: 'sort direction', body: body({ sort: [{ field: 'updatedAt', direction: 'up' }] }), status: 422, expectBody: v422('sort.0.direction must be one of the following values: asc, desc') },
  { name: 'sort with an extra key', body: body({ sort: [{ field: 'updatedAt', direction: 'asc', nulls: 'first' }] }), status: 422, expectBody: v422('property sort.0.nulls should not exist') },
  { name: 'six sort keys', body: body({ sort: Array.from({ length: 6 }, () => ({ field: 'updatedAt', direction: 'asc' })) }), status: 422, expectBody: v422('sort must contain no more than 5 elements') },

  // --- query --------------------------------------------------------------------------------
  { name: 'query over 255 characters', body: body({ query: LONG }), status: 422, expectBody: v422('query must be shorter than or equal to 255 characters') },
  { name: 'query not a string', body: body({ query: 5 }), status: 422, expectBody: v422('query must be a string') },

  // --- searchAfter --------------------------------------------------------------------------
  { name: 'searchAfter of the wrong length', body: body({ searchAfter: ['661c06b4ffde146bdb469442'] }), status: 422, expectBody: v422('searchAfter must have 2 elements (the sort values of the last record, then its id), not 1') },
  { name: 'searchAfter: not a record id', body: body({ searchAfter: [1709294400000, 'sx6wyHhbFdRXh302Lunr'] }), status: 422, expectBody: v422('searchAfter.1 must be a record id (24 hex characters)') },
  { name: 'searchAfter: a timestamp as ISO text', body: body({ searchAfter: [TIE_UPDATED, petId('0a10')] }), status: 422, expectBody: v422('searchAfter.0 must be epoch milliseconds (an integer) for updatedAt') },
  { name: 'searchAfter: text for a number sort', body: body({ sort: [{ field: 'properties.weight', direction: 'asc' }], searchAfter: ['31.5', petId('0a10')] }), status: 422, expectBody: v422('searchAfter.0 must be a number or null for properties.weight (NUMERICAL)') },
  { name: 'searchAfter: a number for a text sort', body: body({ sort: [{ field: 'properties.name', direction: 'asc' }], searchAfter: [5, petId('0a10')] }), status: 422, expectBody: v422('searchAfter.0 must be a string or null for properties.name (TEXT)') },
  { name: 'searchAfter with page 2', body: body({ page: 2, searchAfter: [1709294400000, petId('0a10')] }), status: 422, expectBody: v422('page must be 1 (or left out) when searchAfter is given') },
  { name: 'searchAfter: an object item', body: body({ searchAfter: [{ t: 1 }, petId('0a10')] }), status: 422, expectBody: v422('searchAfter.0 must be a string or number or null') },
  { name: 'searchAfter not an array', body: body({ searchAfter: petId('0a10') }), status: 422, expectBody: v422('searchAfter must be an array') },

  // --- Several problems: one 422 naming each, in body order -----------------------------------
  {
    name: 'several problems at once',
    body: body({ pageLimit: 101, filters: [cond('oid', 'eq', 1), cond('properties.weight', 'contains', 'x')], query: LONG, sort: [{ field: 'properties.tags', direction: 'asc' }] }),
    status: 422,
    expectBody: v422(
      'pageLimit must not be greater than 100',
      'filters.0.field "oid" is not a field of custom_objects.pet: use properties.<key>, createdAt or updatedAt',
      'filters.1.operator contains does not apply to properties.weight (NUMERICAL)',
      'query must be shorter than or equal to 255 characters',
      'sort.0.field properties.tags (MULTIPLE_OPTIONS) cannot be sorted on',
    ),
  },
];

describe('search errors over HTTP: status and exact body', () => {
  for (const s of SCENARIOS) {
    test(s.name, async () => {
      const res = await call(url(`${searchPath(s.schemaKey ?? 'custom_objects.pet')}${s.query ?? ''}`), {
        method: 'POST',
        headers: s.headers ? s.headers() : auth(PIT_READ),
        body: s.body,
      });
      assert.equal(res.status, s.status, res.text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.text, JSON.stringify(s.expectBody));
    });
  }
});

test('the caps themselves are accepted: pageLimit 100, page*pageLimit = 10000, 5 nested groups, 100 conditions, 255 characters', async () => {
  assert.equal((await search(body({ pageLimit: 100 }))).records.length, 30);
  const deepest = await search(body({ page: 100, pageLimit: 100 }));
  assert.deepEqual(deepest, { records: [], total: 30 });
  assert.equal((await search(filter1(nested(5)))).total, 29);
  assert.equal((await search(body({ filters: Array.from({ length: 100 }, () => cond('properties.name', 'exists')) }))).total, 29);
  assert.equal((await search(filter1(cond('properties.name', 'eq', 'x'.repeat(255))))).total, 0);
  assert.equal((await search(body({ query: 'x'.repeat(255) }))).total, 0);
  assert.equal((await search(body({ sort: Array.from({ length: 5 }, () => ({ field: 'updatedAt', direction: 'asc' as const })) }))).total, 30);
});

test('search accepts every token that has objects/record.readonly: PIT, read-write PIT, OAuth; own locationId in the query too', async () => {
  for (const headers of [auth(PIT_READ), auth(PIT_RW), auth(oauthRead)]) {
    const found = await search(body({ pageLimit: 100 }), 'custom_objects.pet', headers);
    assert.equal(found.total, 30);
  }
  const res = await call(url(`${PET_SEARCH}?locationId=${LOC}`), { method: 'POST', headers: auth(PIT_READ), body: body() });
  assert.equal(res.status, 201, res.text);
});

// ---------------------------------------------------------------------------------------------
// Operators on each kind of field
// ---------------------------------------------------------------------------------------------

interface Case {
  why: string;
  filters: unknown[];
  expect: string[];
}
const only = (f: unknown, expect: string[], why: string): Case => ({ why, filters: [f], expect });

const CATS = ['Bella', 'Luna', 'Milo', 'Lola', 'Zoe', 'Stella', 'Éclair', 'Mr: Whiskers', 'Pepper'];
const RABBITS = ['Lucy', 'Daisy', 'Penny'];
const NO_SPECIES = ['Oliver', 'T-Rex', 'Ginger'];

const CASES: Case[] = [
  // TEXT
  only(cond('properties.name', 'eq', 'Rex'), ['Rex'], 'TEXT eq: the whole value only'),
  only(cond('properties.name', 'eq', 'rex'), [], 'TEXT eq: case-sensitive'),
  only(cond('properties.name', 'not_eq', 'Rex'), allBut('Rex'), 'TEXT not_eq: includes the record without a name'),
  only(cond('properties.name', 'contains', 'Rex'), ['Rex', 'Rexford', 'T-Rex'], 'TEXT contains'),
  only(cond('properties.name', 'contains', 'rex'), [], 'TEXT contains: case-sensitive'),
  only(cond('properties.name', 'not_contains', 'Rex'), allBut('Rex', 'Rexford', 'T-Rex'), 'TEXT not_contains: includes the record without a name'),
  only(cond('properties.name', 'exists'), allBut('(no name)'), 'TEXT exists'),
  only(cond('properties.name', 'exists', null), allBut('(no name)'), 'exists tolerates value: null'),
  only(cond('properties.name', 'not_exists'), ['(no name)'], 'TEXT not_exists'),
  only(cond('properties.name', 'range', { gte: 'S', lt: 'T' }), ['Sadie', 'Shadow', 'Stella'], 'TEXT range: by code point'),
  only(cond('properties.name', 'range', { gt: 'Z' }), ['Zoe', 'Éclair'], 'TEXT range: non-ASCII sorts after ASCII'),
  only(cond('properties.name', 'eq', 'Mr: Whiskers'), ['Mr: Whiskers'], 'TEXT eq with a colon and a space'),
  only(cond('properties.name', 'eq', 'Éclair'), ['Éclair'], 'TEXT eq: non-ASCII'),
  only(cond('properties.name', 'contains', '_'), [], 'TEXT contains: _ is no wildcard'),
  only(cond('properties.name', 'contains', '%'), [], 'TEXT contains: % is no wildcard'),
  only(cond('properties.email', 'contains', '.'), ['Rex', 'Bella', 'Luna', 'Milo', 'Buddy', 'Rexford'], 'EMAIL contains: every email has a dot'),
  // LARGE_TEXT, PHONE, EMAIL, RADIO
  only(cond('properties.notes', 'contains', 'thunder'), ['Lucy'], 'LARGE_TEXT contains'),
  only(cond('properties.notes', 'not_exists'), allBut('Rex', 'Lucy', 'Oliver'), 'LARGE_TEXT not_exists'),
  only(cond('properties.phone', 'eq', '+917000000000'), ['Rex'], 'PHONE eq (E.164)'),
  only(cond('properties.phone', 'contains', '+91'), ['Rex'], 'PHONE contains'),
  only(cond('properties.email', 'contains', '@example.com'), ['Rex', 'Luna', 'Buddy', 'Rexford'], 'EMAIL contains'),
  only(cond('properties.email', 'not_contains', '@example.com'), allBut('Rex', 'Luna', 'Buddy', 'Rexford'), 'EMAIL not_contains: includes records without an email'),
  only(cond('properties.size', 'eq', 'large'), ['Rex', 'Cooper'], 'RADIO eq'),
  only(cond('properties.size', 'eq', 'tiny'), ['Stella'], 'RADIO eq: a custom option'),
  // NUMERICAL
  only(cond('properties.weight', 'eq', 31.5), ['Rex', 'Max', 'Bailey'], 'NUMERICAL eq'),
  only(cond('properties.weight', 'eq', 0), ['Zoe'], 'NUMERICAL eq 0: zero is a value, not missing'),
  only(cond('properties.weight', 'not_eq', 31.5), allBut('Rex', 'Max', 'Bailey'), 'NUMERICAL not_eq: includes records without a weight'),
  only(cond('properties.weight', 'range', { gt: 30, lte: 41 }), ['Rex', 'Max', 'Bailey', 'Rocky', 'Tucker', 'Duke'], 'NUMERICAL range gt/lte'),
  only(cond('properties.weight', 'range', { gte: 0, lt: 4 }), ['Zoe', 'Luna', 'Daisy', 'Éclair'], 'NUMERICAL range gte/lt'),
  only(cond('properties.weight', 'range', { lt: 5 }), ['Zoe', 'Luna', 'Daisy', 'Éclair', 'Bella', 'Lola'], 'NUMERICAL range lt only'),
  only(cond('properties.weight', 'range', { gte: 41, lte: 41 }), ['Duke'], 'NUMERICAL range on one point'),
  only(cond('properties.weight', 'range', { gt: 41, lt: 41 }), [], 'NUMERICAL empty range'),
  only(cond('properties.weight', 'exists'), allBut('Charlie', 'Oliver', 'Ginger'), 'NUMERICAL exists'),
  only(cond('properties.weight', 'not_exists'), ['Charlie', 'Oliver', 'Ginger'], 'NUMERICAL not_exists'),
  // MONETORY
  only(cond('properties.price', 'eq', 100), ['Rex', 'Max'], 'MONETORY eq: by value'),
  only(cond('properties.price', 'eq', 45), ['Stella', 'Penny', 'Pepper'], 'MONETORY eq: three records'),
  only(cond('properties.price', 'eq', 0), ['Luna'], 'MONETORY eq 0'),
  only(cond('properties.price', 'not_eq', 100), allBut('Rex', 'Max'), 'MONETORY not_eq: includes records without a price'),
  only(cond('properties.price', 'range', { gte: 1000 }), ['Cooper', 'Bear', 'T-Rex'], 'MONETORY range gte'),
  only(cond('properties.price', 'range', { gt: 99.99, lt: 150 }), ['Rex', 'Max', 'Rexford'], 'MONETORY range with decimals'),
  only(cond('properties.price', 'not_exists'), ['Lucy', 'Oliver', 'Mr: Whiskers', 'Ginger', '(no name)'], 'MONETORY not_exists'),
  // MULTIPLE_OPTIONS
  only(cond('properties.tags', 'eq', 'chicken'), ['Rex', 'Bella', 'Milo', 'Bailey'], 'MULTIPLE_OPTIONS eq: holds the option'),
  only(cond('properties.tags', 'eq', 'Chicken'), [], 'MULTIPLE_OPTIONS eq: case-sensitive (a label is not a key)'),
  only(cond('properties.tags', 'not_eq', 'chicken'), allBut('Rex', 'Bella', 'Milo', 'Bailey'), 'MULTIPLE_OPTIONS not_eq: includes [] and missing'),
  only(cond('properties.tags', 'contains', 'pen'), ['Luna', 'Bailey'], 'MULTIPLE_OPTIONS contains: a substring of an option'),
  only(cond('properties.tags', 'not_contains', 'pen'), allBut('Luna', 'Bailey'), 'MULTIPLE_OPTIONS not_contains'),
  only(cond('properties.tags', 'exists'), ['Rex', 'Bella', 'Luna', 'Cooper', 'Milo', 'Bailey', 'T-Rex'], 'MULTIPLE_OPTIONS exists: [] does not count'),
  only(cond('properties.tags', 'not_exists'), allBut('Rex', 'Bella', 'Luna', 'Cooper', 'Milo', 'Bailey', 'T-Rex'), 'MULTIPLE_OPTIONS not_exists: [] and missing'),
  // CHECKBOX
  only(cond('properties.vaccines', 'eq', 'rabies'), ['Rex', 'Bella', 'Lucy', 'Rocky'], 'CHECKBOX eq'),
  only(cond('properties.vaccines', 'eq', 'parvo'), ['Rex', 'Lucy', 'Pepper'], 'CHECKBOX eq, another option'),
  only(cond('properties.vaccines', 'not_eq', 'rabies'), allBut('Rex', 'Bella', 'Lucy', 'Rocky'), 'CHECKBOX not_eq'),
  only(cond('properties.vaccines', 'exists'), ['Rex', 'Bella', 'Max', 'Lucy', 'Rocky', 'Pepper'], 'CHECKBOX exists'),
  // SINGLE_OPTIONS
  only(cond('properties.species', 'eq', 'cat'), CATS, 'SINGLE_OPTIONS eq'),
  only(cond('properties.species', 'not_eq', 'dog'), [...CATS, ...RABBITS, ...NO_SPECIES], 'SINGLE_OPTIONS not_eq: includes records without species'),
  only(cond('properties.species', 'contains', 'ab'), RABBITS, 'SINGLE_OPTIONS contains'),
  only(cond('properties.species', 'not_exists'), NO_SPECIES, 'SINGLE_OPTIONS not_exists'),
  // DATE
  only(cond('properties.birthday', 'eq', '2019-04-02'), ['Rex', 'Bailey'], 'DATE eq'),
  only(cond('properties.birthday', 'eq', '2019-04-02T15:00:00Z'), ['Rex', 'Bailey'], 'DATE eq: a date-time compares as its date'),
  only(cond('properties.birthday', 'eq', '2019-04-03T01:00:00+02:00'), ['Rex', 'Bailey'], 'DATE eq: a date-time compares as its UTC date'),
  only(cond('properties.birthday', 'not_eq', '2019-04-02'), allBut('Rex', 'Bailey'), 'DATE not_eq'),
  only(cond('properties.birthday', 'range', { gte: '2020-01-01', lte: '2020-12-31' }), ['Bella', 'Sadie', 'Shadow'], 'DATE range'),
  only(cond('properties.birthday', 'range', { lt: '2018-01-01' }), ['Cooper', 'Bear'], 'DATE range lt'),
  only(cond('properties.birthday', 'contains', '2019-'), ['Rex', 'Charlie', 'Bailey'], 'DATE contains: matched as its text'),
  only(cond('properties.birthday', 'eq', '0050-01-01T00:00:00Z'), [], 'DATE eq: a date-time in the year 50 is accepted'),
  only(cond('properties.birthday', 'eq', '0050-01-01'), [], 'DATE eq: "0050-01-01" is a "YYYY-MM-DD" date too, as its date-time form is'),
  only(cond('properties.birthday', 'exists'), ['Rex', 'Bella', 'Max', 'Luna', 'Charlie', 'Cooper', 'Daisy', 'Sadie', 'Bailey', 'Bear', 'Shadow'], 'DATE exists'),
  // TEXTBOX_LIST entries
  only(cond('properties.diet.morning', 'contains', 'food'), ['Rex'], 'TEXTBOX_LIST entry contains'),
  only(cond('properties.diet.morning', 'exists'), ['Rex', 'Max'], 'TEXTBOX_LIST entry exists'),
  only(cond('properties.diet.evening', 'eq', 'Wet food'), ['Rex'], 'TEXTBOX_LIST entry eq'),
  only(cond('properties.diet.evening', 'not_exists'), allBut('Rex'), 'TEXTBOX_LIST entry not_exists'),
  // FILE_UPLOAD
  only(cond('properties.xrays', 'exists'), ['Rex', 'Cooper'], 'FILE_UPLOAD exists'),
  only(cond('properties.xrays', 'not_exists'), allBut('Rex', 'Cooper'), 'FILE_UPLOAD not_exists'),
  // createdAt
  only(cond('createdAt', 'eq', '2024-02-01T09:30:00.000Z'), ['Lucy', 'Cooper'], 'createdAt eq ISO'),
  only(cond('createdAt', 'eq', Date.UTC(2024, 1, 1, 9, 30)), ['Lucy', 'Cooper'], 'createdAt eq epoch ms'),
  only(cond('createdAt', 'eq', '2024-02-01T10:30:00+01:00'), ['Lucy', 'Cooper'], 'createdAt eq with an offset: the same instant'),
  only(cond('createdAt', 'not_eq', '2024-02-01T09:30:00.000Z'), allBut('Lucy', 'Cooper'), 'createdAt not_eq'),
  only(cond('createdAt', 'range', { gte: '2024-01-01', lt: '2024-02-01' }), ['Rex', 'Bella', 'Max', 'Luna', 'Charlie'], 'createdAt range with dates'),
  only(cond('createdAt', 'range', { gt: Date.UTC(2024, 1, 20, 10) }), ['Ginger', '(no name)', 'Pepper', 'Shadow'], 'createdAt range gt epoch ms (exclusive)'),
  only(cond('createdAt', 'exists'), ALL_PETS, 'createdAt exists: always'),
  only(cond('createdAt', 'not_exists'), [], 'createdAt not_exists: never'),
  // updatedAt
  only(cond('updatedAt', 'eq', TIE_UPDATED), ['Rex', 'Bella', 'Cooper', 'Shadow'], 'updatedAt eq'),
  only(cond('updatedAt', 'range', { gte: '2024-03-01' }), ['Rex', 'Bella', 'Cooper', 'Shadow', 'Luna'], 'updatedAt range'),
  only(cond('updatedAt', 'not_eq', TIE_UPDATED), allBut('Rex', 'Bella', 'Cooper', 'Shadow'), 'updatedAt not_eq'),
  only(cond('updatedAt', 'eq', Date.UTC(2024, 1, 10, 10)), ['Max', 'Buddy'], 'updatedAt eq epoch ms: an updated and a never-updated record'),
  // Groups
  {
    why: 'OR of a condition and an AND group',
    filters: [or(cond('properties.species', 'eq', 'cat'), and(cond('properties.species', 'eq', 'dog'), cond('properties.weight', 'range', { gte: 40 })))],
    expect: [...CATS, 'Cooper', 'Bear', 'Duke'],
  },
  {
    why: 'top-level items are ANDed, one of them an OR',
    filters: [cond('properties.weight', 'range', { lt: 10 }), or(cond('properties.species', 'eq', 'rabbit'), cond('properties.tags', 'eq', 'chicken'))],
    expect: ['Bella', 'Daisy', 'Milo', 'Penny'],
  },
  {
    why: 'three levels: OR(AND(dog, OR(price >= 1000, rabies)), Ginger)',
    filters: [or(and(cond('properties.species', 'eq', 'dog'), or(cond('properties.price', 'range', { gte: 1000 }), cond('properties.vaccines', 'eq', 'rabies'))), cond('properties.name', 'eq', 'Ginger'))],
    expect: ['Cooper', 'Bear', 'Rex', 'Rocky', 'Ginger'],
  },
  {
    why: 'negations inside an OR keep the records lacking the property',
    filters: [or(cond('properties.weight', 'not_exists'), cond('properties.species', 'not_eq', 'dog'))],
    expect: ['Charlie', ...CATS, ...RABBITS, ...NO_SPECIES],
  },
  {
    why: 'negation inside an AND: not_eq and not_contains together',
    filters: [and(cond('properties.species', 'not_eq', 'cat'), cond('properties.name', 'not_contains', 'e'))],
    expect: ['Max', 'Rocky', 'Buddy', 'Molly', '(no name)', 'Shadow', 'Lucy', 'Daisy'],
  },
  { why: 'a group of one', filters: [and(cond('properties.name', 'eq', 'Rex'))], expect: ['Rex'] },
  { why: 'an AND that cannot hold', filters: [cond('properties.species', 'eq', 'cat'), cond('properties.species', 'eq', 'dog')], expect: [] },
  { why: 'five nested groups', filters: [nested(5)], expect: allBut('(no name)') },
];

describe('operators on each field kind (one page of 100 holds every match)', () => {
  for (const c of CASES) {
    test(c.why, async () => {
      assert.deepEqual(await matching({ filters: c.filters }), sorted(c.expect));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// query
// ---------------------------------------------------------------------------------------------

const QUERIES: Array<{ query: string; expect: string[]; why: string }> = [
  { query: 'rex', expect: ['Rex', 'Rexford', 'T-Rex', 'Bella'], why: 'every searchable property: names, and an email (bella@rexhaven.com)' },
  { query: 'REX', expect: ['Rex', 'Rexford', 'T-Rex', 'Bella'], why: 'case-insensitive' },
  { query: '  rEx  ', expect: ['Rex', 'Rexford', 'T-Rex', 'Bella'], why: 'trimmed' },
  { query: 'name:rex', expect: ['Rex', 'Rexford', 'T-Rex'], why: 'key:text searches that property only' },
  { query: 'name: REX ', expect: ['Rex', 'Rexford', 'T-Rex'], why: 'key:text, text trimmed and case-insensitive' },
  { query: 'email:rexhaven', expect: ['Bella'], why: 'key:text on another searchable property' },
  { query: '31.5', expect: ['Rex', 'Max', 'Bailey'], why: 'a searchable number matches by its text' },
  { query: 'weight:5', expect: ['Rex', 'Max', 'Bailey', 'Cooper', 'Daisy', 'Milo', 'Molly', 'Penny', 'Mr: Whiskers', '(no name)'], why: 'key:text over a number: every weight whose text holds 5' },
  { query: 'Mr: Whiskers', expect: ['Mr: Whiskers'], why: 'a colon after a word that is no searchable key is plain text' },
  { query: 'clair', expect: ['Éclair'], why: 'the ASCII part of a non-ASCII name' },
  { query: 'CLAIR', expect: ['Éclair'], why: 'ASCII letters fold next to a non-ASCII one' },
  { query: 'example.org', expect: ['Milo'], why: 'emails' },
  { query: 'thunder', expect: [], why: 'notes are not searchable' },
  { query: 'dog', expect: [], why: 'species is not searchable' },
  { query: 'zzz', expect: [], why: 'no match' },
  { query: '%', expect: [], why: '% is no wildcard' },
  { query: 'R_x', expect: [], why: '_ is no wildcard' },
  { query: '', expect: ALL_PETS, why: 'empty: every record' },
  { query: '   ', expect: ALL_PETS, why: 'blank: every record' },
];

describe('query: free text over searchable properties', () => {
  for (const q of QUERIES) {
    test(`${JSON.stringify(q.query)}: ${q.why}`, async () => {
      assert.deepEqual(await matching({ query: q.query }), sorted(q.expect));
    });
  }
  test('query and filters together: both must hold', async () => {
    assert.deepEqual(await matching({ query: 'rex', filters: [cond('properties.species', 'eq', 'dog')] }), sorted(['Rex', 'Rexford']));
    assert.deepEqual(await matching({ query: 'name:rex', filters: [cond('properties.species', 'not_exists')] }), ['T-Rex']);
  });
});

// ---------------------------------------------------------------------------------------------
// Sort
// ---------------------------------------------------------------------------------------------

/** A sort key's value of a fixture pet: timestamps as epoch ms, money by value, undefined when missing. */
function sortValueOf(p: Seed, field: string): string | number | undefined {
  if (field === 'createdAt') return Date.parse(p.created);
  if (field === 'updatedAt') return Date.parse(p.updated ?? p.created);
  const v = p.properties[field.slice('properties.'.length)];
  if (v !== null && typeof v === 'object' && 'value' in v) return (v as { value: number }).value;
  return v as string | number | undefined;
}

/** The order the contract's semantics give: each key in its direction, missing values last in either, then id ascending. */
function expectedOrder(sort: SortSpec[], pets: readonly Seed[] = PETS): string[] {
  return [...pets]
    .sort((a, b) => {
      for (const s of sort) {
        const x = sortValueOf(a, s.field);
        const y = sortValueOf(b, s.field);
        if (x === undefined && y === undefined) continue;
        if (x === undefined) return 1;
        if (y === undefined) return -1;
        if (x === y) continue;
        const lt = x < y ? -1 : 1;
        return s.direction === 'asc' ? lt : -lt;
      }
      const ia = petId(a.idTail);
      const ib = petId(b.idTail);
      return ia < ib ? -1 : ia > ib ? 1 : 0;
    })
    .map((p) => p.label);
}

const SORTS: Array<{ why: string; sort: SortSpec[] }> = [
  { why: 'updatedAt desc (the default, written out)', sort: [{ field: 'updatedAt', direction: 'desc' }] },
  { why: 'updatedAt asc', sort: [{ field: 'updatedAt', direction: 'asc' }] },
  { why: 'createdAt asc', sort: [{ field: 'createdAt', direction: 'asc' }] },
  { why: 'createdAt desc', sort: [{ field: 'createdAt', direction: 'desc' }] },
  { why: 'name asc (TEXT; the record without a name last)', sort: [{ field: 'properties.name', direction: 'asc' }] },
  { why: 'name desc (the record without a name still last)', sort: [{ field: 'properties.name', direction: 'desc' }] },
  { why: 'weight asc (NUMERICAL, ties, 0, missing)', sort: [{ field: 'properties.weight', direction: 'asc' }] },
  { why: 'weight desc', sort: [{ field: 'properties.weight', direction: 'desc' }] },
  { why: 'price asc (MONETORY by value)', sort: [{ field: 'properties.price', direction: 'asc' }] },
  { why: 'price desc', sort: [{ field: 'properties.price', direction: 'desc' }] },
  { why: 'birthday asc (DATE; most missing)', sort: [{ field: 'properties.birthday', direction: 'asc' }] },
  { why: 'birthday desc', sort: [{ field: 'properties.birthday', direction: 'desc' }] },
  { why: 'a TEXTBOX_LIST entry asc (two values, 28 missing)', sort: [{ field: 'properties.diet.morning', direction: 'asc' }] },
  { why: 'a RADIO desc', sort: [{ field: 'properties.size', direction: 'desc' }] },
  { why: 'species asc, then weight desc', sort: [{ field: 'properties.species', direction: 'asc' }, { field: 'properties.weight', direction: 'desc' }] },
  { why: 'updatedAt desc, then name asc', sort: [{ field: 'updatedAt', direction: 'desc' }, { field: 'properties.name', direction: 'asc' }] },
  { why: 'species desc, price asc, createdAt desc', sort: [{ field: 'properties.species', direction: 'desc' }, { field: 'properties.price', direction: 'asc' }, { field: 'createdAt', direction: 'desc' }] },
];

describe('sort', () => {
  test('hand-written: weight desc and asc over 30 < w <= 41: ties (31.5) broken by id ascending in both directions', async () => {
    const filters = [cond('properties.weight', 'range', { gt: 30, lte: 41 })];
    // ids: Bailey ...0005 < Rex ...0a10 < Max ...0c22
    const desc = await search(body({ filters, sort: [{ field: 'properties.weight', direction: 'desc' }] }));
    assert.deepEqual(labels(desc), ['Duke', 'Rocky', 'Tucker', 'Bailey', 'Rex', 'Max']);
    const asc = await search(body({ filters, sort: [{ field: 'properties.weight', direction: 'asc' }] }));
    assert.deepEqual(labels(asc), ['Bailey', 'Rex', 'Max', 'Tucker', 'Rocky', 'Duke']);
  });

  test('hand-written: cats by price, the cat without a price last in both directions', async () => {
    const filters = [cond('properties.species', 'eq', 'cat')];
    const asc = await search(body({ filters, sort: [{ field: 'properties.price', direction: 'asc' }] }));
    assert.deepEqual(labels(asc), ['Luna', 'Zoe', 'Éclair', 'Stella', 'Pepper', 'Milo', 'Lola', 'Bella', 'Mr: Whiskers']);
    const desc = await search(body({ filters, sort: [{ field: 'properties.price', direction: 'desc' }] }));
    assert.deepEqual(labels(desc), ['Lola', 'Bella', 'Milo', 'Stella', 'Pepper', 'Éclair', 'Zoe', 'Luna', 'Mr: Whiskers']);
  });

  test('hand-written: no sort means updatedAt desc; ties on updatedAt broken by id', async () => {
    const first = await search(body({ pageLimit: 7 }));
    // Luna updated last; then four records updated at the same instant, by id: Shadow 0010, Rex 0a10, Cooper 0b19, Bella 0f03.
    assert.deepEqual(labels(first), ['Luna', 'Shadow', 'Rex', 'Cooper', 'Bella', 'Pepper', '(no name)']);
    assert.equal(first.total, 30);
    assert.deepEqual(first.records[1]!.searchAfter, [Date.parse(TIE_UPDATED), petId('0010')]);
    const emptySort = await search(body({ pageLimit: 7, sort: [] }));
    assert.deepEqual(labels(emptySort), labels(first));
  });

  test('hand-written: createdAt asc; Lucy and Cooper created at the same instant, by id', async () => {
    const found = await search(body({ pageLimit: 8, sort: [{ field: 'createdAt', direction: 'asc' }] }));
    assert.deepEqual(labels(found), ['Rex', 'Bella', 'Max', 'Luna', 'Charlie', 'Lucy', 'Cooper', 'Daisy']);
  });

  test('hand-written: name asc by code point, the record without a name last with searchAfter [null, id]', async () => {
    const found = await search(body({ pageLimit: 100, sort: [{ field: 'properties.name', direction: 'asc' }] }));
    assert.deepEqual(labels(found), [
      'Bailey', 'Bear', 'Bella', 'Buddy', 'Charlie', 'Cooper', 'Daisy', 'Duke', 'Ginger', 'Lola', 'Lucy', 'Luna', 'Max', 'Milo', 'Molly',
      'Mr: Whiskers', 'Oliver', 'Penny', 'Pepper', 'Rex', 'Rexford', 'Rocky', 'Sadie', 'Shadow', 'Stella', 'T-Rex', 'Tucker', 'Zoe', 'Éclair', '(no name)',
    ]);
    assert.deepEqual(found.records.at(-1)!.searchAfter, [null, petId('0dd0')]);
  });

  for (const s of SORTS) {
    test(`every record in order: ${s.why}`, async () => {
      const found = await search(body({ pageLimit: 100, sort: s.sort }));
      assert.deepEqual(labels(found), expectedOrder(s.sort));
      assert.equal(found.total, 30);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Paging
// ---------------------------------------------------------------------------------------------

/** Every record of a search by following searchAfter from the first page; checks each page's total. */
async function walk(base: Body, pageLimit: number, withPageOne = false): Promise<{ labels: string[]; pages: number }> {
  const out: string[] = [];
  let searchAfter: unknown[] | undefined;
  let pages = 0;
  let total: number | undefined;
  for (;;) {
    const found = await search({ ...base, locationId: LOC, pageLimit, ...(withPageOne ? { page: 1 } : {}), ...(searchAfter ? { searchAfter } : {}) });
    pages++;
    if (total === undefined) total = found.total;
    assert.equal(found.total, total, 'total is the same on every page');
    out.push(...labels(found));
    if (found.records.length < pageLimit) break;
    searchAfter = found.records.at(-1)!.searchAfter;
    assert.ok(pages <= 40, 'the walk ends');
  }
  assert.equal(out.length, total, 'the walk visits total records');
  return { labels: out, pages };
}

describe('paging', () => {
  test('page + pageLimit: the pages in turn are the one big page, total on each', async () => {
    const big = await search(body({ pageLimit: 100 }));
    const pages: string[] = [];
    for (let page = 1; page <= 5; page++) {
      const found = await search(body({ page, pageLimit: 7 }));
      assert.equal(found.total, 30);
      assert.equal(found.records.length, page < 5 ? 7 : 2);
      pages.push(...labels(found));
    }
    assert.deepEqual(pages, labels(big));
    assert.deepEqual(await search(body({ page: 6, pageLimit: 7 })), { records: [], total: 30 });
    assert.deepEqual(await search(body({ page: 1000, pageLimit: 10 })), { records: [], total: 30 });
  });

  test('page + pageLimit under a filter and a sort', async () => {
    const base = { filters: [cond('properties.species', 'eq', 'dog')], sort: [{ field: 'properties.weight', direction: 'desc' }] };
    const big = await search(body({ ...base, pageLimit: 100 }));
    assert.equal(big.total, 15);
    const pages: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const found = await search(body({ ...base, page, pageLimit: 4 }));
      assert.equal(found.total, 15);
      pages.push(...labels(found));
    }
    assert.deepEqual(pages, labels(big));
  });

  test('total does not depend on paging', async () => {
    const filters = [cond('properties.weight', 'range', { lt: 10 })];
    for (const [page, pageLimit] of [[1, 1], [3, 1], [2, 5], [1, 100], [50, 1]] as const) {
      assert.equal((await search(body({ filters, page, pageLimit }))).total, 11, `page ${page} of ${pageLimit}`);
    }
    assert.equal((await search(body({ filters, pageLimit: 1, searchAfter: [Date.parse(TIE_UPDATED), petId('0f03')] }))).total, 11);
  });

  const WALKS: Array<{ why: string; base: Body; sizes: number[] }> = [
    { why: 'default sort (updatedAt desc, ties)', base: {}, sizes: [1, 3, 7, 30] },
    { why: 'createdAt asc', base: { sort: [{ field: 'createdAt', direction: 'asc' }] }, sizes: [2, 7] },
    { why: 'name asc (a null sort value at the end)', base: { sort: [{ field: 'properties.name', direction: 'asc' }] }, sizes: [1, 4] },
    { why: 'name desc', base: { sort: [{ field: 'properties.name', direction: 'desc' }] }, sizes: [3] },
    { why: 'price asc (five records without a price: cursors on null)', base: { sort: [{ field: 'properties.price', direction: 'asc' }] }, sizes: [1, 2, 4] },
    { why: 'price desc', base: { sort: [{ field: 'properties.price', direction: 'desc' }] }, sizes: [2, 5] },
    { why: 'weight desc (ties)', base: { sort: [{ field: 'properties.weight', direction: 'desc' }] }, sizes: [1, 3] },
    { why: 'birthday desc (DATE, mostly missing)', base: { sort: [{ field: 'properties.birthday', direction: 'desc' }] }, sizes: [2, 6] },
    { why: 'a TEXTBOX_LIST entry desc (28 missing: cursors on null by id)', base: { sort: [{ field: 'properties.diet.morning', direction: 'desc' }] }, sizes: [1, 4] },
    { why: 'species asc, weight desc', base: { sort: [{ field: 'properties.species', direction: 'asc' }, { field: 'properties.weight', direction: 'desc' }] }, sizes: [1, 4] },
    { why: 'species desc, price asc, createdAt desc', base: { sort: [{ field: 'properties.species', direction: 'desc' }, { field: 'properties.price', direction: 'asc' }, { field: 'createdAt', direction: 'desc' }] }, sizes: [1, 5] },
    { why: 'a filter and a query', base: { query: 'e', filters: [cond('properties.weight', 'not_eq', 31.5)], sort: [{ field: 'properties.weight', direction: 'asc' }] }, sizes: [1, 3] },
  ];
  for (const w of WALKS) {
    test(`searchAfter walk = one big page: ${w.why}`, async () => {
      const big = await search({ ...w.base, locationId: LOC, pageLimit: 100 });
      assert.ok(big.total > 0);
      for (const size of w.sizes) {
        const walked = await walk(w.base, size);
        assert.deepEqual(walked.labels, labels(big), `pageLimit ${size}`);
        assert.equal(walked.pages, Math.floor(big.total / size) + 1, 'one request per page, plus the empty or short last one');
      }
    });
  }

  test('searchAfter with page: 1 (as the spec makes clients send it) is the same walk', async () => {
    const sort = [{ field: 'properties.weight', direction: 'asc' }];
    const withPage = await walk({ sort }, 4, true);
    const without = await walk({ sort }, 4);
    assert.deepEqual(withPage.labels, without.labels);
    assert.deepEqual(withPage.labels, expectedOrder(sort as SortSpec[]));
  });

  test('a searchAfter cursor placed by hand: after a missing value come only the other missing values, by id', async () => {
    // price asc: ..., T-Rex 5000, then the records without a price by id: Lucy 0777, Oliver 0999, Ginger 0aab, Mr: Whiskers 0c99, (no name) 0dd0
    const sort = [{ field: 'properties.price', direction: 'asc' }];
    const afterOliver = await search(body({ sort, searchAfter: [null, petId('0999')] }));
    assert.deepEqual(labels(afterOliver), ['Ginger', 'Mr: Whiskers', '(no name)']);
    const afterTRex = await search(body({ sort, pageLimit: 2, searchAfter: [5000, petId('0555')] }));
    assert.deepEqual(labels(afterTRex), ['Lucy', 'Oliver']);
    // A cursor need not be a record's: weight desc after (31.5, an id between Rex's and Max's)
    const afterGap = await search(body({ sort: [{ field: 'properties.weight', direction: 'desc' }], pageLimit: 3, searchAfter: [31.5, petId('0b00')] }));
    assert.deepEqual(labels(afterGap), ['Max', 'Sadie', 'Rexford']);
    // Past the end: nothing, and the total still counts every match.
    assert.deepEqual(await search(body({ searchAfter: [0, petId('0000')] })), { records: [], total: 30 });
  });
});

// ---------------------------------------------------------------------------------------------
// Isolation, business, writes
// ---------------------------------------------------------------------------------------------

test('another location: its records are never returned, and its token sees only its own', async () => {
  const all = await search(body({ pageLimit: 100 }));
  assert.equal(all.total, 30);
  assert.ok(all.records.every((r) => r.locationId === LOC && r.objectId === OBJ_PET && r.objectKey === 'custom_objects.pet'));
  assert.ok(!all.records.some((r) => r.id === PET_OTHER_REX || r.id === TOY_REX));
  assert.deepEqual(labels(await search(filter1(cond('properties.name', 'eq', 'Rex')))), ['Rex']);
  assert.deepEqual(labels(await search(body({ query: 'name:rex', filters: [cond('properties.weight', 'eq', 31.5)] }))), ['Rex']);

  const theirs = await search({ locationId: OTHER_LOC, pageLimit: 100 }, 'custom_objects.pet', auth(PIT_OTHER));
  assert.deepEqual(theirs.records.map((r) => r.id), [PET_OTHER_REX]);
  assert.equal(theirs.total, 1);
  assert.equal(theirs.records[0]!.objectId, OBJ_PET_OTHER);
  assert.equal(theirs.records[0]!.locationId, OTHER_LOC);
});

test('another object of the same location: searched by key and by id, never mixed with pets', async () => {
  const toys = await search(body({ filters: [cond('properties.name', 'eq', 'Rex')] }), 'custom_objects.toy');
  assert.deepEqual(toys.records.map((r) => r.id), [TOY_REX]);
  assert.equal(toys.records[0]!.objectKey, 'custom_objects.toy');
  const byId = await search(body({ sort: [{ field: 'properties.name', direction: 'asc' }], pageLimit: 5 }), OBJ_PET);
  assert.deepEqual(labels(byId), ['Bailey', 'Bear', 'Bella', 'Buddy', 'Charlie']);
  assert.equal(byId.total, 30);
  assert.ok(byId.records.every((r) => r.objectKey === 'custom_objects.pet'));
});

describe('business', () => {
  const bizNames = (found: Found) => found.records.map((r) => r.properties.name);

  test('every business record of the location, none of another location; owner [] on each', async () => {
    const found = await search(body({ sort: [{ field: 'properties.name', direction: 'asc' }] }), 'business');
    assert.deepEqual(bizNames(found), ['Acme Grooming', 'Happy Paws Supplies', 'Rex Feed Co', 'Vet Partners']);
    assert.equal(found.total, 4);
    assert.ok(found.records.every((r) => r.objectKey === 'business' && r.objectId === bizObjectId && r.locationId === LOC && r.owner.length === 0));
    assert.ok(!found.records.some((r) => r.id === BIZ_OTHER));
  });

  test('query over business.name and business.email; filters on standard and custom fields', async () => {
    assert.deepEqual(bizNames(await search(body({ query: 'PAWS' }), 'business')), ['Happy Paws Supplies']);
    assert.deepEqual(bizNames(await search(body({ query: 'vetpartners' }), 'business')), ['Vet Partners']);
    assert.deepEqual(bizNames(await search(body({ query: 'email:paws' }), 'business')), ['Happy Paws Supplies']);
    assert.deepEqual(bizNames(await search(body({ query: 'austin' }), 'business')), [], 'city is not searchable');
    const austin = await search(body({ filters: [cond('properties.city', 'eq', 'Austin')], sort: [{ field: 'properties.name', direction: 'desc' }] }), 'business');
    assert.deepEqual(bizNames(austin), ['Vet Partners', 'Happy Paws Supplies']);
    const tier = await search(body({ sort: [{ field: 'properties.tier', direction: 'asc' }] }), 'business');
    assert.deepEqual(tier.records.map((r) => r.id), [BIZ_PAWS, BIZ_REXFEED, BIZ_VET, BIZ_ACME], 'gold, silver, then the two without a tier by id');
    assert.deepEqual(bizNames(await search(body({ filters: [or(cond('properties.tier', 'not_exists'), cond('properties.city', 'eq', 'Dallas'))] , sort: [{ field: 'createdAt', direction: 'asc' }] }), 'business')), ['Rex Feed Co', 'Vet Partners', 'Acme Grooming']);
  });

  test('business by its object id, and the short-key rule on its fields', async () => {
    const found = await search(body({ filters: [cond('properties.tier', 'eq', 'gold')] }), bizObjectId);
    assert.deepEqual(found.records.map((r) => r.id), [BIZ_PAWS]);
    const res = await searchRaw(body({ filters: [cond('properties.business.city', 'eq', 'Austin')] }), 'business');
    assert.equal(res.status, 422);
    assert.equal(res.text, JSON.stringify(v422('filters.0.field must use the field\'s short key "properties.city"')));
  });
});

test('records created, updated and deleted through the API are what the very next search sees', async () => {
  const toys = (extra: Body = {}) => search(body({ pageLimit: 100, ...extra }), 'custom_objects.toy');
  const kite = (extra: Body = {}) => toys({ filters: [cond('properties.name', 'eq', 'Kite')], ...extra });
  assert.equal((await kite()).total, 0);

  const created = await write('POST', '/objects/custom_objects.toy/records', { locationId: LOC, properties: { name: 'Kite', price: 12 } });
  assert.equal(created.status, 201, created.text);
  const id = (created.body as { record: ApiRecord }).record.id;
  const afterCreate = await kite();
  assert.deepEqual(afterCreate.records.map((r) => r.id), [id]);
  assert.equal(afterCreate.total, 1);
  assert.deepEqual(afterCreate.records[0]!.properties, { name: 'Kite', price: 12 });
  assert.equal((await toys()).records[0]!.id, id, 'the newest update comes first by default');
  assert.equal((await toys({ query: 'kit' })).records[0]!.id, id, 'free text finds it at once (name is the primary display property, so searchable)');

  const updated = await write('PUT', `/objects/custom_objects.toy/records/${id}?locationId=${LOC}`, { properties: { price: 99, name: 'Kite XL' } });
  assert.equal(updated.status, 200, updated.text);
  assert.equal((await kite()).total, 0, 'the old name no longer matches');
  const byPrice = await toys({ filters: [cond('properties.price', 'range', { gte: 50 })] });
  assert.deepEqual(byPrice.records.map((r) => r.id), [id]);
  assert.deepEqual(byPrice.records[0]!.properties, { name: 'Kite XL', price: 99 });
  assert.equal((await toys({ filters: [cond('properties.price', 'eq', 12)] })).total, 0, 'the old price no longer matches');

  const cleared = await write('PUT', `/objects/custom_objects.toy/records/${id}?locationId=${LOC}`, { properties: { price: null } });
  assert.equal(cleared.status, 200, cleared.text);
  assert.deepEqual((await toys({ filters: [cond('properties.price', 'not_exists')] })).records.map((r) => r.id), [id], 'a cleared property is missing at once');

  const deleted = await write('DELETE', `/objects/custom_objects.toy/records/${id}`);
  assert.equal(deleted.status, 200, deleted.text);
  const afterDelete = await toys();
  assert.deepEqual(afterDelete.records.map((r) => r.id), [TOY_REX]);
  assert.equal(afterDelete.total, 1);
  assert.equal((await toys({ query: 'kite' })).total, 0);
  assert.equal((await search(body())).total, 30, 'the pets are untouched');
});

test('a pet created then deleted: visible in filters, sorts and totals in between', async () => {
  const created = await write('POST', '/objects/custom_objects.pet/records', {
    locationId: LOC,
    properties: { name: 'Aardvark', weight: 31.5, species: 'rabbit', tags: ['pollen'], price: { currency: 'default', value: 1 } },
  });
  assert.equal(created.status, 201, created.text);
  const id = (created.body as { record: ApiRecord }).record.id;
  try {
    assert.equal((await search(body())).total, 31);
    assert.equal((await search(body({ sort: [{ field: 'properties.name', direction: 'asc' }], pageLimit: 1 }))).records[0]!.id, id);
    assert.equal((await search(body({ pageLimit: 1 }))).records[0]!.id, id, 'updated last: first by default');
    const heavy = await search(body({ filters: [cond('properties.weight', 'eq', 31.5)], sort: [{ field: 'properties.price', direction: 'asc' }] }));
    assert.deepEqual(heavy.records.map((r) => r.id), [id, petId('0005'), petId('0a10'), petId('0c22')]);
    assert.ok((await search(body({ query: 'aardv', pageLimit: 100 }))).records.some((r) => r.id === id));
  } finally {
    const deleted = await write('DELETE', `/objects/custom_objects.pet/records/${id}`);
    assert.equal(deleted.status, 200, deleted.text);
  }
  assert.equal((await search(body())).total, 30);
  assert.equal((await search(body({ query: 'aardv' }))).total, 0);
});
