import { isObjectId } from '../ids.js';
import type { FieldRow, ObjectRow, Store } from '../store/store.js';
import type { FieldRules } from './field-types.js';

/** A field with its short key: what records use to name the property. */
export type SchemaField = FieldRow & FieldRules;

/** An object schema with its fields, as the request path needs it. */
export interface ObjectSchema extends ObjectRow {
  fields: SchemaField[];
  fieldsByKey: ReadonlyMap<string, SchemaField>;
  /**
   * Optimization: the part of a record's JSON that is the same for every record of this object
   * (`"locationId":…,"objectId":…,"objectKey":…`), built once per schema load.
   */
  recordJsonTail: string;
}

export interface LocationSchemas {
  byKey: ReadonlyMap<string, ObjectSchema>;
  byId: ReadonlyMap<string, ObjectSchema>;
}

/** The short key of a field: its full key without the object key and the dot. */
export function shortKey(objectKey: string, fieldKey: string): string {
  return fieldKey.slice(objectKey.length + 1);
}

function build(objects: ObjectRow[], fields: FieldRow[]): LocationSchemas {
  const byKey = new Map<string, ObjectSchema>();
  const byId = new Map<string, ObjectSchema>();
  for (const o of objects) {
    const own = fields
      .filter((f) => f.objectId === o.id)
      .map((f): SchemaField => ({ ...f, key: shortKey(o.key, f.fieldKey) }));
    const schema: ObjectSchema = {
      ...o,
      fields: own,
      fieldsByKey: new Map(own.map((f) => [f.key, f])),
      recordJsonTail: `"locationId":${JSON.stringify(o.locationId)},"objectId":${JSON.stringify(o.id)},"objectKey":${JSON.stringify(o.key)}`,
    };
    byKey.set(o.key, schema);
    byId.set(o.id, schema);
  }
  return { byKey, byId };
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
    const schemas = await this.forLocation(locationId);
    return schemas.byKey.get(keyOrId) ?? (isObjectId(keyOrId) ? schemas.byId.get(keyOrId) : undefined);
  }

  private load(locationId: string): Promise<LocationSchemas> {
    let p = this.pending.get(locationId);
    if (p) return p;
    const loaded = this.loaded;
    const pending = this.pending;
    p = this.store.listObjects(locationId).then(
      ({ objects, fields }) => {
        const schemas = build(objects, fields);
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
