import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { newObjectId, newShortId } from '../ids.js';
import type { Actor, Dataset, FieldRow, FolderRow, ObjectRow, RecordRow } from '../store/store.js';
import { definitionDefaults, definitionProblems, normaliseOptions } from './field-definitions.js';
import { CUSTOM_OBJECT_KEY, FIELD_NAME } from './keys.js';
import { MAX_CUSTOM_OBJECTS, MAX_FOLLOWERS, MAX_OWNERS, MAX_SEARCHABLE_PROPERTIES, MAX_UNIQUE_FIELDS } from './limits.js';
import { checkProperties, type FieldRules } from './field-types.js';
import { Fixture, type FixtureDoc, type FixtureLocationDoc } from './fixture-format.js';
import { pointerToPath } from './json-path.js';
import { shortKey } from './schema-registry.js';
import { BUSINESS, STANDARD_KEYS, defaultFolder, standardObjectsFor } from './standard-objects.js';
import type { TokenService } from './tokens.js';

/** Who wrote a record that came from a fixture. */
const FIXTURE_ACTOR = { channel: 'API', source: 'FIXTURE', sourceId: 'fixture' } as const;

// ajv-formats is CommonJS; its default export arrives nested under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
addFormats(ajv, ['date-time', 'uuid']);
const validateShape = ajv.compile<FixtureDoc>(Fixture);

function shapeMessage(e: ErrorObject): string {
  const path = pointerToPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties':
      return `${path} has property ${(e.params as { additionalProperty: string }).additionalProperty} that should not exist`;
    case 'required':
      return `${path}.${(e.params as { missingProperty: string }).missingProperty} is required`;
    case 'pattern':
    case 'format': {
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      return `${path} must be ${description ?? `a ${(e.params as { format?: string }).format ?? 'value of the right format'}`}`;
    }
    default:
      return `${path} ${e.message ?? 'is invalid'}`;
  }
}

/** Only the most useful message of a union mismatch: Ajv reports every branch, which reads as noise. */
function shapeProblems(errs: ErrorObject[]): string[] {
  const unionPaths = new Set(errs.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: string[] = [];
  for (const e of errs) {
    if (unionPaths.has(e.instancePath)) {
      if (e.keyword !== 'anyOf') continue;
      const allowed = ((e.parentSchema as { anyOf?: Array<{ const?: unknown }> }).anyOf ?? []).map((s) => JSON.stringify(s.const));
      out.push(`${pointerToPath(e.instancePath)} must be one of ${allowed.join(', ')}`);
      continue;
    }
    out.push(shapeMessage(e));
  }
  return [...new Set(out)];
}

export interface IssuedToken {
  locationId: string;
  type: 'private-integration' | 'oauth';
  token: string;
  scopes: string[];
}

export type FixtureResult =
  | { ok: true; dataset: Dataset; tokens: IssuedToken[] }
  | { ok: false; problems: string[] };

const iso = (s: string | undefined, fallback: string): string => (s === undefined ? fallback : new Date(s).toISOString());

/**
 * Validates a fixture document whole and turns it into a dataset ready to store, ids, dates and
 * tokens filled in. Nothing is written here: an invalid fixture yields every problem, by JSON path.
 */
export async function prepareFixture(doc: unknown, tokens: TokenService, now = Date.now()): Promise<FixtureResult> {
  if (!validateShape(doc)) return { ok: false, problems: shapeProblems(validateShape.errors ?? []) };
  const ctx = new Context(tokens, new Date(now).toISOString(), now);
  for (const [i, location] of doc.locations.entries()) await ctx.location(location, `$.locations[${i}]`);
  if (ctx.problems.length) return { ok: false, problems: ctx.problems };
  return { ok: true, dataset: ctx.dataset, tokens: ctx.issued };
}

type ObjectDoc = NonNullable<FixtureLocationDoc['objects']>[number];
type FieldDoc = NonNullable<ObjectDoc['fields']>[number];
/** An object being assembled from the fixture, with its folders and fields (by short key). */
interface ObjectEntry {
  row: ObjectRow;
  folders: FolderRow[];
  fields: Map<string, FieldRow & FieldRules>;
}

class Context {
  readonly problems: string[] = [];
  readonly dataset: Dataset = { locations: [], users: [], tokens: [], objects: [], folders: [], fields: [], records: [] };
  readonly issued: IssuedToken[] = [];
  private readonly ids = new Map<string, string>();
  /** Values of unique fields already held, to the path of the record holding them. */
  private readonly uniqueHeld = new Map<string, string>();

  constructor(
    private readonly tokens: TokenService,
    private readonly nowIso: string,
    private readonly now: number,
  ) {}

  private problem(path: string, message: string): void {
    this.problems.push(`${path} ${message}`);
  }

  /** Ids are unique across the whole fixture (they are primary keys). */
  private claim(kind: string, id: string, path: string): void {
    const key = `${kind}:${id}`;
    const first = this.ids.get(key);
    if (first !== undefined) this.problem(path, `duplicate ${kind} id ${id} (first at ${first})`);
    else this.ids.set(key, path);
  }

  async location(doc: FixtureLocationDoc, path: string): Promise<void> {
    const locationId = doc.id ?? newShortId();
    this.claim('location', locationId, `${path}.id`);
    this.dataset.locations.push({ id: locationId, name: doc.name, createdAt: this.nowIso });

    const userIds = new Set<string>();
    for (const [i, u] of (doc.users ?? []).entries()) {
      const id = u.id ?? newShortId();
      this.claim('user', id, `${path}.users[${i}].id`);
      userIds.add(id);
      this.dataset.users.push({ id, locationId, name: u.name, email: u.email ?? null });
    }

    for (const [i, t] of (doc.tokens ?? []).entries()) {
      const tpath = `${path}.tokens[${i}]`;
      if (t.type === 'oauth' && t.token !== undefined) {
        this.problem(`${tpath}.token`, 'an OAuth token cannot be given: the server signs it (leave token out)');
        continue;
      }
      const { token, row } = await this.tokens.issue(t.type === 'oauth' ? 'oauth' : 'pit', {
        locationId,
        scopes: t.scopes,
        expiresIn: t.expiresIn,
        token: t.token,
        id: t.id,
        revoked: t.revoked,
        now: this.now,
      });
      this.claim('token', row.id, `${tpath}.id`);
      if (row.hash !== null) this.claim('token', row.hash, `${tpath}.token`);
      this.dataset.tokens.push(row);
      this.issued.push({ locationId, type: t.type, token, scopes: row.scopes });
    }

    const standard = standardObjectsFor(locationId, this.nowIso);
    const objects = new Map<string, ObjectEntry>();
    for (const o of standard.objects) objects.set(o.key, { row: o, folders: standard.folders.filter((f) => f.objectId === o.id), fields: new Map() });
    const business = objects.get(BUSINESS)!;
    for (const f of standard.fields) business.fields.set(shortKey(BUSINESS, f.fieldKey), { ...f, key: shortKey(BUSINESS, f.fieldKey) });

    let customCount = 0;
    for (const [i, o] of (doc.objects ?? []).entries()) {
      const opath = `${path}.objects[${i}]`;
      if (o.key === BUSINESS) {
        this.businessExtension(o, opath, business);
        continue;
      }
      if ((STANDARD_KEYS as readonly string[]).includes(o.key)) {
        this.problem(`${opath}.key`, `${o.key} is a standard object and cannot be defined or extended here`);
        continue;
      }
      if (!CUSTOM_OBJECT_KEY.test(o.key)) {
        this.problem(`${opath}.key`, 'must be custom_objects.<key>, the key lowercase letters, digits and underscores');
        continue;
      }
      if (objects.has(o.key)) {
        this.problem(`${opath}.key`, `duplicate object key ${o.key}`);
        continue;
      }
      if (++customCount > MAX_CUSTOM_OBJECTS) this.problem(opath, `a location has at most ${MAX_CUSTOM_OBJECTS} custom objects`);
      if (!o.labels) this.problem(`${opath}.labels`, 'is required for a custom object');
      const id = o.id ?? newObjectId(this.now);
      this.claim('object', id, `${opath}.id`);
      const createdAt = iso(o.dateAdded, this.nowIso);
      const row: ObjectRow = {
        id,
        locationId,
        key: o.key,
        standard: false,
        type: 'USER_DEFINED',
        labels: o.labels ?? { singular: o.key, plural: o.key },
        description: o.description ?? null,
        primaryDisplayProperty: '',
        searchableProperties: [],
        createdAt,
        updatedAt: iso(o.dateUpdated, createdAt),
      };
      const entry: ObjectEntry = { row, folders: [], fields: new Map() };
      objects.set(o.key, entry);
      this.folders(o.folders, `${opath}.folders`, entry);
      if (entry.folders.length === 0) entry.folders.push(defaultFolder(row, createdAt));
      this.fields(o.fields ?? [], `${opath}.fields`, entry);

      const first = entry.fields.values().next().value;
      const primary = o.primaryDisplayProperty ?? first?.fieldKey;
      const primaryField = primary === undefined ? undefined : entry.fields.get(shortKey(o.key, primary));
      if (primary === undefined) this.problem(`${opath}.fields`, 'a custom object needs at least its primary display field');
      else if (!primaryField || primaryField.fieldKey !== primary) this.problem(`${opath}.primaryDisplayProperty`, `${primary} is not a field of ${o.key}`);
      else if (primaryField.dataType !== 'TEXT' && primaryField.dataType !== 'NUMERICAL') {
        this.problem(`${opath}.primaryDisplayProperty`, `${primary} is ${primaryField.dataType}; the primary display property must be TEXT or NUMERICAL`);
      }
      row.primaryDisplayProperty = primary ?? '';
      if (primary !== undefined || o.searchableProperties !== undefined) {
        row.searchableProperties = this.searchable(o.searchableProperties ?? [primary!], `${opath}.searchableProperties`, entry);
      }
    }

    for (const { row, folders, fields } of objects.values()) {
      this.dataset.objects.push(row);
      this.dataset.folders.push(...folders);
      this.dataset.fields.push(...[...fields.values()].map(({ key: _key, ...f }) => f));
    }

    for (const [i, r] of (doc.records ?? []).entries()) this.record(r, `${path}.records[${i}]`, locationId, userIds, objects);
  }

  private folders(docs: ObjectDoc['folders'], path: string, entry: ObjectEntry): void {
    for (const [i, f] of (docs ?? []).entries()) {
      const id = f.id ?? newObjectId(this.now);
      this.claim('folder', id, `${path}[${i}].id`);
      entry.folders.push({ id, locationId: entry.row.locationId, objectId: entry.row.id, name: f.name, createdAt: this.nowIso, updatedAt: this.nowIso });
    }
  }

  private businessExtension(o: ObjectDoc, path: string, business: ObjectEntry): void {
    for (const prop of ['id', 'labels', 'description', 'primaryDisplayProperty', 'dateAdded', 'dateUpdated'] as const) {
      if (o[prop] !== undefined) this.problem(`${path}.${prop}`, 'cannot be set on business, a standard object (only fields and searchableProperties)');
    }
    this.folders(o.folders, `${path}.folders`, business);
    this.fields(o.fields ?? [], `${path}.fields`, business);
    if (o.searchableProperties) business.row.searchableProperties = this.searchable(o.searchableProperties, `${path}.searchableProperties`, business);
  }

  private searchable(keys: string[], path: string, entry: ObjectEntry): string[] {
    if (keys.length < 1 || keys.length > MAX_SEARCHABLE_PROPERTIES) {
      this.problem(path, `must list 1 to ${MAX_SEARCHABLE_PROPERTIES} fields (got ${keys.length})`);
    }
    for (const [i, k] of keys.entries()) {
      const field = entry.fields.get(shortKey(entry.row.key, k));
      if (!field || field.fieldKey !== k) this.problem(`${path}[${i}]`, `${k} is not a field of ${entry.row.key}`);
    }
    if (new Set(keys).size !== keys.length) this.problem(path, 'lists a field twice');
    return keys;
  }

  private fields(docs: FieldDoc[], path: string, entry: ObjectEntry): void {
    const objectKey = entry.row.key;
    if (docs.filter((f) => f.unique).length > MAX_UNIQUE_FIELDS) this.problem(path, `an object has at most ${MAX_UNIQUE_FIELDS} unique fields`);
    for (const [i, f] of docs.entries()) {
      const fpath = `${path}[${i}]`;
      const prefix = `${objectKey}.`;
      const name = f.fieldKey.startsWith(prefix) ? f.fieldKey.slice(prefix.length) : '';
      if (!FIELD_NAME.test(name)) {
        this.problem(`${fpath}.fieldKey`, `must be ${prefix}<key>, the key lowercase letters, digits and underscores`);
        continue;
      }
      if (entry.fields.has(name)) {
        this.problem(`${fpath}.fieldKey`, `${f.fieldKey} is already a field of ${objectKey}`);
        continue;
      }
      this.problems.push(...definitionProblems(f, `${fpath}.`, (i) => `[${i}]`));
      if (f.parentId !== undefined && !entry.folders.some((folder) => folder.id === f.parentId)) {
        this.problem(`${fpath}.parentId`, `${f.parentId} is not a folder of ${objectKey}`);
      }
      const id = f.id ?? newShortId();
      this.claim('field', id, `${fpath}.id`);
      const createdAt = iso(f.dateAdded, this.nowIso);
      entry.fields.set(name, {
        id,
        key: name,
        locationId: entry.row.locationId,
        objectId: entry.row.id,
        fieldKey: f.fieldKey,
        name: f.name,
        dataType: f.dataType,
        description: f.description ?? null,
        placeholder: f.placeholder ?? null,
        showInForms: f.showInForms ?? true,
        options: normaliseOptions(f.options),
        ...definitionDefaults(f),
        parentId: f.parentId ?? entry.folders[0]!.id,
        standard: false,
        createdAt,
        updatedAt: iso(f.dateUpdated, createdAt),
      });
    }
  }

  private record(
    r: NonNullable<FixtureLocationDoc['records']>[number],
    path: string,
    locationId: string,
    userIds: ReadonlySet<string>,
    objects: ReadonlyMap<string, ObjectEntry>,
  ): void {
    const entry = objects.get(r.objectKey);
    if (!entry || entry.row.key === 'contact' || entry.row.key === 'opportunity') {
      this.problem(`${path}.objectKey`, `${r.objectKey} is not business or a custom object of this location`);
      return;
    }
    const id = r.id ?? newObjectId(this.now);
    this.claim('record', id, `${path}.id`);
    const owner = r.owner ?? [];
    const followers = r.followers ?? [];
    if (entry.row.key === BUSINESS && owner.length > 0) this.problem(`${path}.owner`, 'business records have no owner');
    else if (owner.length > MAX_OWNERS) this.problem(`${path}.owner`, `has ${owner.length} users; a record has at most ${MAX_OWNERS} owner`);
    if (followers.length > MAX_FOLLOWERS) this.problem(`${path}.followers`, `has ${followers.length} users; a record has at most ${MAX_FOLLOWERS} followers`);
    for (const [i, u] of owner.entries()) if (!userIds.has(u)) this.problem(`${path}.owner[${i}]`, `${u} is not a user of this location`);
    for (const [i, u] of followers.entries()) if (!userIds.has(u)) this.problem(`${path}.followers[${i}]`, `${u} is not a user of this location`);
    if (new Set(followers).size !== followers.length) this.problem(`${path}.followers`, 'lists a user twice');

    const checked = checkProperties(entry.fields, entry.row.key, r.properties, `${path}.properties`);
    this.problems.push(...checked.problems);
    for (const field of entry.fields.values()) {
      const value = checked.values[field.key];
      if (!field.unique || value === undefined) continue;
      const held = `${entry.row.id}\u0000${field.key}\u0000${JSON.stringify(value)}`;
      const first = this.uniqueHeld.get(held);
      if (first !== undefined) this.problem(`${path}.properties.${field.key}`, `holds ${JSON.stringify(value)}, as ${first} does; ${field.name} is unique`);
      else this.uniqueHeld.set(held, `${path}`);
    }
    const createdAt = iso(r.dateAdded, this.nowIso);
    const updatedAt = iso(r.dateUpdated, createdAt);
    if (updatedAt < createdAt) this.problem(`${path}.dateUpdated`, 'is before dateAdded');
    const row: RecordRow = {
      id,
      locationId,
      objectId: entry.row.id,
      owner,
      followers,
      properties: checked.values,
      createdAt,
      updatedAt,
      createdBy: { ...FIXTURE_ACTOR, createdAt } satisfies Actor,
      lastUpdatedBy: { ...FIXTURE_ACTOR, createdAt: updatedAt } satisfies Actor,
    };
    this.dataset.records.push(row);
  }
}
