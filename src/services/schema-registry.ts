import { isObjectId } from '../ids.js';
import type { FieldRow, FolderRow, LocationSchemaRows, ObjectRow, Store } from '../store/store.js';
import type { FieldRules } from './field-types.js';

/** A field with its short key: what records use to name the property. */
export type SchemaField = FieldRow & FieldRules;

/** An object schema with its fields, as the request path needs it. */
export interface ObjectSchema extends ObjectRow {
  folders: FolderRow[];
  fields: SchemaField[];
  fieldsByKey: ReadonlyMap<string, SchemaField>;
  /**
   * Optimization: the part of a record's JSON that is the same for every record of this object
   * (`"locationId":…,"objectId":…,"objectKey":…`), built once per schema load.
   */
  recordJsonTail: string;
}

export interface LocationSchemas {
  /** In listing order: standard objects first, then custom objects by creation. */
  objects: readonly ObjectSchema[];
  byKey: ReadonlyMap<string, ObjectSchema>;
  byId: ReadonlyMap<string, ObjectSchema>;
  fieldsById: ReadonlyMap<string, { field: SchemaField; object: ObjectSchema }>;
  foldersById: ReadonlyMap<string, { folder: FolderRow; object: ObjectSchema }>;
}

/** The short key of a field: its full key without the object key and the dot. */
export function shortKey(objectKey: string, fieldKey: string): string {
  return fieldKey.slice(objectKey.length + 1);
}

function build({ objects, folders, fields }: LocationSchemaRows): LocationSchemas {
  const byKey = new Map<string, ObjectSchema>();
  const byId = new Map<string, ObjectSchema>();
  const fieldsById = new Map<string, { field: SchemaField; object: ObjectSchema }>();
  const foldersById = new Map<string, { folder: FolderRow; object: ObjectSchema }>();
  const list: ObjectSchema[] = [];
  for (const o of objects) {
    const own = fields
      .filter((f) => f.objectId === o.id)
      .map((f): SchemaField => ({ ...f, key: shortKey(o.key, f.fieldKey) }));
    const schema: ObjectSchema = {
      ...o,
      folders: folders.filter((f) => f.objectId === o.id),
      fields: own,
      fieldsByKey: new Map(own.map((f) => [f.key, f])),
      recordJsonTail: `"locationId":${JSON.stringify(o.locationId)},"objectId":${JSON.stringify(o.id)},"objectKey":${JSON.stringify(o.key)}`,
    };
    byKey.set(o.key, schema);
    byId.set(o.id, schema);
    list.push(schema);
    for (const field of own) fieldsById.set(field.id, { field, object: schema });
    for (const folder of schema.folders) foldersById.set(folder.id, { folder, object: schema });
  }
  return { objects: list, byKey, byId, fieldsById, foldersById };
}

/** An object of loaded schemas by key or by id, as `SchemaRegistry.find` looks it up. */
export function objectIn(schemas: LocationSchemas, keyOrId: string): ObjectSchema | undefined {
  return schemas.byKey.get(keyOrId) ?? (isObjectId(keyOrId) ? schemas.byId.get(keyOrId) : undefined);
}

/**
 * Object schemas of each location, loaded from the store on first use and kept until `clear()`
 * (called on every schema change here, and when another process's change bumps the revision).
 */
export class SchemaRegistry {
  private loaded = new Map<string, LocationSchemas>();
  private pending = new Map<string, Promise<LocationSchemas>>();

  constructor(private readonly store: Store) {}

  clear(): void {
    this.loaded = new Map();
    this.pending = new Map();
  }

  /** The schemas of one location. Optimization: a loaded location is answered without a promise chain. */
  forLocation(locationId: string): LocationSchemas | Promise<LocationSchemas> {
    return this.loaded.get(locationId) ?? this.load(locationId);
  }

  /** An object of a location by key (`custom_objects.pet`, `business`) or by its 24-hex id. */
  async find(locationId: string, keyOrId: string): Promise<ObjectSchema | undefined> {
    return objectIn(await this.forLocation(locationId), keyOrId);
  }

  private load(locationId: string): Promise<LocationSchemas> {
    let p = this.pending.get(locationId);
    if (p) return p;
    const loaded = this.loaded;
    const pending = this.pending;
    p = this.store.listObjects(locationId).then(
      (rows) => {
        const schemas = build(rows);
        // A clear() while loading replaced the maps: this result may be stale, so it is not kept.
        if (this.loaded === loaded) loaded.set(locationId, schemas);
        pending.delete(locationId);
        return schemas;
      },
      (err: unknown) => {
        pending.delete(locationId);
        throw err;
      },
    );
    pending.set(locationId, p);
    return p;
  }
}
