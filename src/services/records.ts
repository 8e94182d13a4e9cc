import { ApiError, errors } from '../errors.js';
import { newObjectId } from '../ids.js';
import { recordAnswerJson, recordObjectJson } from '../store/raw-record.js';
import { StoreError, type Actor, type RawRecord, type RecordRow, type Store } from '../store/store.js';
import { checkProperties } from './field-types.js';
import { MAX_FOLLOWERS, MAX_OWNERS } from './limits.js';
import { applyPropertyPatch } from './property-updates.js';
import { objectIn, type LocationSchemas, type ObjectSchema, type SchemaRegistry } from './schema-registry.js';
import { parseSearch, searchAfterOf } from './search.js';
import type { SearchBody } from '../http/schemas/search.js';
import { BUSINESS, UNSERVED_KEYS } from './standard-objects.js';
import type { Principal } from './tokens.js';

/** The object whose records a request addresses, among its location's schemas. */
function servedObject(schemas: LocationSchemas, schemaKey: string): ObjectSchema {
  const object = objectIn(schemas, schemaKey);
  if (!object) throw errors.objectNotFound(schemaKey);
  if (UNSERVED_KEYS.has(object.key)) throw errors.unsupportedObject();
  return object;
}

/** The answer to a read: the record's, or the 404. */
function found(json: string | undefined): string {
  if (json === undefined) throw errors.recordNotFound();
  return json;
}

/** Who wrote: every write through the API is attributed to the token that made it. */
function actor(principal: Principal, at: string): Actor {
  return { channel: 'API', source: 'INTEGRATION', sourceId: principal.tokenId, createdAt: at };
}

export interface CreateRecordInput {
  owner?: string[];
  followers?: string[];
  properties: Record<string, unknown>;
}

export interface UpdateRecordInput {
  owner?: string[];
  followers?: string[];
  properties?: Record<string, unknown>;
}

export class RecordService {
  constructor(
    private readonly store: Store,
    private readonly schemas: SchemaRegistry,
    private readonly users: (locationId: string) => Promise<ReadonlySet<string>>,
  ) {}

  /** The object whose records a request addresses, in the caller's location. */
  async recordObject(principal: Principal, schemaKey: string): Promise<ObjectSchema> {
    return servedObject(await this.schemas.forLocation(principal.locationId), schemaKey);
  }

  /**
   * `GET /objects/{schemaKey}/records/{id}`: the answer body, ready to send, as the store builds it.
   * Throws (or rejects with) the answer's error.
   *
   * Optimization: when the location's schemas are loaded and the store reads without waiting
   * (SQLite), the body is returned as it is, not in a promise: no await on the hot path.
   */
  getRecordJson(principal: Principal, schemaKey: string, id: string): string | Promise<string> {
    const schemas = this.schemas.forLocation(principal.locationId);
    if (schemas instanceof Promise) return schemas.then((s) => this.readJson(s, schemaKey, id));
    return this.readJson(schemas, schemaKey, id);
  }

  private readJson(schemas: LocationSchemas, schemaKey: string, id: string): string | Promise<string> {
    const object = servedObject(schemas, schemaKey);
    const json = this.store.getRecordJson(object.id, id, object.recordJsonTail);
    return json instanceof Promise ? json.then(found) : found(json);
  }

  /** Owner and followers: how many, and that each is a user of the location. */
  private async peopleProblems(principal: Principal, object: ObjectSchema, owner: string[] | undefined, followers: string[] | undefined): Promise<string[]> {
    const problems: string[] = [];
    if (owner === undefined && followers === undefined) return problems;
    const users = await this.users(principal.locationId);
    if (owner !== undefined) {
      if (object.key === BUSINESS && owner.length > 0) problems.push('owner is supported for custom objects only');
      else if (owner.length > MAX_OWNERS) problems.push(`owner must contain no more than ${MAX_OWNERS} elements`);
      owner.forEach((u, i) => users.has(u) || problems.push(`owner.${i} ${u} is not a user of this location`));
    }
    if (followers !== undefined) {
      if (followers.length > MAX_FOLLOWERS) problems.push(`followers must contain no more than ${MAX_FOLLOWERS} elements`);
      followers.forEach((u, i) => users.has(u) || problems.push(`followers.${i} ${u} is not a user of this location`));
    }
    return problems;
  }

  private uniqueKeys(object: ObjectSchema): string[] {
    return object.fields.filter((f) => f.unique).map((f) => f.key);
  }

  /** The real service's answer to a value taken in a unique field. */
  private duplicate(err: unknown, object: ObjectSchema): never {
    if (err instanceof StoreError && err.kind === 'conflict' && err.duplicate) {
      const field = object.fieldsByKey.get(err.duplicate.key);
      const message = `A record with the same value for ${field?.name ?? err.duplicate.key} - ${err.duplicate.value} already exists.`;
      throw new ApiError(400, message, { error: null, extra: { errors: [{ errorCode: 'duplicate_record', message, field: err.duplicate.key }] } });
    }
    throw err;
  }

  async create(principal: Principal, schemaKey: string, input: CreateRecordInput): Promise<string> {
    const object = await this.recordObject(principal, schemaKey);
    const checked = checkProperties(object.fieldsByKey, object.key, input.properties, 'properties');
    const problems = [...(await this.peopleProblems(principal, object, input.owner, input.followers)), ...checked.problems];
    if (problems.length) throw errors.validation(problems);
    const now = new Date().toISOString();
    const by = actor(principal, now);
    const row: RecordRow = {
      id: newObjectId(),
      locationId: principal.locationId,
      objectId: object.id,
      owner: [...new Set(input.owner ?? [])],
      followers: [...new Set(input.followers ?? [])],
      properties: checked.values,
      createdAt: now,
      updatedAt: now,
      createdBy: by,
      lastUpdatedBy: by,
    };
    let written: RawRecord;
    try {
      written = await this.store.insertRecord(row, this.uniqueKeys(object));
    } catch (err) {
      this.duplicate(err, object);
    }
    return recordAnswerJson(written, object.recordJsonTail);
  }

  async update(principal: Principal, schemaKey: string, id: string, input: UpdateRecordInput): Promise<string> {
    const object = await this.recordObject(principal, schemaKey);
    const people = await this.peopleProblems(principal, object, input.owner, input.followers);
    let updated: RawRecord | undefined;
    try {
      updated = await this.store.updateRecord(
        object.id,
        id,
        (current) => {
          // Runs inside the store's transaction, on the record as it is now: a refusal here rolls it back.
          const patched = input.properties === undefined ? { values: current.properties, problems: [] } : applyPropertyPatch(object.fieldsByKey, object.key, current.properties, input.properties, 'properties');
          if (people.length || patched.problems.length) throw errors.validation([...people, ...patched.problems]);
          const now = new Date().toISOString();
          return {
            ...current,
            owner: input.owner === undefined ? current.owner : [...new Set(input.owner)],
            followers: input.followers === undefined ? current.followers : [...new Set(input.followers)],
            properties: patched.values,
            updatedAt: now,
            lastUpdatedBy: actor(principal, now),
          };
        },
        this.uniqueKeys(object),
      );
    } catch (err) {
      this.duplicate(err, object);
    }
    if (!updated) throw errors.recordNotFound();
    return recordAnswerJson(updated, object.recordJsonTail);
  }

  /** `POST /objects/{schemaKey}/records/search`: the answer body, `{records, total}`, ready to send. */
  async searchJson(principal: Principal, schemaKey: string, body: SearchBody): Promise<string> {
    const object = await this.recordObject(principal, schemaKey);
    const { records, total } = await this.store.searchRecords(parseSearch(object, body));
    const items = records.map((r) => recordObjectJson(r, object.recordJsonTail, `,"searchAfter":${JSON.stringify(searchAfterOf(r))}`));
    return `{"records":[${items.join(',')}],"total":${total}}`;
  }

  async delete(principal: Principal, schemaKey: string, id: string): Promise<void> {
    const object = await this.recordObject(principal, schemaKey);
    if (!(await this.store.deleteRecord(object.id, id))) throw errors.recordNotFound();
  }
}
