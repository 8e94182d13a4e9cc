import { errors } from '../errors.js';
import type { RawRecord, Store } from '../store/store.js';
import type { ObjectSchema, SchemaRegistry } from './schema-registry.js';
import { UNSERVED_KEYS } from './standard-objects.js';
import type { Principal } from './tokens.js';

/**
 * The JSON of a record answer, built from the stored JSON texts as they are.
 * Optimization: no parse and stringify of properties, owner, followers or actors on the read path.
 */
function recordJson(raw: RawRecord, object: ObjectSchema): string {
  return (
    `{"record":{"id":"${raw.id}","owner":${raw.ownerJson},"followers":${raw.followersJson},` +
    `"properties":${raw.propertiesJson},"dateAdded":"${raw.createdAt}","dateUpdated":"${raw.updatedAt}",` +
    `"createdAt":"${raw.createdAt}","updatedAt":"${raw.updatedAt}",${object.recordJsonTail},` +
    `"createdBy":${raw.createdByJson},"lastUpdatedBy":${raw.lastUpdatedByJson}}}`
  );
}

export class RecordService {
  constructor(
    private readonly store: Store,
    private readonly schemas: SchemaRegistry,
  ) {}

  /** The object whose records a request addresses, in the caller's location. */
  async recordObject(principal: Principal, schemaKey: string): Promise<ObjectSchema> {
    const object = await this.schemas.find(principal.locationId, schemaKey);
    if (!object) throw errors.objectNotFound(schemaKey);
    if (UNSERVED_KEYS.has(object.key)) throw errors.unsupportedObject();
    return object;
  }

  /** `GET /objects/{schemaKey}/records/{id}`: the answer body, ready to send. */
  async getRecordJson(principal: Principal, schemaKey: string, id: string): Promise<string> {
    const object = await this.recordObject(principal, schemaKey);
    const raw = await this.store.getRecordRaw(object.id, id);
    if (!raw) throw errors.recordNotFound();
    return recordJson(raw, object);
  }
}
