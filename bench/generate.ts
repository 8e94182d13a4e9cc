import Database from 'better-sqlite3';
import type { Actor, RecordRow } from '../src/store/store.js';
import { container, fixtures, ids as idGen, sqliteStore } from './built.js';
import { BENCH_SCOPES, OBJECT_KEY, benchFixture, petProperties, prng } from './pets.js';

const { newObjectId } = idGen;
const { createServices } = container;
const { prepareFixture } = fixtures;
const { openSqliteStore } = sqliteStore;

/** What the load cases need to know of a benchmark database. */
export interface BenchDatabase {
  path: string;
  locationId: string;
  objectKey: string;
  pit: string;
  oauth: string;
  /** Every record id of the pet object, in insertion order. */
  ids: string[];
}

export interface GenerateTimings {
  /** Building the dataset in memory (fixture validation of the sample included). */
  buildMs: number;
  /** The one `loadDataset` transaction. */
  writeMs: number;
}

/**
 * Records that go through `prepareFixture` like any fixture record: proof that the generator
 * produces exactly the stored form validation would. The rest skip validation: prepareFixture
 * takes ~65 µs a record, over a minute for a million (bench/README.md).
 */
const VALIDATED_SAMPLE = 1_000;
const USERS = 5;
const SEED = 20240711;
const YEAR_MS = 365 * 86_400_000;
const START_MS = Date.UTC(2023, 0, 1);

interface Draft {
  id: string;
  owner: string[];
  followers: string[];
  properties: RecordRow['properties'];
  createdAt: string;
  updatedAt: string;
}

/**
 * Pet `i` of `count`. Records are created in time order over a year, as a real location fills up,
 * so their ObjectIds (timestamp first) ascend in insertion order: the id and timestamp indexes of
 * `records` are then appended to rather than written at random pages (random creation times made
 * the write of a million records 2.5 times slower).
 */
function draft(rand: () => number, i: number, count: number, users: readonly string[]): Draft {
  const created = START_MS + Math.floor((i / count) * YEAR_MS);
  const updated = created + (rand() < 0.5 ? 0 : Math.floor(rand() * 3_600_000));
  const owner = rand() < 0.7 ? [users[Math.floor(rand() * users.length)]!] : [];
  const followers = users.filter(() => rand() < 0.2);
  return {
    id: newObjectId(created),
    owner,
    followers,
    properties: petProperties(rand, i),
    createdAt: new Date(created).toISOString(),
    updatedAt: new Date(updated).toISOString(),
  };
}

/** Generates a new database at `path` (which must not hold data) with `records` pets. */
export async function generateDatabase(path: string, records: number): Promise<{ db: BenchDatabase; timings: GenerateTimings }> {
  const started = performance.now();
  const store = openSqliteStore(path);
  try {
    // Creates the signing key in this database: the server started on it later verifies with it.
    const services = await createServices(store);
    const doc = benchFixture(USERS);
    const location = doc.locations[0]!;
    // User ids are needed for owners before the fixture is prepared, so they are fixed here.
    const userIds = location.users!.map((_, i) => `BenchUser${String(i).padStart(11, '0')}`);
    location.users = location.users!.map((u, i) => ({ ...u, id: userIds[i] }));

    const rand = prng(SEED);
    const sample = Math.min(records, VALIDATED_SAMPLE);
    const drafts: Draft[] = [];
    for (let i = 0; i < sample; i++) drafts.push(draft(rand, i, records, userIds));
    location.records = drafts.map((d) => ({
      objectKey: OBJECT_KEY,
      id: d.id,
      owner: d.owner,
      followers: d.followers,
      properties: d.properties,
      dateAdded: d.createdAt,
      dateUpdated: d.updatedAt,
    }));

    const prepared = await prepareFixture(doc, services.tokens);
    if (!prepared.ok) throw new Error(`the benchmark fixture is invalid:\n  ${prepared.problems.join('\n  ')}`);
    const { dataset, tokens } = prepared;
    for (const [i, row] of dataset.records.entries()) {
      // Byte equality of the stored JSON, key order included: what the read path sends.
      if (JSON.stringify(row.properties) !== JSON.stringify(drafts[i]!.properties)) {
        throw new Error(`generated properties differ from their validated form for record ${row.id}:\n  ${JSON.stringify(drafts[i]!.properties)}\n  ${JSON.stringify(row.properties)}`);
      }
    }

    const object = dataset.objects.find((o) => o.key === OBJECT_KEY)!;
    // The actor of a loaded record, as prepareFixture wrote it for the sample (records >= 1).
    const fixtureActor = dataset.records[0]!.createdBy;
    const actor = (createdAt: string): Actor => ({ ...fixtureActor, createdAt });
    for (let i = sample; i < records; i++) {
      const d = draft(rand, i, records, userIds);
      dataset.records.push({
        id: d.id,
        locationId: object.locationId,
        objectId: object.id,
        owner: d.owner,
        followers: d.followers,
        properties: d.properties,
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
        createdBy: actor(d.createdAt),
        lastUpdatedBy: actor(d.updatedAt),
      });
    }
    const built = performance.now();
    await store.loadDataset(dataset, { reset: false });
    const written = performance.now();

    const pit = tokens.find((t) => t.type === 'private-integration')!.token;
    const oauth = tokens.find((t) => t.type === 'oauth')!.token;
    return {
      db: { path, locationId: object.locationId, objectKey: OBJECT_KEY, pit, oauth, ids: dataset.records.map((r) => r.id) },
      timings: { buildMs: built - started, writeMs: written - built },
    };
  } finally {
    await store.close();
  }
}

/**
 * Opens a database generated earlier (`--db PATH`): finds the pet object and its record ids, and
 * issues a fresh PIT and OAuth token (a kept OAuth token may have expired). The ids are read
 * with SQL because the Store interface has no listing; this reads, it never writes.
 */
export async function reuseDatabase(path: string): Promise<BenchDatabase> {
  const sql = new Database(path, { readonly: true, fileMustExist: true });
  let locationId: string;
  let ids: string[];
  try {
    const object = sql.prepare<[string], { id: string; location_id: string }>('SELECT id, location_id FROM objects WHERE key = ? ORDER BY created_at LIMIT 1').get(OBJECT_KEY);
    if (!object) throw new Error(`${path} has no ${OBJECT_KEY} object: not a database generated by npm run bench`);
    locationId = object.location_id;
    ids = sql.prepare<[string], string>('SELECT id FROM records WHERE object_id = ? ORDER BY rowid').pluck().all(object.id);
  } finally {
    sql.close();
  }
  if (ids.length === 0) throw new Error(`${path} has no ${OBJECT_KEY} records`);

  const store = openSqliteStore(path);
  try {
    const services = await createServices(store);
    const issue = async (kind: 'pit' | 'oauth') => {
      const { token, row } = await services.tokens.issue(kind, { locationId, scopes: [...BENCH_SCOPES] });
      await store.insertToken(row);
      return token;
    };
    return { path, locationId, objectKey: OBJECT_KEY, pit: await issue('pit'), oauth: await issue('oauth'), ids };
  } finally {
    await store.close();
  }
}

/** A seeded Fisher-Yates shuffle: requests visit records in random order, not in B-tree order. */
export function shuffled(ids: readonly string[], seed = SEED): string[] {
  const out = [...ids];
  const rand = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
