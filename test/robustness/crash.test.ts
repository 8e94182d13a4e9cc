/**
 * Crash safety: a real server process (the BUILT CLI) under a concurrent write load over HTTP is
 * killed with SIGKILL at random moments, again and again, and restarted on the same database.
 * After every restart:
 *
 * - every write that was acknowledged (a 2xx received) is there, whole: the database row and the
 *   GET answer equal what the write answered (the last acknowledged update's properties);
 * - a write in flight at the kill is there whole or not at all (a create: absent, or exactly
 *   what was sent; an update: the previous state, or the previous state with the patch applied);
 * - no half-written record exists: every row's JSON parses and has the shape of a record, and
 *   the unique-values table matches the records both ways (each entry points to an existing
 *   record holding that value; each value of a unique field has its entry);
 * - nothing was written that the test did not write, and the server serves (its search total
 *   counts what the database holds).
 *
 * Runs on SQLite (checked through a read-only better-sqlite3 connection) and on PostgreSQL (a
 * fresh schema, dropped after; skipped with the reason when PostgreSQL is unreachable, a
 * failure with GHL_REQUIRE_POSTGRES=1). `npm run build` first: the child runs `dist/`.
 * GHL_CRASH_SEED=<n> repeats a run's random choices (not its timing).
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { assertBuilt, killAll, startServe, type Server } from '../helpers/cli-process.js';
import { pollUntil } from '../helpers/poll.js';
import { postgresForTests, type PgTestEnv } from '../helpers/postgres.js';
import { tempDir } from '../helpers/test-server.js';

// ---------------------------------------------------------------------------------------------
// Setup

after(killAll);
const { dir, cleanup } = tempDir('ghl-objects-crash-');
after(cleanup);
// Registered after killAll: no child holds a connection when the schemas are dropped.
const pgEnv: PgTestEnv | null = await postgresForTests('crash safety: postgres');

const DEMO_PATH = new URL('../../fixtures/demo.json', import.meta.url);
const DEMO = JSON.parse(readFileSync(DEMO_PATH, 'utf8')) as {
  locations: Array<{ id: string; tokens: Array<{ type: string; token?: string }>; objects: Array<{ key: string; id?: string }>; records: Array<{ objectKey: string; id?: string }> }>;
};
const LOC = DEMO.locations[0]!.id;
const PIT = DEMO.locations[0]!.tokens.find((t) => t.type === 'private-integration' && t.token)!.token!;
const PET = 'custom_objects.pet';
const PET_ID = DEMO.locations[0]!.objects.find((o) => o.key === PET)!.id!;
/** Records of the fixture: neither written nor expected to change. */
const FIXTURE_IDS = new Set(DEMO.locations.flatMap((l) => l.records.map((r) => r.id!)));
const AUTH = { Authorization: `Bearer ${PIT}`, Version: '2021-07-28' };

/** SIGKILLs per backend (the issue asks for at least 10). */
const KILLS = 10;
/** Concurrent writers over HTTP; each owns the records it created and writes them one at a time. */
const WRITERS = 6;
/** Load before each kill: uniform in this range (ms) after the server is up. */
const LOAD_MS: readonly [number, number] = [250, 800];
/** No single request may take longer than this (a longer one is a hang, and a failure). */
const REQUEST_BOUND_MS = 15_000;
const VACCINES = ['rabies', 'distemper', 'parvo'];
const SEED = Number(process.env.GHL_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded generator, so a run's choices can be repeated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---------------------------------------------------------------------------------------------
// What the database holds, read directly (not through the server)

type Props = Record<string, unknown>;

interface DbRecord {
  id: string;
  objectId: string;
  locationId: string;
  owner: unknown;
  followers: unknown;
  properties: unknown;
  createdBy: unknown;
  lastUpdatedBy: unknown;
  createdAt: string;
  updatedAt: string;
}

interface Snapshot {
  records: DbRecord[];
  uniques: Array<{ objectId: string; fieldKey: string; value: string; recordId: string }>;
  /** Short keys of the unique fields, per object id. */
  uniqueKeys: Map<string, string[]>;
  /** Problems found while reading (a JSON column that does not parse, a failed integrity check). */
  problems: string[];
}

/** The raw text of a record row's JSON columns, parsed; a column that does not parse is a problem. */
function parseRow(raw: Record<string, unknown>, problems: string[]): DbRecord {
  const json = (column: string): unknown => {
    const text = raw[column];
    if (typeof text !== 'string') {
      problems.push(`record ${String(raw.id)}: ${column} is not text (${typeof text})`);
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      problems.push(`record ${String(raw.id)}: ${column} does not parse: ${(err as Error).message}: ${text.slice(0, 120)}`);
      return undefined;
    }
  };
  return {
    id: String(raw.id),
    objectId: String(raw.object_id),
    locationId: String(raw.location_id),
    owner: json('owner'),
    followers: json('followers'),
    properties: json('properties'),
    createdBy: json('created_by'),
    lastUpdatedBy: json('last_updated_by'),
    createdAt: String(raw.created_at),
    updatedAt: String(raw.updated_at),
  };
}

function uniqueKeyMap(rows: Array<{ object_id: string; field_key: string; object_key: string }>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const r of rows) map.set(r.object_id, [...(map.get(r.object_id) ?? []), r.field_key.slice(r.object_key.length + 1)]);
  return map;
}

interface Backend {
  name: string;
  /** The `--db ...` arguments of `serve`. */
  dbArgs: string[];
  snapshot(): Promise<Snapshot>;
}

function sqliteBackend(): Backend {
  const path = join(dir, 'crash.db');
  return {
    name: 'sqlite',
    dbArgs: ['--db', path],
    async snapshot() {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const problems: string[] = [];
        const integrity = db.pragma('integrity_check', { simple: true });
        if (integrity !== 'ok') problems.push(`PRAGMA integrity_check: ${String(integrity)}`);
        const fk = db.pragma('foreign_key_check') as unknown[];
        if (fk.length) problems.push(`PRAGMA foreign_key_check: ${JSON.stringify(fk.slice(0, 5))}`);
        // One read transaction: one consistent view of both tables.
        const read = db.transaction(() => ({
          records: db.prepare('SELECT id, object_id, location_id, owner, followers, properties, created_at, updated_at, created_by, last_updated_by FROM records').all() as Array<Record<string, unknown>>,
          uniques: db.prepare('SELECT object_id AS objectId, field_key AS fieldKey, value, record_id AS recordId FROM unique_values').all() as Snapshot['uniques'],
          keys: db
            .prepare('SELECT f.object_id, f.field_key, o.key AS object_key FROM fields f JOIN objects o ON o.id = f.object_id WHERE f.is_unique = 1')
            .all() as Array<{ object_id: string; field_key: string; object_key: string }>,
        }));
        const r = read();
        return { records: r.records.map((row) => parseRow(row, problems)), uniques: r.uniques, uniqueKeys: uniqueKeyMap(r.keys), problems };
      } finally {
        db.close();
      }
    },
  };
}

function postgresBackend(env: PgTestEnv): Backend {
  const schema = env.newSchema();
  const s = env.q(schema);
  return {
    name: 'postgres',
    dbArgs: ['--db', env.url, '--db-schema', schema],
    async snapshot() {
      const problems: string[] = [];
      const client = await env.admin.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        // The JSON columns as text: parsed here, as for SQLite.
        const records = await client.query(
          `SELECT id, object_id, location_id, owner::text AS owner, followers::text AS followers, properties::text AS properties,
             created_at, updated_at, created_by::text AS created_by, last_updated_by::text AS last_updated_by FROM ${s}.records`,
        );
        const uniques = await client.query(`SELECT object_id AS "objectId", field_key AS "fieldKey", value, record_id AS "recordId" FROM ${s}.unique_values`);
        const keys = await client.query(`SELECT f.object_id, f.field_key, o.key AS object_key FROM ${s}.fields f JOIN ${s}.objects o ON o.id = f.object_id WHERE f.is_unique`);
        const orphans = await client.query(`SELECT u.record_id FROM ${s}.unique_values u LEFT JOIN ${s}.records r ON r.id = u.record_id WHERE r.id IS NULL`);
        if (orphans.rowCount) problems.push(`unique_values rows of no record: ${JSON.stringify(orphans.rows.slice(0, 5))}`);
        await client.query('COMMIT');
        return {
          records: records.rows.map((row: Record<string, unknown>) => parseRow(row, problems)),
          uniques: uniques.rows as Snapshot['uniques'],
          uniqueKeys: uniqueKeyMap(keys.rows as Array<{ object_id: string; field_key: string; object_key: string }>),
          problems,
        };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIso = (v: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && !Number.isNaN(Date.parse(v));

/** Whole records, and unique values consistent with them both ways. Returns the problems found. */
function structuralProblems(snap: Snapshot): string[] {
  const problems = [...snap.problems];
  const byId = new Map(snap.records.map((r) => [r.id, r]));
  for (const r of snap.records) {
    const where = `record ${r.id}`;
    if (!isPlainObject(r.properties)) problems.push(`${where}: properties is not an object`);
    for (const [name, v] of [['owner', r.owner], ['followers', r.followers]] as const) {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) problems.push(`${where}: ${name} is not a list of user ids`);
    }
    for (const [name, v] of [['created_by', r.createdBy], ['last_updated_by', r.lastUpdatedBy]] as const) {
      if (!isPlainObject(v) || typeof v.channel !== 'string' || typeof v.source !== 'string') problems.push(`${where}: ${name} is not an actor`);
    }
    if (!isIso(r.createdAt) || !isIso(r.updatedAt)) problems.push(`${where}: timestamps ${r.createdAt} / ${r.updatedAt} are not ISO date-times`);
    else if (r.updatedAt < r.createdAt) problems.push(`${where}: updated (${r.updatedAt}) before it was created (${r.createdAt})`);
  }
  const entries = new Set<string>();
  for (const u of snap.uniques) {
    entries.add(`${u.objectId}\u0000${u.fieldKey}\u0000${u.recordId}`);
    const r = byId.get(u.recordId);
    if (!r) {
      problems.push(`unique_values (${u.fieldKey} = ${u.value}) points to record ${u.recordId}, which does not exist`);
      continue;
    }
    if (r.objectId !== u.objectId) problems.push(`unique_values (${u.fieldKey} = ${u.value}) of object ${u.objectId} points to record ${r.id} of object ${r.objectId}`);
    if (!(snap.uniqueKeys.get(u.objectId) ?? []).includes(u.fieldKey)) problems.push(`unique_values entry for ${u.fieldKey}, which is not a unique field of ${u.objectId}`);
    const held = isPlainObject(r.properties) ? r.properties[u.fieldKey] : undefined;
    if (JSON.stringify(held) !== u.value) problems.push(`unique_values says record ${r.id} holds ${u.fieldKey} = ${u.value}; it holds ${JSON.stringify(held)}`);
  }
  for (const r of snap.records) {
    if (!isPlainObject(r.properties)) continue;
    for (const key of snap.uniqueKeys.get(r.objectId) ?? []) {
      const v = r.properties[key];
      if ((typeof v === 'string' || typeof v === 'number') && !entries.has(`${r.objectId}\u0000${key}\u0000${r.id}`)) {
        problems.push(`record ${r.id} holds ${key} = ${JSON.stringify(v)} with no unique_values entry`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface RecordBody {
  id: string;
  properties: Props;
  createdAt: string;
  updatedAt: string;
  [other: string]: unknown;
}

interface Answer {
  status: number;
  body: unknown;
}

/** A request that hung past REQUEST_BOUND_MS: not a connection lost to the kill, but a failure. */
class HungRequest extends Error {}

async function send(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_BOUND_MS),
    });
    text = await res.text();
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new HungRequest(`${method} ${path} got no answer within ${REQUEST_BOUND_MS} ms`);
    throw err;
  }
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text, and the assertion on it says so
  }
  return { status: res.status, body: parsed };
}

const recordOf = (a: Answer): RecordBody => (a.body as { record: RecordBody }).record;

/** A record's properties after `patch`: null clears a property, anything else replaces it. */
function applyPatch(props: Props, patch: Props): Props {
  const out = { ...props };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The model: what the test knows was written

interface Tracked {
  id: string;
  writer: number;
  /** The last acknowledged answer (or, after a restart, what the server holds). */
  state: RecordBody;
  /** An update in flight at the kill: not known whether it was applied. */
  pending?: { patch: Props; expected: Props; conflict: boolean };
}

interface MaybeCreate {
  writer: number;
  props: Props;
}

interface Stats {
  acknowledged: number;
  acknowledgedCreates: number;
  acknowledgedUpdates: number;
  refusedConflicts: number;
  inFlightAtKill: number;
  inFlightApplied: number;
  crashes: number;
  verifiedRecords: number;
}

class Model {
  readonly tracked = new Map<string, Tracked>();
  readonly owned: string[][] = Array.from({ length: WRITERS }, () => []);
  maybeCreates: MaybeCreate[] = [];
  /** Records whose state changed this cycle (or whose fate is unknown): read back over HTTP after the restart. */
  touched = new Set<string>();
  /** Problems the writers saw (unexpected answers); asserted after every cycle. */
  failures: string[] = [];
  seq = 0;
  readonly stats: Stats = { acknowledged: 0, acknowledgedCreates: 0, acknowledgedUpdates: 0, refusedConflicts: 0, inFlightAtKill: 0, inFlightApplied: 0, crashes: 0, verifiedRecords: 0 };

  constructor(readonly runTag: string, readonly random: () => number) {}

  next(): number {
    return ++this.seq;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  vaccines(): string[] {
    const out = VACCINES.filter(() => this.random() < 0.5);
    return out.length ? out : [this.pick(VACCINES)];
  }
}

/**
 * One writer: creates (unique values that no one else uses) and updates of its own records, one
 * request at a time, until a request fails (the server was killed). Returns then.
 */
async function writer(model: Model, w: number, base: string): Promise<void> {
  for (;;) {
    const own = model.owned[w]!;
    const r = model.random();
    if (own.length < 3 || r < 0.45) {
      // --- create
      const n = model.next();
      const props: Props = { name: `c-${model.runTag}-${n}`, chip_id: `chip-${model.runTag}-${n}`, tag_no: n, weight_kg: (n % 970) / 10 + 0.5, vaccines: model.vaccines() };
      const maybe: MaybeCreate = { writer: w, props };
      model.maybeCreates.push(maybe);
      let a: Answer;
      try {
        a = await send(base, 'POST', `/objects/${PET}/records`, { locationId: LOC, properties: props });
      } catch (err) {
        if (err instanceof HungRequest) model.failures.push(err.message);
        return; // in flight at the kill: stays a maybe
      }
      model.maybeCreates = model.maybeCreates.filter((m) => m !== maybe);
      if (a.status !== 201) {
        model.failures.push(`create ${JSON.stringify(props)}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
        continue;
      }
      const rec = recordOf(a);
      if (!isDeepStrictEqual(rec.properties, props)) model.failures.push(`create answered properties ${JSON.stringify(rec.properties)}, sent ${JSON.stringify(props)}`);
      model.tracked.set(rec.id, { id: rec.id, writer: w, state: rec });
      own.push(rec.id);
      model.touched.add(rec.id);
      model.stats.acknowledged++;
      model.stats.acknowledgedCreates++;
      continue;
    }
    const t = model.tracked.get(model.pick(own))!;
    let patch: Props;
    let conflict = false;
    if (r < 0.93) {
      // --- update: some properties, unique ones included (new values, or cleared)
      patch = { weight_kg: Math.round(model.random() * 1000) / 10 };
      if (model.random() < 0.5) patch.name = `u-${model.runTag}-${model.next()}`;
      if (model.random() < 0.4) patch.chip_id = model.random() < 0.2 ? null : `chip-${model.runTag}-${model.next()}`;
      if (model.random() < 0.3) patch.tag_no = model.random() < 0.2 ? null : model.next();
      if (model.random() < 0.3) patch.vaccines = model.vaccines();
    } else {
      // --- an update that must be refused: another of this writer's records holds the chip
      const holder = own.map((id) => model.tracked.get(id)!).find((o) => o.id !== t.id && typeof o.state.properties.chip_id === 'string');
      if (!holder) continue;
      patch = { chip_id: holder.state.properties.chip_id, weight_kg: 999.9 };
      conflict = true;
    }
    const expected = applyPatch(t.state.properties, patch);
    t.pending = { patch, expected, conflict };
    model.touched.add(t.id);
    let a: Answer;
    try {
      a = await send(base, 'PUT', `/objects/${PET}/records/${t.id}?locationId=${LOC}`, { properties: patch });
    } catch (err) {
      if (err instanceof HungRequest) model.failures.push(err.message);
      return; // in flight at the kill: stays pending
    }
    t.pending = undefined;
    if (conflict) {
      const errs = (a.body as { errors?: Array<{ errorCode?: string }> }).errors;
      if (a.status !== 400 || errs?.[0]?.errorCode !== 'duplicate_record') {
        model.failures.push(`update of ${t.id} to a taken chip_id: ${a.status} ${JSON.stringify(a.body).slice(0, 300)} (expected 400 duplicate_record)`);
        if (a.status === 200) t.state = recordOf(a);
      } else model.stats.refusedConflicts++;
      continue;
    }
    if (a.status !== 200) {
      model.failures.push(`update of ${t.id} with ${JSON.stringify(patch)}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
      continue;
    }
    const rec = recordOf(a);
    if (!isDeepStrictEqual(rec.properties, expected)) model.failures.push(`update of ${t.id} answered ${JSON.stringify(rec.properties)}, expected ${JSON.stringify(expected)}`);
    if (rec.updatedAt < t.state.updatedAt) model.failures.push(`update of ${t.id} answered updatedAt ${rec.updatedAt}, before the previous ${t.state.updatedAt}`);
    t.state = rec;
    model.stats.acknowledged++;
    model.stats.acknowledgedUpdates++;
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function eachLimited<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

/** Whether a record read back equals `expected` but for what an update changes (properties, update times). */
function sameButUpdate(got: RecordBody, before: RecordBody): boolean {
  const strip = (r: RecordBody) => {
    const { properties: _p, updatedAt: _u, dateUpdated: _d, lastUpdatedBy: _l, ...rest } = r;
    return rest;
  };
  return isDeepStrictEqual(strip(got), strip(before));
}

/**
 * After a restart: the database checked directly (whole rows, unique values, every acknowledged
 * write, the fate of writes in flight), then the records touched since the last check read back
 * over HTTP. Resolves the model's unknowns (what was in flight) to what the server now holds.
 */
async function verify(model: Model, backend: Backend, base: string, label: string): Promise<void> {
  const snap = await backend.snapshot();
  const problems = structuralProblems(snap);
  const pets = snap.records.filter((r) => r.objectId === PET_ID);
  const byId = new Map(pets.map((r) => [r.id, r]));

  // Creates in flight at the kill: absent, or present exactly as sent (then they are the writer's).
  const unknown = new Map(pets.filter((r) => !model.tracked.has(r.id) && !FIXTURE_IDS.has(r.id)).map((r) => [r.id, r]));
  const adopted = new Map<string, MaybeCreate>();
  for (const m of model.maybeCreates) {
    model.stats.inFlightAtKill++;
    const found = [...unknown.values()].find((r) => isPlainObject(r.properties) && r.properties.name === m.props.name);
    if (!found) continue;
    unknown.delete(found.id);
    if (!isDeepStrictEqual(found.properties, m.props)) problems.push(`in-flight create ${found.id} holds ${JSON.stringify(found.properties)}, sent ${JSON.stringify(m.props)}`);
    adopted.set(found.id, m);
    model.stats.inFlightApplied++;
  }
  for (const r of unknown.values()) problems.push(`record ${r.id} (${JSON.stringify(r.properties)}) was never written by the test`);
  for (const id of FIXTURE_IDS) {
    if (DEMO.locations[0]!.records.find((r) => r.id === id)?.objectKey === PET && !byId.has(id)) problems.push(`fixture record ${id} is gone`);
  }

  // Every acknowledged write is there; an update in flight is applied whole or not at all.
  for (const t of model.tracked.values()) {
    const row = byId.get(t.id);
    if (!row) {
      problems.push(`acknowledged record ${t.id} (${JSON.stringify(t.state.properties)}) is lost`);
      continue;
    }
    if (row.createdAt !== t.state.createdAt) problems.push(`record ${t.id}: createdAt ${row.createdAt}, acknowledged ${t.state.createdAt}`);
    const old = isDeepStrictEqual(row.properties, t.state.properties) && row.updatedAt === t.state.updatedAt;
    if (t.pending) {
      model.stats.inFlightAtKill++;
      const applied = !t.pending.conflict && isDeepStrictEqual(row.properties, t.pending.expected) && row.updatedAt >= t.state.updatedAt;
      if (!old && !applied) {
        problems.push(
          `record ${t.id} after an update in flight holds ${JSON.stringify(row.properties)} (updatedAt ${row.updatedAt}); ` +
            `expected the acknowledged ${JSON.stringify(t.state.properties)} (${t.state.updatedAt})` +
            (t.pending.conflict ? ' (the update was a refused duplicate)' : ` or the update applied: ${JSON.stringify(t.pending.expected)}`),
        );
      }
      if (applied && !old) model.stats.inFlightApplied++;
    } else if (!old) {
      problems.push(`acknowledged record ${t.id} holds ${JSON.stringify(row.properties)} (updatedAt ${row.updatedAt}); acknowledged ${JSON.stringify(t.state.properties)} (${t.state.updatedAt})`);
    }
  }
  assert.deepEqual(problems, [], `${backend.name}, ${label}: the database after SIGKILL and restart`);

  // Read back over HTTP: the answer equals what the write answered (or what it may have become).
  const httpProblems: string[] = [];
  const ids = [...new Set([...model.touched, ...adopted.keys()])];
  await eachLimited(ids, 8, async (id) => {
    const a = await send(base, 'GET', `/objects/${PET}/records/${id}`);
    if (a.status !== 200) {
      httpProblems.push(`GET ${id}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
      return;
    }
    const got = recordOf(a);
    const m = adopted.get(id);
    if (m) {
      if (!isDeepStrictEqual(got.properties, m.props)) httpProblems.push(`GET ${id} (a create in flight) answered ${JSON.stringify(got.properties)}, sent ${JSON.stringify(m.props)}`);
      model.tracked.set(id, { id, writer: m.writer, state: got });
      model.owned[m.writer]!.push(id);
      return;
    }
    const t = model.tracked.get(id)!;
    if (t.pending) {
      const ok = isDeepStrictEqual(got, t.state) || (!t.pending.conflict && isDeepStrictEqual(got.properties, t.pending.expected) && sameButUpdate(got, t.state) && got.updatedAt >= t.state.updatedAt);
      if (!ok) httpProblems.push(`GET ${id} after an update in flight answered ${JSON.stringify(got)}; acknowledged ${JSON.stringify(t.state)}, update ${JSON.stringify(t.pending.patch)}`);
      t.state = got;
      t.pending = undefined;
    } else if (!isDeepStrictEqual(got, t.state)) {
      httpProblems.push(`GET ${id} answered ${JSON.stringify(got)}; the acknowledged write answered ${JSON.stringify(t.state)}`);
    }
  });
  model.stats.verifiedRecords += ids.length;
  model.maybeCreates = [];
  model.touched = new Set();
  assert.deepEqual(httpProblems, [], `${backend.name}, ${label}: records read back over HTTP after the restart`);
}

// ---------------------------------------------------------------------------------------------
// The scenario

async function startOn(backend: Backend, fixtures: boolean): Promise<Server> {
  return startServe([
    ...backend.dbArgs,
    ...(fixtures ? ['--fixtures', DEMO_PATH.pathname] : []),
    '--rate-limit-burst', '0', '--rate-limit-daily', '0', '--log-level', 'warn',
  ]);
}

/** SIGKILL, and wait (bounded) until the process is gone. */
async function kill(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([server.exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 5_000)))]);
  clearTimeout(timer);
  assert.ok(exit, 'the server did not die within 5 s of SIGKILL');
}

/** Makes chip_id (TEXT) and tag_no (NUMERICAL) unique fields of the pet object, over HTTP. */
async function addUniqueFields(base: string): Promise<void> {
  const list = await send(base, 'GET', `/custom-fields/object-key/${PET}?locationId=${LOC}`);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  const folder = (list.body as { fields: Array<{ fieldKey: string; parentId: string }> }).fields.find((f) => f.fieldKey === `${PET}.name`)!.parentId;
  for (const [key, dataType, name] of [['chip_id', 'TEXT', 'Microchip'], ['tag_no', 'NUMERICAL', 'Tag number']] as const) {
    const a = await send(base, 'POST', '/custom-fields/', {
      locationId: LOC, name, showInForms: true, dataType, fieldKey: `${PET}.${key}`, objectKey: PET, unique: true, parentId: folder,
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
  }
}

async function crashScenario(t: TestContext, backend: Backend): Promise<void> {
  assertBuilt();
  const started = Date.now();
  const seed = SEED + (backend.name === 'postgres' ? 1 : 0);
  const random = rng(seed);
  const model = new Model(`${backend.name}${seed.toString(36)}`, random);
  let server = await startOn(backend, true);
  let loadMs = 0;
  let restartMs = 0;
  try {
    await addUniqueFields(server.url);
    for (let cycle = 1; cycle <= KILLS; cycle++) {
      const before = model.stats.acknowledged;
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(model, w, server.url));
      const loadStart = Date.now();
      await sleep(LOAD_MS[0] + random() * (LOAD_MS[1] - LOAD_MS[0]));
      // On a slow machine, at least a few writes are acknowledged before the kill (bounded).
      const acked = await pollUntil(async () => model.stats.acknowledged - before, (n) => n >= 3, { timeoutMs: 10_000, intervalMs: 5 });
      assert.ok(acked.done, `${backend.name}, cycle ${cycle}: only ${acked.value} writes acknowledged in ${Date.now() - loadStart} ms of load`);
      const load = Date.now() - loadStart;
      loadMs += load;
      await kill(server);
      model.stats.crashes++;
      // Every writer stops at its first failed request; each request is bounded.
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([Promise.all(writers).then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), REQUEST_BOUND_MS + 2_000)))]);
      clearTimeout(timer);
      assert.ok(stopped, 'a writer did not stop after the kill');
      assert.deepEqual(model.failures, [], `${backend.name}, cycle ${cycle}: unexpected answers under load`);

      const restartAt = Date.now();
      server = await startOn(backend, false);
      restartMs += Date.now() - restartAt;
      await verify(model, backend, server.url, `after kill ${cycle}`);
    }

    // The server serves: a write and its read, and a search counting what the database holds.
    const a = await send(server.url, 'POST', `/objects/${PET}/records`, { locationId: LOC, properties: { name: `after-${model.runTag}`, chip_id: `chip-${model.runTag}-final` } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const got = await send(server.url, 'GET', `/objects/${PET}/records/${recordOf(a).id}`);
    assert.deepEqual(got.body, a.body);
    const dup = await send(server.url, 'POST', `/objects/${PET}/records`, { locationId: LOC, properties: { name: 'dup', chip_id: `chip-${model.runTag}-final` } });
    assert.equal(dup.status, 400, JSON.stringify(dup.body));
    const search = await send(server.url, 'POST', `/objects/${PET}/records/search`, { locationId: LOC, pageLimit: 1 });
    assert.equal(search.status, 201, JSON.stringify(search.body));
    const snap = await backend.snapshot();
    assert.equal((search.body as { total: number }).total, snap.records.filter((r) => r.objectId === PET_ID).length, 'the search total counts every pet record the database holds');
  } finally {
    await server.stop();
  }
  const s = model.stats;
  const line =
    `${backend.name}: ${s.crashes} SIGKILLs survived; ${s.acknowledged} writes acknowledged (${s.acknowledgedCreates} creates, ${s.acknowledgedUpdates} updates) ` +
    `and verified after every restart, ${s.refusedConflicts} duplicate updates refused; ${s.inFlightAtKill} writes in flight at a kill, ${s.inFlightApplied} of them applied (whole); ` +
    `${s.verifiedRecords} records read back over HTTP; ${Math.round(loadMs)} ms of load, ${restartMs} ms of restarts, ${Date.now() - started} ms in all (seed ${seed})`;
  t.diagnostic(line);
  console.log(`# ${line}`);
}

// The two backends run side by side: each has its own server process and database.
describe('crash safety', { concurrency: true }, () => {
  test('sqlite', { timeout: 150_000 }, (t) => crashScenario(t, sqliteBackend()));
  if (pgEnv) {
    const env = pgEnv;
    test('postgres', { timeout: 150_000 }, (t) => crashScenario(t, postgresBackend(env)));
  }
});
