import { ApiError, errors } from '../errors.js';
import { newObjectId } from '../ids.js';
import { StoreError, type ObjectRow, type Store } from '../store/store.js';
import { CUSTOM_OBJECT_KEY, CUSTOM_PREFIX, FIELD_NAME } from './keys.js';
import { MAX_CUSTOM_OBJECTS, MAX_SEARCHABLE_PROPERTIES } from './limits.js';
import type { ObjectSchema, SchemaRegistry } from './schema-registry.js';
import { BUSINESS, defaultFolder, plainField, UNSERVED_KEYS } from './standard-objects.js';
import type { Principal } from './tokens.js';

export interface CreateObjectInput {
  key: string;
  labels: { singular: string; plural: string };
  description?: string;
  primaryDisplayPropertyDetails: { key: string; name: string; dataType: string };
}

export interface UpdateObjectInput {
  labels?: { singular?: string; plural?: string };
  description?: string | null;
  searchableProperties: string[];
}

/** Object schemas: list, read, create, change and delete custom objects of a location. */
export class ObjectService {
  constructor(
    private readonly store: Store,
    private readonly schemas: SchemaRegistry,
  ) {}

  async list(principal: Principal): Promise<readonly ObjectSchema[]> {
    return (await this.schemas.forLocation(principal.locationId)).objects;
  }

  async get(principal: Principal, keyOrId: string): Promise<ObjectSchema> {
    const object = await this.schemas.find(principal.locationId, keyOrId);
    if (!object) throw errors.objectNotFound(keyOrId);
    return object;
  }

  async create(principal: Principal, input: CreateObjectInput): Promise<ObjectSchema> {
    const problems = createObjectProblems(input);
    if (problems.length) throw errors.validation(problems);
    const key = fullObjectKey(input.key);
    const primary = input.primaryDisplayPropertyDetails;
    const fieldName = primaryFieldName(key, primary.key);
    const dataType = primary.dataType === 'NUMERICAL' ? 'NUMERICAL' : 'TEXT';

    const now = new Date().toISOString();
    const fieldKey = `${key}.${fieldName}`;
    const object: ObjectRow = {
      id: newObjectId(),
      locationId: principal.locationId,
      key,
      standard: false,
      type: 'USER_DEFINED',
      labels: { singular: input.labels.singular, plural: input.labels.plural },
      description: input.description ?? null,
      primaryDisplayProperty: fieldKey,
      searchableProperties: [fieldKey],
      createdAt: now,
      updatedAt: now,
    };
    const folder = defaultFolder(object, now);
    const field = plainField(folder, { fieldKey, name: primary.name, dataType, standard: false }, now);
    try {
      await this.store.insertObject(object, [folder], [field], MAX_CUSTOM_OBJECTS);
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'conflict') throw new ApiError(400, `Custom Object with key ${key} already exists`);
      if (err instanceof StoreError && err.kind === 'limit') {
        throw new ApiError(400, `A location can have at most ${MAX_CUSTOM_OBJECTS} custom objects; delete one to create another`);
      }
      throw err;
    } finally {
      this.schemas.clear();
    }
    return this.get(principal, object.id);
  }

  async update(principal: Principal, keyOrId: string, input: UpdateObjectInput): Promise<ObjectSchema> {
    const object = await this.get(principal, keyOrId);
    if (UNSERVED_KEYS.has(object.key)) throw errors.unsupportedObject();
    if (object.standard && (input.labels !== undefined || input.description !== undefined)) {
      throw new ApiError(400, `The labels and description of ${object.key}, a standard object, cannot be changed`);
    }
    const keys = input.searchableProperties;
    if (keys.length > MAX_SEARCHABLE_PROPERTIES) {
      throw new ApiError(400, `Too many searchable properties. Maximum allowed is ${MAX_SEARCHABLE_PROPERTIES}, but received ${keys.length}.`);
    }
    const problems: string[] = [];
    if (keys.length === 0) problems.push('searchableProperties must contain at least 1 elements');
    const own = new Set(object.fields.map((f) => f.fieldKey));
    keys.forEach((k, i) => {
      if (!own.has(k)) problems.push(`searchableProperties.${i} ${k} is not a field of ${object.key}`);
    });
    if (new Set(keys).size !== keys.length) problems.push('searchableProperties must not list a field twice');
    if (problems.length) throw errors.validation(problems);

    try {
      await this.store.updateObject(object.id, {
        labels: { singular: input.labels?.singular ?? object.labels.singular, plural: input.labels?.plural ?? object.labels.plural },
        description: input.description === undefined ? object.description : input.description,
        searchableProperties: [...keys],
        updatedAt: new Date().toISOString(),
      });
    } finally {
      this.schemas.clear();
    }
    return this.get(principal, object.id);
  }

  /** Deletes a custom object (by id) with its fields and records; answers the deleted field keys. */
  async delete(principal: Principal, id: string): Promise<string[]> {
    const object = await this.get(principal, id);
    if (object.standard) throw new ApiError(400, `${object.key} is a standard object and cannot be deleted`);
    try {
      const deleted = await this.store.deleteObject(object.id);
      if (deleted === undefined) throw errors.objectNotFound(id);
      return deleted;
    } finally {
      this.schemas.clear();
    }
  }
}

const fullObjectKey = (key: string): string => (key.startsWith(CUSTOM_PREFIX) ? key : `${CUSTOM_PREFIX}${key}`);
const primaryFieldName = (objectKey: string, key: string): string => (key.startsWith(`${objectKey}.`) ? key.slice(objectKey.length + 1) : key);

/**
 * The rule problems of a create-object body beyond its schema: the key formats. Parts of the wrong
 * type are skipped (the schema reports them), so both lists can make one answer.
 */
export function createObjectProblems(input: { key?: unknown; primaryDisplayPropertyDetails?: unknown }): string[] {
  const problems: string[] = [];
  const key = typeof input.key === 'string' ? fullObjectKey(input.key) : undefined;
  if (key !== undefined && !CUSTOM_OBJECT_KEY.test(key)) problems.push('key must be lowercase letters, digits and underscores, optionally prefixed with custom_objects.');
  const primary = input.primaryDisplayPropertyDetails as { key?: unknown } | undefined;
  if (typeof primary?.key === 'string' && !FIELD_NAME.test(primaryFieldName(key ?? CUSTOM_PREFIX, primary.key))) {
    problems.push(`primaryDisplayPropertyDetails.key must be ${key ?? 'custom_objects.<object>'}.<key>, the key lowercase letters, digits and underscores`);
  }
  return problems;
}

/** The object a custom-fields request addresses: a custom object or business, never contact or opportunity. */
export async function fieldObject(schemas: SchemaRegistry, principal: Principal, objectKey: string): Promise<ObjectSchema> {
  // The spec's examples write the prefix in the singular (custom_object.pet); the service uses the plural.
  const key = objectKey.startsWith('custom_object.') ? `${CUSTOM_PREFIX}${objectKey.slice('custom_object.'.length)}` : objectKey;
  if (UNSERVED_KEYS.has(key)) throw errors.unsupportedObject();
  const object = await schemas.find(principal.locationId, key);
  if (!object) throw errors.objectNotFound(objectKey);
  if (object.standard && object.key !== BUSINESS) throw errors.unsupportedObject();
  return object;
}
