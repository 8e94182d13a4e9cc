import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Database from 'better-sqlite3';
import { contractErrors as E } from '../helpers/contract-errors.js';
import { waitUntilPast } from '../helpers/poll.js';
import {
  A_PET_KEY,
  B_NAMES,
  B_VAULT_KEY,
  EXPIRES_IN_S,
  FIELD,
  FOLDER,
  LOC_A,
  LOC_B,
  OBJ,
  PIT,
  REC,
  USER_B1,
  openReadOnly,
  robustnessFixture,
  snapshotDiff,
  snapshotTables,
} from '../helpers/robustness.js';
import { auth, call, startTestServer, type Answer, type TestServer } from '../helpers/test-server.js';

/**
 * The isolation matrix (issue "Rate limits, and proof that no input, load or crash breaks it",
 * part 3): every endpoint of the README's API table × {own location, other location, no scope,
 * wrong scope, revoked token, expired token}, each with a PIT and an OAuth token of location A.
 * A's token addressing B's resources (by id, by key, by locationId) gets exactly the answer
 * CONTRACT.md fixes: 403 for a foreign locationId, 404 for a resource of B, the same answer as for
 * a thing that does not exist at all, never a 2xx. Afterwards B's rows are byte for byte as they
 * were, and no answer to A holds any of B's ids, names or values that A did not send itself.
 */

let server: TestServer;
let db: Database.Database;
let bBefore: string;
/** Every id, name, value and token of B: none may reach an answer to A unless A sent it. */
let bSecrets: string[];
const answersToA: Array<{ request: string; text: string }> = [];

interface Creds {
  label: string;
  token: string;
}
let own: Creds[];
let failing: Array<Creds & { expect: unknown }>;
let oauthB: string;

before(async () => {
  server = await startTestServer(robustnessFixture());
  const loaded = Date.now();
  db = openReadOnly(server.dbPath);
  const oauth = (loc: string) => server.tokens.filter((t) => t.type === 'oauth' && t.locationId === loc).map((t) => t.token);
  const [oFull, oNoScope, oWrong, oRevoked, oExpired] = oauth(LOC_A) as [string, string, string, string, string];
  oauthB = oauth(LOC_B)[0]!;
  own = [
    { label: 'PIT', token: PIT.aFull },
    { label: 'OAuth', token: oFull },
  ];
  failing = [
    { label: 'no scope (PIT)', token: PIT.aNoScope, expect: E.scopeMissing },
    { label: 'no scope (OAuth)', token: oNoScope, expect: E.scopeMissing },
    { label: 'wrong scope (PIT)', token: PIT.aWrongScope, expect: E.scopeMissing },
    { label: 'wrong scope (OAuth)', token: oWrong, expect: E.scopeMissing },
    { label: 'revoked (PIT)', token: PIT.aRevoked, expect: E.invalidToken },
    { label: 'revoked (OAuth)', token: oRevoked, expect: E.invalidToken },
    { label: 'expired (PIT)', token: PIT.aExpired, expect: E.invalidToken },
    { label: 'expired (OAuth)', token: oExpired, expect: E.invalidToken },
  ];
  // B's rows as stored, and everything of B that could leak: ids (fixture and generated), names, values, tokens.
  bBefore = snapshotTables(db, LOC_B);
  const ids = db
    .prepare(
      `SELECT id FROM objects WHERE location_id = @b UNION SELECT id FROM fields WHERE location_id = @b UNION SELECT id FROM folders WHERE location_id = @b
       UNION SELECT id FROM records WHERE location_id = @b UNION SELECT id FROM users WHERE location_id = @b UNION SELECT id FROM tokens WHERE location_id = @b
       UNION SELECT client_id FROM tokens WHERE location_id = @b AND client_id IS NOT NULL UNION SELECT hash FROM tokens WHERE location_id = @b AND hash IS NOT NULL`,
    )
    .pluck()
    .all({ b: LOC_B }) as string[];
  bSecrets = [...new Set([LOC_B, ...ids, ...B_NAMES, B_VAULT_KEY, 'bravo_vault', 'bravo_chip', 'bravo_code', 'bravo_rating', PIT.bFull, oauthB])];
  assert.ok(ids.length > 20, 'B has its objects, fields, folders, records, users and tokens');
  await waitUntilPast(loaded + EXPIRES_IN_S * 1000 + 50);
});

after(async () => {
  db?.close();
  await server?.close();
});

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

interface Probe {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
}

const show = (p: Probe) => `${p.method} ${p.path}${p.body === undefined ? '' : ` ${JSON.stringify(p.body)}`}`;

/** A request made with one of A's tokens: its answer is scanned for B's things at the end. */
async function asA(p: Probe, token: string): Promise<Answer> {
  const res = await call(server.url + p.path, { method: p.method, headers: auth(token), body: p.body });
  answersToA.push({ request: `${show(p)} ${token}`, text: res.text });
  return res;
}

function expectExact(res: Answer, status: number, body: unknown, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.text}`);
  assert.equal(res.text, JSON.stringify(body), what);
}

/** A well-formed thing that exists nowhere: the answer to B's thing must be this answer, the id aside. */
const GHOST = {
  object: 'c0c0c0c0c0c0c0c0c0c0c0c0',
  record: 'c0c0c0c0c0c0c0c0c0c0c0c1',
  folder: 'c0c0c0c0c0c0c0c0c0c0c0c2',
  field: 'GhostFieldIdNowhere0',
  user: 'GhostUserIdNowhere00',
  key: 'custom_objects.ghost_key',
  fieldKey: 'custom_objects.pet.ghost_chip',
} as const;

const fieldNotFound = { statusCode: 404, message: 'Custom field not found', error: 'Not Found' };
const folderNotFound = { statusCode: 404, message: 'Folder not found', error: 'Not Found' };

/**
 * A's request on B's thing. `expect` is the exact answer; with `ghost`, the answer must also be
 * the answer to the same request naming a thing that exists nowhere (`ghost` → `real` in its text).
 */
interface Foreign extends Probe {
  what: string;
  expect: { status: number; body?: unknown };
  ghost?: { real: string; fake: string };
}

interface Endpoint {
  name: string;
  /** A's own request, per token (deletes get a thing of their own per token); its 2xx and a check. */
  own: (i: number) => Probe & { status: number; check: (body: Record<string, unknown>) => void };
  foreign: Foreign[];
}

const q = `?locationId=${LOC_A}`;
const qB = `?locationId=${LOC_B}`;
const isA = (v: unknown) => assert.equal(v, LOC_A);
const rec = (schemaKey: string, id = '') => `/objects/${schemaKey}/records${id ? `/${id}` : ''}`;

const ENDPOINTS: Endpoint[] = [
  {
    name: 'GET /objects/{schemaKey}/records/{id}',
    own: () => ({ method: 'GET', path: rec(A_PET_KEY, REC.aRex), status: 200, check: (b) => isA((b.record as Record<string, unknown>).locationId) }),
    foreign: [
      { what: "B's record under the shared key", method: 'GET', path: rec(A_PET_KEY, REC.bRex), expect: { status: 404, body: E.recordNotFound }, ghost: { real: REC.bRex, fake: GHOST.record } },
      { what: "B's business record", method: 'GET', path: rec('business', REC.bBiz), expect: { status: 404, body: E.recordNotFound }, ghost: { real: REC.bBiz, fake: GHOST.record } },
      { what: "B's object by id", method: 'GET', path: rec(OBJ.bPet, REC.bRex), expect: { status: 404, body: E.objectNotFound(OBJ.bPet) }, ghost: { real: OBJ.bPet, fake: GHOST.object } },
      { what: "B's own key", method: 'GET', path: rec(B_VAULT_KEY, REC.bVault), expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      { what: "B's locationId in the query", method: 'GET', path: rec(A_PET_KEY, REC.aRex) + qB, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'POST /objects/{schemaKey}/records',
    own: (i) => ({ method: 'POST', path: rec(A_PET_KEY), body: { locationId: LOC_A, properties: { name: `Own ${i}` } }, status: 201, check: (b) => isA((b.record as Record<string, unknown>).locationId) }),
    foreign: [
      { what: "B's locationId in the body", method: 'POST', path: rec(A_PET_KEY), body: { locationId: LOC_B, properties: { name: 'x' } }, expect: { status: 403, body: E.locationForbidden } },
      { what: "B's object by id", method: 'POST', path: rec(OBJ.bVault), body: { locationId: LOC_A, properties: { bravo_code: 'x' } }, expect: { status: 404, body: E.objectNotFound(OBJ.bVault) }, ghost: { real: OBJ.bVault, fake: GHOST.object } },
      { what: "B's own key", method: 'POST', path: rec(B_VAULT_KEY), body: { locationId: LOC_A, properties: { bravo_code: 'x' } }, expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      { what: "B's user as owner", method: 'POST', path: rec(A_PET_KEY), body: { locationId: LOC_A, owner: [USER_B1], properties: { name: 'x' } }, expect: { status: 422 }, ghost: { real: USER_B1, fake: GHOST.user } },
      { what: "B's user as follower", method: 'POST', path: rec(A_PET_KEY), body: { locationId: LOC_A, followers: [USER_B1], properties: { name: 'x' } }, expect: { status: 422 }, ghost: { real: USER_B1, fake: GHOST.user } },
      { what: "a property only B's pet has", method: 'POST', path: rec(A_PET_KEY), body: { locationId: LOC_A, properties: { name: 'x', bravo_chip: 'y' } }, expect: { status: 422 }, ghost: { real: 'bravo_chip', fake: 'ghost_chip' } },
    ],
  },
  {
    name: 'PUT /objects/{schemaKey}/records/{id}?locationId=',
    own: (i) => ({ method: 'PUT', path: rec(A_PET_KEY, REC.aMisty) + q, body: { properties: { name: `Misty ${i}` } }, status: 200, check: (b) => isA((b.record as Record<string, unknown>).locationId) }),
    foreign: [
      { what: "B's record under the shared key", method: 'PUT', path: rec(A_PET_KEY, REC.bRex) + q, body: { properties: { name: 'taken' } }, expect: { status: 404, body: E.recordNotFound }, ghost: { real: REC.bRex, fake: GHOST.record } },
      { what: "B's record by B's object id", method: 'PUT', path: rec(OBJ.bPet, REC.bRex) + q, body: { properties: { name: 'taken' } }, expect: { status: 404, body: E.objectNotFound(OBJ.bPet) }, ghost: { real: OBJ.bPet, fake: GHOST.object } },
      { what: "B's own key", method: 'PUT', path: rec(B_VAULT_KEY, REC.bVault) + q, body: { properties: { bravo_code: 'taken' } }, expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      { what: "B's locationId in the query", method: 'PUT', path: rec(A_PET_KEY, REC.bRex) + qB, body: { properties: { name: 'taken' } }, expect: { status: 403, body: E.locationForbidden } },
      { what: "B's user as owner of A's record", method: 'PUT', path: rec(A_PET_KEY, REC.aMisty) + q, body: { owner: [USER_B1] }, expect: { status: 422 }, ghost: { real: USER_B1, fake: GHOST.user } },
    ],
  },
  {
    name: 'DELETE /objects/{schemaKey}/records/{id}',
    own: (i) => ({ method: 'DELETE', path: rec(A_PET_KEY, [REC.aDelOne, REC.aDelTwo][i]!), status: 200, check: (b) => assert.equal(b.success, true) }),
    foreign: [
      { what: "B's record under the shared key", method: 'DELETE', path: rec(A_PET_KEY, REC.bRex), expect: { status: 404, body: E.recordNotFound }, ghost: { real: REC.bRex, fake: GHOST.record } },
      { what: "B's business record", method: 'DELETE', path: rec('business', REC.bBiz), expect: { status: 404, body: E.recordNotFound }, ghost: { real: REC.bBiz, fake: GHOST.record } },
      { what: "B's object by id", method: 'DELETE', path: rec(OBJ.bVault, REC.bVault), expect: { status: 404, body: E.objectNotFound(OBJ.bVault) }, ghost: { real: OBJ.bVault, fake: GHOST.object } },
      { what: "B's own key", method: 'DELETE', path: rec(B_VAULT_KEY, REC.bVault), expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      { what: "B's locationId in the query", method: 'DELETE', path: rec(A_PET_KEY, REC.bRex) + qB, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'POST /objects/{schemaKey}/records/search',
    own: () => ({ method: 'POST', path: rec(A_PET_KEY, 'search'), body: { locationId: LOC_A, pageLimit: 100 }, status: 201, check: (b) => {
      const records = b.records as Array<Record<string, unknown>>;
      assert.ok(records.length > 0);
      for (const r of records) isA(r.locationId);
    } }),
    foreign: [
      { what: "B's locationId in the body", method: 'POST', path: rec(A_PET_KEY, 'search'), body: { locationId: LOC_B, pageLimit: 100 }, expect: { status: 403, body: E.locationForbidden } },
      { what: "B's object by id", method: 'POST', path: rec(OBJ.bPet, 'search'), body: { locationId: LOC_A, pageLimit: 100 }, expect: { status: 404, body: E.objectNotFound(OBJ.bPet) }, ghost: { real: OBJ.bPet, fake: GHOST.object } },
      { what: "B's own key", method: 'POST', path: rec(B_VAULT_KEY, 'search'), body: { locationId: LOC_A, pageLimit: 100 }, expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      {
        what: "a filter on a field only B's pet has", method: 'POST', path: rec(A_PET_KEY, 'search'),
        body: { locationId: LOC_A, pageLimit: 100, filters: [{ field: 'properties.bravo_chip', operator: 'eq', value: 'BRAVO-CHIP-7731' }] },
        expect: { status: 422 }, ghost: { real: 'bravo_chip', fake: 'ghost_chip' },
      },
      { what: "a query for B's values", method: 'POST', path: rec(A_PET_KEY, 'search'), body: { locationId: LOC_A, pageLimit: 100, query: 'BravoSecretRex' }, expect: { status: 201 } },
    ],
  },
  {
    name: 'GET /objects/?locationId=',
    own: () => ({ method: 'GET', path: `/objects/${q}`, status: 200, check: (b) => {
      const objects = b.objects as Array<Record<string, unknown>>;
      assert.ok(objects.some((o) => o.key === A_PET_KEY));
      for (const o of objects) isA(o.locationId);
    } }),
    foreign: [{ what: "B's locationId in the query", method: 'GET', path: `/objects/${qB}`, expect: { status: 403, body: E.locationForbidden } }],
  },
  {
    name: 'GET /objects/{key}?locationId=&fetchProperties=true',
    own: () => ({ method: 'GET', path: `/objects/${A_PET_KEY}${q}&fetchProperties=true`, status: 200, check: (b) => {
      isA((b.object as Record<string, unknown>).locationId);
      for (const f of b.fields as Array<Record<string, unknown>>) isA(f.locationId);
    } }),
    foreign: [
      { what: "B's own key", method: 'GET', path: `/objects/${B_VAULT_KEY}${q}&fetchProperties=true`, expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      { what: "B's object by id", method: 'GET', path: `/objects/${OBJ.bPet}${q}&fetchProperties=true`, expect: { status: 404, body: E.objectNotFound(OBJ.bPet) }, ghost: { real: OBJ.bPet, fake: GHOST.object } },
      { what: "B's locationId in the query", method: 'GET', path: `/objects/${A_PET_KEY}${qB}&fetchProperties=true`, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'POST /objects/',
    own: (i) => ({
      method: 'POST', path: '/objects/',
      body: { labels: { singular: `Own ${i}`, plural: `Owns ${i}` }, key: `custom_objects.own_${i}`, locationId: LOC_A, primaryDisplayPropertyDetails: { key: `custom_objects.own_${i}.title`, name: 'Title', dataType: 'TEXT' } },
      status: 201, check: (b) => isA((b.object as Record<string, unknown>).locationId),
    }),
    foreign: [
      {
        what: "B's locationId in the body", method: 'POST', path: '/objects/',
        body: { labels: { singular: 'X', plural: 'Xs' }, key: 'custom_objects.intruder', locationId: LOC_B, primaryDisplayPropertyDetails: { key: 'custom_objects.intruder.title', name: 'Title', dataType: 'TEXT' } },
        expect: { status: 403, body: E.locationForbidden },
      },
    ],
  },
  {
    name: 'PUT /objects/{key}',
    own: () => ({ method: 'PUT', path: `/objects/${A_PET_KEY}`, body: { locationId: LOC_A, description: 'Own', searchableProperties: ['custom_objects.pet.name'] }, status: 200, check: (b) => isA((b.object as Record<string, unknown>).locationId) }),
    foreign: [
      { what: "B's own key", method: 'PUT', path: `/objects/${B_VAULT_KEY}`, body: { locationId: LOC_A, description: 'taken', searchableProperties: [] }, expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      { what: "B's object by id", method: 'PUT', path: `/objects/${OBJ.bPet}`, body: { locationId: LOC_A, description: 'taken', searchableProperties: [] }, expect: { status: 404, body: E.objectNotFound(OBJ.bPet) }, ghost: { real: OBJ.bPet, fake: GHOST.object } },
      { what: "B's locationId in the body", method: 'PUT', path: `/objects/${A_PET_KEY}`, body: { locationId: LOC_B, description: 'taken', searchableProperties: [] }, expect: { status: 403, body: E.locationForbidden } },
      { what: "a searchable property only B's pet has", method: 'PUT', path: `/objects/${A_PET_KEY}`, body: { locationId: LOC_A, searchableProperties: ['custom_objects.pet.bravo_chip'] }, expect: { status: 422 }, ghost: { real: 'bravo_chip', fake: 'ghost_chip' } },
    ],
  },
  {
    name: 'DELETE /objects/{id}?locationId=',
    own: (i) => ({ method: 'DELETE', path: `/objects/${[OBJ.aTempOne, OBJ.aTempTwo][i]}${q}`, status: 200, check: (b) => assert.equal(b.success, true) }),
    foreign: [
      { what: "B's object by id", method: 'DELETE', path: `/objects/${OBJ.bVault}${q}`, expect: { status: 404, body: E.objectNotFound(OBJ.bVault) }, ghost: { real: OBJ.bVault, fake: GHOST.object } },
      { what: "B's locationId in the query", method: 'DELETE', path: `/objects/${OBJ.bVault}${qB}`, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'POST /custom-fields/',
    own: (i) => ({
      method: 'POST', path: '/custom-fields/',
      body: { locationId: LOC_A, name: `Own ${i}`, showInForms: true, dataType: 'TEXT', fieldKey: `custom_objects.pet.own_${i}`, objectKey: A_PET_KEY, parentId: FOLDER.aGeneral },
      status: 201, check: (b) => isA((b.field as Record<string, unknown>).locationId),
    }),
    foreign: [
      {
        what: "B's locationId in the body", method: 'POST', path: '/custom-fields/',
        body: { locationId: LOC_B, name: 'X', showInForms: true, dataType: 'TEXT', fieldKey: 'custom_objects.pet.intruder', objectKey: A_PET_KEY, parentId: FOLDER.aGeneral },
        expect: { status: 403, body: E.locationForbidden },
      },
      {
        what: "B's own object key", method: 'POST', path: '/custom-fields/',
        body: { locationId: LOC_A, name: 'X', showInForms: true, dataType: 'TEXT', fieldKey: `${B_VAULT_KEY}.intruder`, objectKey: B_VAULT_KEY, parentId: FOLDER.bVault },
        expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key },
      },
      {
        what: "B's folder as the parent", method: 'POST', path: '/custom-fields/',
        body: { locationId: LOC_A, name: 'X', showInForms: true, dataType: 'TEXT', fieldKey: 'custom_objects.pet.intruder', objectKey: A_PET_KEY, parentId: FOLDER.bGeneral },
        expect: { status: 422 }, ghost: { real: FOLDER.bGeneral, fake: GHOST.folder },
      },
    ],
  },
  {
    name: 'GET /custom-fields/{id}',
    own: () => ({ method: 'GET', path: `/custom-fields/${FIELD.aName}`, status: 200, check: (b) => isA((b.field as Record<string, unknown>).locationId) }),
    foreign: [
      { what: "B's field", method: 'GET', path: `/custom-fields/${FIELD.bChip}`, expect: { status: 404, body: fieldNotFound }, ghost: { real: FIELD.bChip, fake: GHOST.field } },
      { what: "B's business field", method: 'GET', path: `/custom-fields/${FIELD.bRating}`, expect: { status: 404, body: fieldNotFound }, ghost: { real: FIELD.bRating, fake: GHOST.field } },
      { what: "B's locationId in the query", method: 'GET', path: `/custom-fields/${FIELD.aName}${qB}`, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'PUT /custom-fields/{id}',
    own: (i) => ({ method: 'PUT', path: `/custom-fields/${FIELD.aHistory}`, body: { locationId: LOC_A, name: `History ${i}`, showInForms: true }, status: 200, check: (b) => isA((b.field as Record<string, unknown>).locationId) }),
    foreign: [
      { what: "B's field", method: 'PUT', path: `/custom-fields/${FIELD.bChip}`, body: { locationId: LOC_A, name: 'taken', showInForms: true }, expect: { status: 404, body: fieldNotFound }, ghost: { real: FIELD.bChip, fake: GHOST.field } },
      { what: "B's locationId in the body", method: 'PUT', path: `/custom-fields/${FIELD.bChip}`, body: { locationId: LOC_B, name: 'taken', showInForms: true }, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'DELETE /custom-fields/{id}',
    own: (i) => ({ method: 'DELETE', path: `/custom-fields/${[FIELD.aSpareOne, FIELD.aSpareTwo][i]}`, status: 200, check: (b) => assert.equal(b.succeded, true) }),
    foreign: [
      { what: "B's field", method: 'DELETE', path: `/custom-fields/${FIELD.bCode}`, expect: { status: 404, body: fieldNotFound }, ghost: { real: FIELD.bCode, fake: GHOST.field } },
      { what: "B's business field", method: 'DELETE', path: `/custom-fields/${FIELD.bRating}`, expect: { status: 404, body: fieldNotFound }, ghost: { real: FIELD.bRating, fake: GHOST.field } },
      { what: "B's locationId in the query", method: 'DELETE', path: `/custom-fields/${FIELD.bCode}${qB}`, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'GET /custom-fields/object-key/{objectKey}?locationId=',
    own: () => ({ method: 'GET', path: `/custom-fields/object-key/${A_PET_KEY}${q}`, status: 200, check: (b) => {
      for (const f of b.fields as Array<Record<string, unknown>>) isA(f.locationId);
      for (const f of b.folders as Array<Record<string, unknown>>) isA(f.locationId);
    } }),
    foreign: [
      { what: "B's own key", method: 'GET', path: `/custom-fields/object-key/${B_VAULT_KEY}${q}`, expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      { what: "B's locationId in the query", method: 'GET', path: `/custom-fields/object-key/${A_PET_KEY}${qB}`, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'POST /custom-fields/folder',
    own: (i) => ({ method: 'POST', path: '/custom-fields/folder', body: { objectKey: A_PET_KEY, name: `Own folder ${i}`, locationId: LOC_A }, status: 201, check: (b) => isA(b.locationId) }),
    foreign: [
      { what: "B's own key", method: 'POST', path: '/custom-fields/folder', body: { objectKey: B_VAULT_KEY, name: 'intruder', locationId: LOC_A }, expect: { status: 404, body: E.objectNotFound(B_VAULT_KEY) }, ghost: { real: B_VAULT_KEY, fake: GHOST.key } },
      { what: "B's locationId in the body", method: 'POST', path: '/custom-fields/folder', body: { objectKey: A_PET_KEY, name: 'intruder', locationId: LOC_B }, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'PUT /custom-fields/folder/{id}',
    own: (i) => ({ method: 'PUT', path: `/custom-fields/folder/${FOLDER.aImaging}`, body: { name: `Imaging ${i}`, locationId: LOC_A }, status: 200, check: (b) => isA(b.locationId) }),
    foreign: [
      { what: "B's folder", method: 'PUT', path: `/custom-fields/folder/${FOLDER.bGeneral}`, body: { name: 'taken', locationId: LOC_A }, expect: { status: 404, body: folderNotFound }, ghost: { real: FOLDER.bGeneral, fake: GHOST.folder } },
      { what: "B's locationId in the body", method: 'PUT', path: `/custom-fields/folder/${FOLDER.bGeneral}`, body: { name: 'taken', locationId: LOC_B }, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
  {
    name: 'DELETE /custom-fields/folder/{id}?locationId=',
    own: (i) => ({ method: 'DELETE', path: `/custom-fields/folder/${[FOLDER.aSpareOne, FOLDER.aSpareTwo][i]}${q}`, status: 200, check: (b) => assert.equal(b.succeded, true) }),
    foreign: [
      { what: "B's empty folder", method: 'DELETE', path: `/custom-fields/folder/${FOLDER.bSpare}${q}`, expect: { status: 404, body: folderNotFound }, ghost: { real: FOLDER.bSpare, fake: GHOST.folder } },
      { what: "B's locationId in the query", method: 'DELETE', path: `/custom-fields/folder/${FOLDER.bSpare}${qB}`, expect: { status: 403, body: E.locationForbidden } },
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

test('the matrix covers every endpoint of the README API table', () => {
  assert.equal(ENDPOINTS.length, 18);
  // Every B thing a probe names exists, in B: the 404s below are about isolation, not typos.
  const inB = (table: string, id: string) => db.prepare(`SELECT location_id FROM ${table} WHERE id = ?`).pluck().get(id) === LOC_B;
  for (const id of [REC.bRex, REC.bVault, REC.bBiz]) assert.ok(inB('records', id), id);
  for (const id of [OBJ.bPet, OBJ.bVault]) assert.ok(inB('objects', id), id);
  for (const id of [FIELD.bChip, FIELD.bCode, FIELD.bRating]) assert.ok(inB('fields', id), id);
  for (const id of [FOLDER.bGeneral, FOLDER.bSpare, FOLDER.bVault]) assert.ok(inB('folders', id), id);
  assert.ok(inB('users', USER_B1));
});

for (const endpoint of ENDPOINTS) {
  test(`isolation: ${endpoint.name}`, async (t) => {
    const ownProbes = own.map((_, i) => endpoint.own(i));

    // No scope, wrong scope, revoked, expired: exactly 401, on A's things and on B's alike.
    await t.test('no scope, wrong scope, revoked and expired tokens: 401, on A and on B', async () => {
      for (const cred of failing) {
        for (const p of [...ownProbes, ...endpoint.foreign]) {
          expectExact(await asA(p, cred.token), 401, cred.expect, `${cred.label}: ${show(p)}`);
        }
      }
    });

    // Other location: A's tokens on B's things.
    await t.test("other location: A's tokens on B's things get 403 / 404, as for a thing that does not exist", async () => {
      for (const cred of own) {
        for (const p of endpoint.foreign) {
          const res = await asA(p, cred.token);
          const what = `${cred.label}, ${p.what}: ${show(p)}`;
          assert.equal(res.status, p.expect.status, `${what}: ${res.text}`);
          if (p.expect.body !== undefined) assert.equal(res.text, JSON.stringify(p.expect.body), what);
          if (p.ghost) {
            const swap = (x: unknown): unknown => (x === undefined ? undefined : JSON.parse(JSON.stringify(x).split(p.ghost!.real).join(p.ghost!.fake)));
            const ghostProbe = { ...p, path: p.path.split(p.ghost.real).join(p.ghost.fake), body: swap(p.body) };
            const ghost = await asA(ghostProbe, cred.token);
            assert.equal(res.text, ghost.text.split(p.ghost.fake).join(p.ghost.real), `${what}: answered unlike a thing that exists nowhere (${show(ghostProbe)} → ${ghost.text})`);
            assert.equal(res.status, ghost.status, what);
          }
        }
      }
    });

    // Own location: a PIT and an OAuth token of A, on A's things.
    await t.test("own location: A's PIT and OAuth token get A's data", async () => {
      for (const [i, cred] of own.entries()) {
        const p = ownProbes[i]!;
        const res = await asA(p, cred.token);
        assert.equal(res.status, p.status, `${cred.label}: ${show(p)}: ${res.text}`);
        p.check(res.body as Record<string, unknown>);
      }
    });
  });
}

test("B's data is byte for byte as it was, and B's own tokens still read it", async () => {
  const after = snapshotTables(db, LOC_B);
  assert.ok(after === bBefore, `B's rows changed:\n${snapshotDiff(bBefore, after)}`);
  for (const token of [PIT.bFull, oauthB]) {
    const res = await call(`${server.url}${rec(A_PET_KEY, REC.bRex)}`, { headers: auth(token) });
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /BravoSecretRex/);
  }
});

test("no answer to A holds anything of B that A did not send itself", (t) => {
  t.diagnostic(`${answersToA.length} answers to A scanned for ${bSecrets.length} ids, names, values and tokens of B`);
  assert.ok(answersToA.length > 500, `only ${answersToA.length} answers to A were scanned`);
  const leaks: string[] = [];
  for (const { request, text } of answersToA) {
    for (const secret of bSecrets) {
      if (text.includes(secret) && !request.includes(secret)) leaks.push(`${JSON.stringify(secret)} in the answer to ${request.slice(0, 200)}: ${text.slice(0, 200)}`);
    }
  }
  assert.deepEqual(leaks, []);
});

test("A can reuse B's object key, field key and unique value: nothing collides across locations", async () => {
  const before = snapshotTables(db, LOC_B);
  const object = await asA({
    method: 'POST', path: '/objects/',
    body: { labels: { singular: 'Vault', plural: 'Vaults' }, key: B_VAULT_KEY, locationId: LOC_A, primaryDisplayPropertyDetails: { key: `${B_VAULT_KEY}.bravo_code`, name: 'Code', dataType: 'TEXT' } },
  }, PIT.aFull);
  assert.equal(object.status, 201, object.text);
  const field = await asA({
    method: 'POST', path: '/custom-fields/',
    body: { locationId: LOC_A, name: 'Chip', showInForms: true, dataType: 'TEXT', fieldKey: 'custom_objects.pet.bravo_chip', objectKey: A_PET_KEY, parentId: FOLDER.aGeneral, unique: true },
  }, PIT.aFull);
  assert.equal(field.status, 201, field.text);
  const record = await asA({ method: 'POST', path: rec(A_PET_KEY), body: { locationId: LOC_A, properties: { name: 'Copy', bravo_chip: 'BRAVO-CHIP-7731' } } }, PIT.aFull);
  assert.equal(record.status, 201, record.text);
  // ...and B's own key now names A's object for A, B's for B.
  const aVault = await asA({ method: 'GET', path: rec(B_VAULT_KEY, REC.bVault) }, PIT.aFull);
  expectExact(aVault, 404, E.recordNotFound, "B's vault record through A's object of the same key");
  const after = snapshotTables(db, LOC_B);
  assert.ok(after === before, `B's rows changed:\n${snapshotDiff(before, after)}`);
});
