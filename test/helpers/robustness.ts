/**
 * Shared by the robustness tests (test/robustness/*): a two-location fixture (A and B, each with
 * objects, fields, folders, records and tokens of every kind), a raw HTTP client over a keep-alive
 * agent (duplicate headers, raw paths, raw bodies), a raw-socket exchange for what no HTTP client
 * sends, the contract's envelope check, and a snapshot of every table of a SQLite file.
 */
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import http, { STATUS_CODES } from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { buildApp } from '../../src/app.js';
import { loadConfig, type ConfigInput } from '../../src/config.js';
import { createServices } from '../../src/services/container.js';
import { prepareFixture, type IssuedToken } from '../../src/services/fixtures.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { signedByForeignKey, signedHs256, unsecured, withTamperedPayload } from './forge-jwt.js';
import { tempDir } from './test-server.js';

export const VERSION = '2021-07-28';

// ---------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------

/** A 20-character id made from a tag. */
export const sid = (tag: string): string => (tag + '0'.repeat(20)).slice(0, 20);

export const LOC_A = 'AlphaRobustLocation1';
export const LOC_B = 'BravoRobustLocation2';

export const ALL_SCOPES = [
  'objects/record.readonly', 'objects/record.write', 'objects/schema.readonly', 'objects/schema.write',
  'locations/customFields.readonly', 'locations/customFields.write',
  'associations.readonly', 'associations.write', 'associations/relation.readonly', 'associations/relation.write',
] as const;
/** Scopes no Objects API route asks for. */
export const UNRELATED_SCOPES = ['associations.readonly', 'associations.write', 'associations/relation.readonly', 'associations/relation.write'] as const;
export const READ_SCOPES = ['objects/record.readonly', 'objects/schema.readonly', 'locations/customFields.readonly'] as const;

/** Private Integration Tokens of the fixture (lowercase UUID v4 after `pit-`). */
export const PIT = {
  aFull: 'pit-a1000000-0000-4000-8000-00000000a001',
  aRead: 'pit-a1000000-0000-4000-8000-00000000a002',
  aNoScope: 'pit-a1000000-0000-4000-8000-00000000a003',
  aWrongScope: 'pit-a1000000-0000-4000-8000-00000000a004',
  aRevoked: 'pit-a1000000-0000-4000-8000-00000000a005',
  aExpired: 'pit-a1000000-0000-4000-8000-00000000a006',
  bFull: 'pit-b2000000-0000-4000-8000-00000000b001',
} as const;

/** Token ids (`createdBy.sourceId`, the JWT's `jti`). */
export const TOKEN_ID = {
  aFull: 'a1000000-0000-4000-8000-0000000000a1',
  aRead: 'a1000000-0000-4000-8000-0000000000a2',
  aNoScope: 'a1000000-0000-4000-8000-0000000000a3',
  aWrongScope: 'a1000000-0000-4000-8000-0000000000a4',
  aRevoked: 'a1000000-0000-4000-8000-0000000000a5',
  aExpired: 'a1000000-0000-4000-8000-0000000000a6',
  aOauthFull: 'a1000000-0000-4000-8000-0000000000b1',
  aOauthNoScope: 'a1000000-0000-4000-8000-0000000000b2',
  aOauthWrongScope: 'a1000000-0000-4000-8000-0000000000b3',
  aOauthRevoked: 'a1000000-0000-4000-8000-0000000000b4',
  aOauthExpired: 'a1000000-0000-4000-8000-0000000000b5',
  bFull: 'b2000000-0000-4000-8000-0000000000c1',
  bOauthFull: 'b2000000-0000-4000-8000-0000000000c2',
} as const;

/** Lifetime of the fixture's expired tokens: they expire this long after the load. */
export const EXPIRES_IN_S = 1;

export const USER_A1 = sid('AlphaUserOne');
export const USER_A2 = sid('AlphaUserTwo');
export const USER_B1 = sid('BravoUserOne');

/** 24-hex ids: A's start a0a0, B's b0b0. */
export const OBJ = {
  aPet: 'a0a000000000000000000001',
  aTempOne: 'a0a000000000000000000002',
  aTempTwo: 'a0a000000000000000000003',
  bPet: 'b0b000000000000000000001',
  bVault: 'b0b000000000000000000002',
} as const;
export const FOLDER = {
  aGeneral: 'a0a00000000000000000f001',
  aImaging: 'a0a00000000000000000f002',
  aSpareOne: 'a0a00000000000000000f003',
  aSpareTwo: 'a0a00000000000000000f004',
  aTempOne: 'a0a00000000000000000f005',
  aTempTwo: 'a0a00000000000000000f006',
  bGeneral: 'b0b00000000000000000f001',
  bSpare: 'b0b00000000000000000f002',
  bVault: 'b0b00000000000000000f003',
} as const;
export const REC = {
  aRex: 'a0a00000000000000000e001',
  aMisty: 'a0a00000000000000000e002',
  /** Never in any pool a fuzzer draws from: a plain GET of it must answer 200 whatever happened. */
  aSentinel: 'a0a00000000000000000e003',
  aDelOne: 'a0a00000000000000000e004',
  aDelTwo: 'a0a00000000000000000e005',
  aBiz: 'a0a00000000000000000e006',
  aBizDel: 'a0a00000000000000000e007',
  bRex: 'b0b00000000000000000e001',
  bVault: 'b0b00000000000000000e002',
  bBiz: 'b0b00000000000000000e003',
} as const;
export const FIELD = {
  aName: sid('AfName'), aHistory: sid('AfHistory'), aWeight: sid('AfWeight'), aPhone: sid('AfPhone'), aEmail: sid('AfEmail'),
  aBalance: sid('AfBalance'), aVaccines: sid('AfVaccines'), aSpecies: sid('AfSpecies'), aAllergies: sid('AfAllergies'),
  aSize: sid('AfSize'), aBirthday: sid('AfBirthday'), aDiet: sid('AfDiet'), aXrays: sid('AfXrays'), aChip: sid('AfChip'),
  aSpareOne: sid('AfSpareOne'), aSpareTwo: sid('AfSpareTwo'), aTier: sid('AfTier'),
  bName: sid('BfBravoName'), bChip: sid('BfBravoChip'), bCode: sid('BfBravoCode'), bRating: sid('BfBravoRating'),
} as const;

export const A_PET_KEY = 'custom_objects.pet';
/** A key only location B has. */
export const B_VAULT_KEY = 'custom_objects.bravo_vault';

const AT = '2024-05-01T08:00:00.000Z';

/** A's pet fields: every data type, one unique field, two spare fields to delete. */
export const A_PET_FIELDS = [
  { id: FIELD.aName, fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' },
  { id: FIELD.aHistory, fieldKey: 'custom_objects.pet.history', name: 'History', dataType: 'LARGE_TEXT' },
  { id: FIELD.aWeight, fieldKey: 'custom_objects.pet.weight_kg', name: 'Weight', dataType: 'NUMERICAL' },
  { id: FIELD.aPhone, fieldKey: 'custom_objects.pet.owner_phone', name: 'Owner phone', dataType: 'PHONE' },
  { id: FIELD.aEmail, fieldKey: 'custom_objects.pet.owner_email', name: 'Owner email', dataType: 'EMAIL' },
  { id: FIELD.aBalance, fieldKey: 'custom_objects.pet.balance', name: 'Balance', dataType: 'MONETORY' },
  { id: FIELD.aVaccines, fieldKey: 'custom_objects.pet.vaccines', name: 'Vaccines', dataType: 'CHECKBOX', options: [{ key: 'rabies', label: 'Rabies' }, { key: 'parvo', label: 'Parvo' }] },
  { id: FIELD.aSpecies, fieldKey: 'custom_objects.pet.species', name: 'Species', dataType: 'SINGLE_OPTIONS', options: [{ key: 'dog', label: 'Dog' }, { key: 'cat', label: 'Cat' }] },
  { id: FIELD.aAllergies, fieldKey: 'custom_objects.pet.allergies', name: 'Allergies', dataType: 'MULTIPLE_OPTIONS', options: [{ key: 'pollen', label: 'Pollen' }, { key: 'chicken', label: 'Chicken' }] },
  { id: FIELD.aSize, fieldKey: 'custom_objects.pet.size', name: 'Size', dataType: 'RADIO', allowCustomOption: true, options: [{ key: 'small', label: 'Small' }, { key: 'large', label: 'Large' }] },
  { id: FIELD.aBirthday, fieldKey: 'custom_objects.pet.birthday', name: 'Birthday', dataType: 'DATE' },
  { id: FIELD.aDiet, fieldKey: 'custom_objects.pet.diet', name: 'Diet', dataType: 'TEXTBOX_LIST', options: [{ key: 'morning', label: 'Morning' }, { key: 'evening', label: 'Evening' }] },
  { id: FIELD.aXrays, fieldKey: 'custom_objects.pet.xrays', name: 'X-rays', dataType: 'FILE_UPLOAD', maxFileLimit: 3, parentId: FOLDER.aImaging },
  { id: FIELD.aChip, fieldKey: 'custom_objects.pet.chip', name: 'Chip', dataType: 'TEXT', unique: true },
  { id: FIELD.aSpareOne, fieldKey: 'custom_objects.pet.spare_one', name: 'Spare one', dataType: 'TEXT' },
  { id: FIELD.aSpareTwo, fieldKey: 'custom_objects.pet.spare_two', name: 'Spare two', dataType: 'TEXT' },
] as const;

/** Strings that name B's things (besides ids): none may reach an answer to A unless A sent it. */
export const B_NAMES = [
  'Bravo Robust Clinic', 'Bravo User', 'BravoPet', 'BravoPets', 'Bravo vault item', 'Bravo vault items', 'Bravo vault description',
  'Bravo name', 'Bravo chip', 'Bravo code', 'Bravo rating', 'Bravo General', 'Bravo Spare', 'Bravo Vault Folder',
  'BravoSecretRex', 'BRAVO-CHIP-7731', 'VAULT-CODE-9917', 'Bravo Holdings Secret', 'bravo-owner@example.com',
] as const;

/** Both locations. Tokens in this order (TestServer.tokens follows it). */
export function robustnessFixture(): unknown {
  const pit = (id: string, token: string, scopes: readonly string[], extra: Record<string, unknown> = {}) => ({ type: 'private-integration', id, token, scopes: [...scopes], ...extra });
  const oauth = (id: string, scopes: readonly string[], extra: Record<string, unknown> = {}) => ({ type: 'oauth', id, scopes: [...scopes], ...extra });
  return {
    locations: [
      {
        id: LOC_A,
        name: 'Alpha Robust Clinic',
        users: [{ id: USER_A1, name: 'Ada Lovelace', email: 'ada@example.com' }, { id: USER_A2, name: 'Grace Hopper' }],
        tokens: [
          pit(TOKEN_ID.aFull, PIT.aFull, ALL_SCOPES),
          pit(TOKEN_ID.aRead, PIT.aRead, READ_SCOPES),
          pit(TOKEN_ID.aNoScope, PIT.aNoScope, []),
          pit(TOKEN_ID.aWrongScope, PIT.aWrongScope, UNRELATED_SCOPES),
          pit(TOKEN_ID.aRevoked, PIT.aRevoked, ALL_SCOPES, { revoked: true }),
          pit(TOKEN_ID.aExpired, PIT.aExpired, ALL_SCOPES, { expiresIn: EXPIRES_IN_S }),
          oauth(TOKEN_ID.aOauthFull, ALL_SCOPES),
          oauth(TOKEN_ID.aOauthNoScope, []),
          oauth(TOKEN_ID.aOauthWrongScope, UNRELATED_SCOPES),
          oauth(TOKEN_ID.aOauthRevoked, ALL_SCOPES, { revoked: true }),
          oauth(TOKEN_ID.aOauthExpired, ALL_SCOPES, { expiresIn: EXPIRES_IN_S }),
        ],
        objects: [
          {
            key: A_PET_KEY,
            id: OBJ.aPet,
            labels: { singular: 'Pet', plural: 'Pets' },
            description: 'Patients',
            primaryDisplayProperty: 'custom_objects.pet.name',
            searchableProperties: ['custom_objects.pet.name', 'custom_objects.pet.owner_email'],
            folders: [
              { id: FOLDER.aGeneral, name: 'General Info' },
              { id: FOLDER.aImaging, name: 'Imaging' },
              { id: FOLDER.aSpareOne, name: 'Spare one' },
              { id: FOLDER.aSpareTwo, name: 'Spare two' },
            ],
            fields: A_PET_FIELDS.map((f) => ({ ...f, dateAdded: AT })),
            dateAdded: AT,
          },
          {
            key: 'custom_objects.temp_one', id: OBJ.aTempOne, labels: { singular: 'Temp one', plural: 'Temp ones' },
            folders: [{ id: FOLDER.aTempOne, name: 'General Info' }],
            fields: [{ id: sid('AfTempOne'), fieldKey: 'custom_objects.temp_one.title', name: 'Title', dataType: 'TEXT' }],
          },
          {
            key: 'custom_objects.temp_two', id: OBJ.aTempTwo, labels: { singular: 'Temp two', plural: 'Temp twos' },
            folders: [{ id: FOLDER.aTempTwo, name: 'General Info' }],
            fields: [{ id: sid('AfTempTwo'), fieldKey: 'custom_objects.temp_two.title', name: 'Title', dataType: 'TEXT' }],
          },
          {
            key: 'business',
            fields: [{ id: FIELD.aTier, fieldKey: 'business.tier', name: 'Tier', dataType: 'SINGLE_OPTIONS', options: [{ key: 'gold', label: 'Gold' }, { key: 'silver', label: 'Silver' }] }],
          },
        ],
        records: [
          {
            objectKey: A_PET_KEY, id: REC.aRex, owner: [USER_A1], followers: [USER_A1, USER_A2],
            properties: {
              name: 'Rex', history: 'Calm.', weight_kg: 31.5, owner_phone: '+917000000000', owner_email: 'rex@example.com',
              balance: { currency: 'default', value: 100 }, vaccines: ['rabies'], species: 'dog', allergies: ['chicken'], size: 'large',
              birthday: '2019-04-02', 'diet.morning': 'Dry food', xrays: [{ url: 'https://example.com/rex.png', name: 'rex.png' }], chip: 'CHIP-1',
            },
            dateAdded: AT,
          },
          { objectKey: A_PET_KEY, id: REC.aMisty, properties: { name: 'Misty', weight_kg: 4.2, species: 'cat', chip: 'CHIP-2' }, dateAdded: AT },
          { objectKey: A_PET_KEY, id: REC.aSentinel, properties: { name: 'Sentinel', chip: 'CHIP-3' }, dateAdded: AT },
          { objectKey: A_PET_KEY, id: REC.aDelOne, properties: { name: 'Delete me one' }, dateAdded: AT },
          { objectKey: A_PET_KEY, id: REC.aDelTwo, properties: { name: 'Delete me two' }, dateAdded: AT },
          { objectKey: 'business', id: REC.aBiz, properties: { name: 'Happy Paws', tier: 'gold' }, dateAdded: AT },
          { objectKey: 'business', id: REC.aBizDel, properties: { name: 'Gone Soon' }, dateAdded: AT },
        ],
      },
      {
        id: LOC_B,
        name: 'Bravo Robust Clinic',
        users: [{ id: USER_B1, name: 'Bravo User', email: 'bravo-owner@example.com' }],
        tokens: [pit(TOKEN_ID.bFull, PIT.bFull, ALL_SCOPES), oauth(TOKEN_ID.bOauthFull, ALL_SCOPES)],
        objects: [
          {
            key: A_PET_KEY, id: OBJ.bPet, labels: { singular: 'BravoPet', plural: 'BravoPets' },
            folders: [{ id: FOLDER.bGeneral, name: 'Bravo General' }, { id: FOLDER.bSpare, name: 'Bravo Spare' }],
            fields: [
              { id: FIELD.bName, fieldKey: 'custom_objects.pet.name', name: 'Bravo name', dataType: 'TEXT' },
              { id: FIELD.bChip, fieldKey: 'custom_objects.pet.bravo_chip', name: 'Bravo chip', dataType: 'TEXT', unique: true },
            ],
            dateAdded: AT,
          },
          {
            key: B_VAULT_KEY, id: OBJ.bVault, labels: { singular: 'Bravo vault item', plural: 'Bravo vault items' }, description: 'Bravo vault description',
            folders: [{ id: FOLDER.bVault, name: 'Bravo Vault Folder' }],
            fields: [{ id: FIELD.bCode, fieldKey: 'custom_objects.bravo_vault.bravo_code', name: 'Bravo code', dataType: 'TEXT' }],
            dateAdded: AT,
          },
          { key: 'business', fields: [{ id: FIELD.bRating, fieldKey: 'business.bravo_rating', name: 'Bravo rating', dataType: 'NUMERICAL' }] },
        ],
        records: [
          { objectKey: A_PET_KEY, id: REC.bRex, owner: [USER_B1], followers: [USER_B1], properties: { name: 'BravoSecretRex', bravo_chip: 'BRAVO-CHIP-7731' }, dateAdded: AT },
          { objectKey: B_VAULT_KEY, id: REC.bVault, properties: { bravo_code: 'VAULT-CODE-9917' }, dateAdded: AT },
          { objectKey: 'business', id: REC.bBiz, properties: { name: 'Bravo Holdings Secret', bravo_rating: 5 }, dateAdded: AT },
        ],
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Requests over real HTTP
// ---------------------------------------------------------------------------------------------

export interface RawRequest {
  method: string;
  /** Sent as it is (Node refuses only characters outside U+0021..U+00FF: encode before). */
  path: string;
  /** An array value sends the header once per item. */
  headers: Record<string, string | string[]>;
  /** A thunk is called at send time (huge bodies are built only then). */
  body?: string | Buffer | (() => string | Buffer);
  /** Sent in two writes, so without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export type Sent = { ok: true; answer: RawAnswer; ms: number } | { ok: false; error: string; ms: number };

export function bodyOf(req: RawRequest): string | Buffer | undefined {
  return typeof req.body === 'function' ? req.body() : req.body;
}

/**
 * One HTTP client on a keep-alive agent: every request goes out as given (duplicate headers,
 * raw paths), and every answer is read whole. A transport failure (no answer) is a result, not
 * an exception, so the caller can report it with the request.
 */
export class RawClient {
  readonly agent: http.Agent;
  constructor(
    readonly host: string,
    readonly port: number,
    maxSockets = 16,
    private readonly timeoutMs = 30_000,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  static forUrl(url: string, maxSockets?: number): RawClient {
    const u = new URL(url);
    return new RawClient(u.hostname, Number(u.port), maxSockets);
  }

  send(req: RawRequest): Promise<Sent> {
    if (req.method.toUpperCase() === 'HEAD') return this.sendHead(req);
    const start = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (s: Sent) => {
        if (!settled) {
          settled = true;
          resolve(s);
        }
      };
      const raw = bodyOf(req);
      const body = raw === undefined ? undefined : Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
      // Node frames a body itself only for some methods (a HEAD body would go out unframed): frame every one.
      const headers = { ...req.headers };
      const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
      if (body !== undefined && !has('content-length') && !has('transfer-encoding')) {
        if (req.chunked) headers['Transfer-Encoding'] = 'chunked';
        else headers['Content-Length'] = String(body.length);
      }
      let r: http.ClientRequest;
      try {
        r = http.request({ agent: this.agent, host: this.host, port: this.port, method: req.method, path: req.path, headers, timeout: this.timeoutMs }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish({ ok: true, answer: { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }, ms: performance.now() - start }));
          res.on('error', (e) => finish({ ok: false, error: `response: ${String(e)}`, ms: performance.now() - start }));
        });
      } catch (e) {
        finish({ ok: false, error: `not sent: ${String(e)}`, ms: 0 });
        return;
      }
      r.on('timeout', () => r.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      r.on('error', (e) => finish({ ok: false, error: String(e), ms: performance.now() - start }));
      if (body === undefined) r.end();
      else if (req.chunked) {
        const half = Math.floor(body.length / 2);
        r.write(body.subarray(0, half));
        r.end(body.subarray(half));
      } else r.end(body);
    });
  }

  /**
   * HEAD on a connection of its own, bytes written by hand: Node's client refuses an answer to HEAD
   * that carries a body, which is what the server writes when its HTTP parser rejects the request
   * before it knows the method (400, 414, 431): that answer is still an answer.
   */
  private async sendHead(req: RawRequest): Promise<Sent> {
    const start = performance.now();
    const body = bodyOf(req);
    const buf = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const lines = [`HEAD ${req.path} HTTP/1.1`, `Host: ${this.host}:${this.port}`];
    for (const [k, v] of Object.entries(req.headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
    if (buf.length) lines.push(`Content-Length: ${buf.length}`);
    lines.push('Connection: close');
    const r = await rawExchange(this.port, Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), buf]), this.timeoutMs, true);
    const ms = performance.now() - start;
    return r.answer ? { ok: true, answer: r.answer, ms } : { ok: false, error: `no answer to HEAD (${r.raw.length} bytes: ${JSON.stringify(r.raw.toString('latin1').slice(0, 100))})`, ms };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The bytes of a request: request line, headers as given (Host added when absent), the body framed. */
export function requestBytes(req: RawRequest, host: string, extra: string[] = []): Buffer {
  const raw = bodyOf(req);
  const body = raw === undefined ? undefined : Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
  const lines = [`${req.method} ${req.path} HTTP/1.1`];
  const names = new Set<string>();
  for (const [k, v] of Object.entries(req.headers)) {
    names.add(k.toLowerCase());
    // No line breaks inside a header: they would make other requests of these bytes.
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one.replace(/[\r\n]/g, '')}`);
  }
  if (!names.has('host')) lines.push(`Host: ${host}`);
  lines.push(...extra);
  if (body === undefined) return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  if (req.chunked && !names.has('content-length')) {
    const half = Math.floor(body.length / 2);
    const parts = [body.subarray(0, half), body.subarray(half)].filter((b) => b.length > 0);
    const framed = parts.flatMap((b) => [Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
    if (!names.has('transfer-encoding')) lines.push('Transfer-Encoding: chunked');
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), ...framed, Buffer.from('0\r\n\r\n')]);
  }
  if (!names.has('content-length') && !names.has('transfer-encoding')) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/**
 * A lean HTTP/1.1 client on keep-alive sockets: the request's bytes are written as they are, the
 * answer read by Content-Length (chunked and read-to-close answers too). Much cheaper per request
 * than Node's client, so a fuzzer spends its time on the server. One request at a time per socket;
 * a socket the server closes (or marks `Connection: close`) is replaced. HEAD goes through
 * `RawClient`'s own-connection path (an answer the HTTP parser of the server wrote may carry a body).
 */
export class KeepAliveClient {
  private readonly idle: net.Socket[] = [];
  private readonly all = new Set<net.Socket>();
  private readonly head: RawClient;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.head = new RawClient(host, port, 4, timeoutMs);
  }

  static forUrl(url: string): KeepAliveClient {
    const u = new URL(url);
    return new KeepAliveClient(u.hostname, Number(u.port));
  }

  send(req: RawRequest): Promise<Sent> {
    if (req.method.toUpperCase() === 'HEAD') return this.head.send(req);
    const start = performance.now();
    const bytes = requestBytes(req, `${this.host}:${this.port}`);
    const reused = this.idle.pop();
    return this.exchange(reused ?? this.connect(), bytes, start).then((r) =>
      // A kept-alive socket the server had just closed: once more on a new one.
      !r.ok && reused && r.error.startsWith('closed before') ? this.exchange(this.connect(), bytes, start) : r,
    );
  }

  private connect(): net.Socket {
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    this.all.add(socket);
    socket.once('close', () => this.all.delete(socket));
    return socket;
  }

  private exchange(socket: net.Socket, bytes: Buffer, start: number): Promise<Sent> {
    return new Promise((resolve) => {
      let buf: Buffer = Buffer.alloc(0);
      let done = false;
      const finish = (s: Sent, keep: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.off('error', onError);
        if (keep && !socket.destroyed) this.idle.push(socket);
        else socket.destroy();
        resolve(s);
      };
      const ms = () => performance.now() - start;
      const onData = (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        const parsed = parseKeptAlive(buf);
        if (parsed === 'incomplete') return;
        if (parsed === 'invalid') return finish({ ok: false, error: `not an HTTP answer: ${JSON.stringify(buf.toString('latin1').slice(0, 120))}`, ms: ms() }, false);
        if (parsed.untilClose) return; // the body ends when the server closes
        finish({ ok: true, answer: parsed.answer, ms: ms() }, !parsed.close && parsed.rest === 0);
      };
      const onClose = () => {
        const parsed = buf.length ? parseKeptAlive(buf, true) : 'incomplete';
        if (typeof parsed === 'object') finish({ ok: true, answer: parsed.answer, ms: ms() }, false);
        else finish({ ok: false, error: `closed before an answer (${buf.length} bytes: ${JSON.stringify(buf.toString('latin1').slice(0, 120))})`, ms: ms() }, false);
      };
      const onError = () => undefined; // 'close' follows
      const timer = setTimeout(() => finish({ ok: false, error: `no answer within ${this.timeoutMs} ms`, ms: ms() }, false), this.timeoutMs);
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.on('error', onError);
      socket.write(bytes);
    });
  }

  close(): void {
    for (const s of this.all) s.destroy();
    this.head.close();
  }
}

/**
 * One answer at the start of `raw` (interim 1xx answers skipped): whole, not yet whole, or not HTTP.
 * `closed`: the server has closed, so a body without a length ends here.
 */
function parseKeptAlive(raw: Buffer, closed = false): 'incomplete' | 'invalid' | { answer: RawAnswer; close: boolean; rest: number; untilClose: boolean } {
  for (;;) {
    const end = raw.indexOf('\r\n\r\n');
    if (end < 0) return raw.length > 65_536 ? 'invalid' : 'incomplete';
    const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) return 'invalid';
    const status = Number(m[1]);
    const headers: http.IncomingHttpHeaders = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let rest = raw.subarray(end + 4);
    if (status >= 100 && status < 200) {
      raw = rest;
      continue;
    }
    const close = /close/i.test(String(headers.connection ?? ''));
    if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd < 0) return 'incomplete';
        const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) return 'invalid';
        if (rest.length < lineEnd + 2 + size + 2) return 'incomplete';
        if (size === 0) return { answer: { status, headers, text: Buffer.concat(parts).toString('utf8') }, close, rest: rest.length - (lineEnd + 4), untilClose: false };
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        rest = rest.subarray(lineEnd + 2 + size + 2);
      }
    }
    if (headers['content-length'] === undefined) {
      if (!closed) return { answer: { status, headers, text: '' }, close: true, rest: 0, untilClose: true };
      return { answer: { status, headers, text: rest.toString('utf8') }, close: true, rest: 0, untilClose: false };
    }
    const length = Number(headers['content-length']);
    if (rest.length < length) return 'incomplete';
    return { answer: { status, headers, text: rest.subarray(0, length).toString('utf8') }, close, rest: rest.length - length, untilClose: false };
  }
}

/**
 * Bytes written to a new connection as they are, then everything the server answers until it
 * closes (or `timeoutMs`); the first HTTP answer in it is parsed. For what no HTTP client sends.
 */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 10_000, head = false): Promise<{ raw: Buffer; answer: RawAnswer | null; closedWithoutAnswer: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(chunks);
      const answer = parseAnswer(raw, head);
      resolve({ raw, answer, closedWithoutAnswer: answer === null });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      // A whole answer with a Content-Length is enough: no need to wait for a keep-alive close.
      if (parseAnswer(Buffer.concat(chunks), head) !== null) finish();
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
    sock.write(bytes);
  });
}

/** The first HTTP/1.x answer in `raw` when it is whole (Content-Length bodies only; none to HEAD), else null. */
export function parseAnswer(raw: Buffer, head = false): RawAnswer | null {
  // An interim answer (100 Continue) comes before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(raw.subarray(0, 13).toString('latin1'))) {
    const interimEnd = raw.indexOf('\r\n\r\n');
    if (interimEnd < 0) return null;
    raw = raw.subarray(interimEnd + 4);
  }
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = head ? 0 : Number(headers['content-length'] ?? 0);
  const body = raw.subarray(end + 4);
  if (body.length < length) return null;
  return { status: Number(m[1]), headers, text: body.subarray(0, length).toString('utf8') };
}

/** Runs `fn` over `items`, at most `concurrency` at once, in order of start. */
export async function runPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The contract's envelope
// ---------------------------------------------------------------------------------------------

/** The two answers the contract writes without an `error` reason. */
const WITHOUT_REASON = new Set(['version header was not found.', 'version header is invalid']);

/**
 * What is wrong with an answer under CONTRACT.md "Errors", or null: a 2xx or 4xx (never 5xx);
 * a 2xx is JSON (a HEAD answer has no body); a 4xx is JSON `{statusCode, message, error}` with
 * `statusCode` equal to the status, `message` a string or string[], and `error` the reason
 * phrase except where the contract leaves it out (the Version answers; a duplicate_record 400
 * carries `errors` instead, as the real service answers it).
 */
export function envelopeProblem(method: string, a: RawAnswer): string | null {
  if (a.status >= 500) return `a ${a.status}`;
  if (!((a.status >= 200 && a.status < 300) || (a.status >= 400 && a.status < 500))) return `status ${a.status} is neither 2xx nor 4xx`;
  if (method.toUpperCase() === 'HEAD') return null;
  const type = String(a.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type)) return `content-type ${JSON.stringify(type)} is not JSON`;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return 'the body is not JSON';
  }
  if (a.status < 400) return typeof body === 'object' && body !== null ? null : '2xx body is not a JSON object';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'error body is not a JSON object';
  const b = body as Record<string, unknown>;
  if (b.statusCode !== a.status) return `statusCode ${JSON.stringify(b.statusCode)} differs from the status ${a.status}`;
  const m = b.message;
  if (!(typeof m === 'string' || (Array.isArray(m) && m.every((x) => typeof x === 'string')))) return 'message is neither a string nor a string[]';
  const duplicate = Array.isArray(b.errors) && a.status === 400;
  if (typeof m === 'string' && WITHOUT_REASON.has(m)) {
    if ('error' in b) return `"${m}" carries an error reason the contract does not`;
  } else if (!(duplicate && !('error' in b)) && b.error !== STATUS_CODES[a.status]) {
    return `error ${JSON.stringify(b.error)} is not the reason phrase "${STATUS_CODES[a.status]}"`;
  }
  const extra = Object.keys(b).filter((k) => !['statusCode', 'message', 'error', ...(duplicate ? ['errors'] : [])].includes(k));
  if (extra.length) return `unexpected keys in the envelope: ${extra.join(', ')}`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Stored data
// ---------------------------------------------------------------------------------------------

/**
 * Every row of every table of the SQLite file (SQLite's own statistics tables aside), as text,
 * read through a read-only connection. With `locationId`, only rows of that location (tables
 * with a location_id column, rows of its objects for the others).
 */
export function snapshotTables(db: Database.Database, locationId?: string): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  const out: Record<string, string[]> = {};
  for (const t of tables) {
    const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]);
    let rows: unknown[];
    if (locationId === undefined) rows = db.prepare(`SELECT * FROM "${t}"`).all();
    else if (columns.includes('location_id')) rows = db.prepare(`SELECT * FROM "${t}" WHERE location_id = ?`).all(locationId);
    else if (columns.includes('object_id')) rows = db.prepare(`SELECT * FROM "${t}" WHERE object_id IN (SELECT id FROM objects WHERE location_id = ?)`).all(locationId);
    else if (t === 'locations') rows = db.prepare(`SELECT * FROM "${t}" WHERE id = ?`).all(locationId);
    else continue;
    out[t] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return JSON.stringify(out);
}

export function openReadOnly(dbPath: string): Database.Database {
  return new Database(dbPath, { readonly: true, fileMustExist: true });
}

/** Where two snapshots differ, table by table (for a failure message). */
export function snapshotDiff(before: string, after: string): string {
  const a = JSON.parse(before) as Record<string, string[]>;
  const b = JSON.parse(after) as Record<string, string[]>;
  const lines: string[] = [];
  for (const t of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const ra = new Set(a[t] ?? []);
    const rb = new Set(b[t] ?? []);
    for (const r of ra) if (!rb.has(r)) lines.push(`${t} - ${r.slice(0, 300)}`);
    for (const r of rb) if (!ra.has(r)) lines.push(`${t} + ${r.slice(0, 300)}`);
  }
  return lines.slice(0, 20).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Forged tokens
// ---------------------------------------------------------------------------------------------

/** The server's signing key, as stored (PKCS#8 PEM), and its public half (SPKI PEM). */
export function signingKeyPems(db: Database.Database): { privatePem: string; publicPem: string } {
  const privatePem = db.prepare("SELECT value FROM meta WHERE key = 'oauth_signing_key'").pluck().get() as string | undefined;
  if (!privatePem) throw new Error('no signing key in the database');
  const publicPem = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }) as string;
  return { privatePem, publicPem };
}

/** Copies of a real OAuth token the server must refuse: alg none, a foreign key, a changed payload, HS256 keyed by the public key. */
export async function forgedTokens(oauth: string, publicPem: string, otherLocationId: string): Promise<string[]> {
  return [
    unsecured(oauth),
    unsecured(oauth, 'c2lnbmF0dXJl'),
    await signedByForeignKey(oauth),
    withTamperedPayload(oauth, (c) => ({ ...c, authClassId: otherLocationId })),
    withTamperedPayload(oauth, (c) => ({ ...c, exp: 4_102_444_800 })),
    await signedHs256(oauth, publicPem),
    oauth.split('.').slice(0, 2).join('.') + '.',
    oauth.slice(0, -4) + (oauth.endsWith('AAAA') ? 'BBBB' : 'AAAA'),
  ];
}

// ---------------------------------------------------------------------------------------------
// A server with the real logger
// ---------------------------------------------------------------------------------------------

export interface LoggedServer {
  app: FastifyInstance;
  url: string;
  dbPath: string;
  tokens: IssuedToken[];
  close(): Promise<void>;
}

/**
 * As `startTestServer` (a fixture loaded into a fresh SQLite file, the real app on a loopback
 * port), but the app logs through the real pino logger at `level` into `stream`.
 */
export async function startLoggedServer(
  fixture: unknown,
  stream: NodeJS.WritableStream,
  options: { level?: string; config?: ConfigInput } = {},
): Promise<LoggedServer> {
  const { dir, cleanup } = tempDir('ghl-objects-logged-');
  const dbPath = join(dir, 'logged.db');
  const store = openSqliteStore(dbPath);
  let tokens: IssuedToken[] = [];
  try {
    const result = await prepareFixture(fixture, (await createServices(store)).tokens);
    if (!result.ok) throw new Error(`test fixture invalid:\n${result.problems.join('\n')}`);
    await store.loadDataset(result.dataset, { reset: false });
    tokens = result.tokens;
  } finally {
    await store.close();
  }
  const config = loadConfig({ host: '127.0.0.1', port: 0, database: dbPath, rateLimitBurst: 0, rateLimitDaily: 0, ...options.config }, {});
  const app = await buildApp(config, { logger: { level: options.level ?? 'trace', stream } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    dbPath,
    tokens,
    async close() {
      await app.close();
      cleanup();
    },
  };
}
