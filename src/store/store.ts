import type { DataType, FieldOption, PropertyValue } from '../services/field-types.js';
import type { SearchPlan } from '../services/search-plan.js';

/**
 * The storage interface. Every method is one atomic unit: a write either happens whole or not
 * at all, so a backend never has to keep a transaction open across the caller's awaits.
 */

export interface LocationRow {
  id: string;
  name: string;
  createdAt: string;
}

export interface UserRow {
  id: string;
  locationId: string;
  name: string;
  email: string | null;
}

export type TokenKind = 'pit' | 'oauth';

export interface TokenRow {
  /** Public id of the token: `createdBy.sourceId` of what it writes, and the JWT's `jti`. */
  id: string;
  locationId: string;
  kind: TokenKind;
  /** SHA-256 (hex) of a PIT; null for OAuth tokens, which are identified by their signed `jti`. */
  hash: string | null;
  scopes: string[];
  /** OAuth client id (`<24 hex>-<8 alnum>`), or null for a PIT. */
  clientId: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export type ObjectType = 'USER_DEFINED' | 'SYSTEM_DEFINED';

export interface ObjectRow {
  id: string;
  locationId: string;
  key: string;
  standard: boolean;
  type: ObjectType;
  labels: { singular: string; plural: string };
  description: string | null;
  primaryDisplayProperty: string;
  searchableProperties: string[];
  createdAt: string;
  updatedAt: string;
}

export interface FieldRow {
  id: string;
  locationId: string;
  objectId: string;
  /** Full key: `custom_objects.pet.name` or `business.name`. */
  fieldKey: string;
  name: string;
  dataType: DataType;
  description: string | null;
  placeholder: string | null;
  showInForms: boolean;
  options: FieldOption[];
  acceptedFormats: string | null;
  maxFileLimit: number | null;
  allowCustomOption: boolean;
  parentId: string | null;
  /** No two records of the object may hold the same value in this field. */
  unique: boolean;
  standard: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface FolderRow {
  id: string;
  locationId: string;
  objectId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface Actor {
  channel: string;
  source: string;
  sourceId: string;
  createdAt: string;
}

export interface RecordRow {
  id: string;
  locationId: string;
  objectId: string;
  owner: string[];
  followers: string[];
  properties: Record<string, PropertyValue>;
  createdAt: string;
  updatedAt: string;
  createdBy: Actor;
  lastUpdatedBy: Actor;
}

/** A record as stored, its JSON columns still as text: the read path copies them into the answer unparsed. */
export interface RawRecord {
  id: string;
  ownerJson: string;
  followersJson: string;
  propertiesJson: string;
  createdAt: string;
  updatedAt: string;
  createdByJson: string;
  lastUpdatedByJson: string;
}

export interface SearchResult {
  total: number;
  records: Array<RawRecord & { sortValues: Array<string | number | null> }>;
}

/** Everything a database holds, in insertion order: what fixtures load and what export writes. */
export interface Dataset {
  locations: LocationRow[];
  users: UserRow[];
  tokens: TokenRow[];
  objects: ObjectRow[];
  folders: FolderRow[];
  fields: FieldRow[];
  records: RecordRow[];
}

/** The schema of a location: objects, their folders and fields. */
export interface LocationSchemaRows {
  objects: ObjectRow[];
  folders: FolderRow[];
  fields: FieldRow[];
}

export type ObjectPatch = Partial<Pick<ObjectRow, 'labels' | 'description' | 'searchableProperties'>> & { updatedAt: string };
export type FieldPatch = Partial<Pick<FieldRow, 'name' | 'description' | 'placeholder' | 'showInForms' | 'options' | 'acceptedFormats' | 'maxFileLimit'>> & {
  updatedAt: string;
};

/**
 * not_empty: a load into a database that holds data; conflict: a unique key taken (`detail` names it);
 * limit: a count cap reached; unavailable: the database cannot be reached.
 */
export type StoreErrorKind = 'not_empty' | 'conflict' | 'limit' | 'unavailable';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    /** For a conflict on a unique field: its short key and the value that is taken. */
    readonly duplicate?: { key: string; value: string | number },
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  close(): Promise<void>;

  getMeta(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` unless a value is there already; returns what is stored. Race-free across processes. */
  putMetaIfAbsent(key: string, value: string): Promise<string>;
  /**
   * A counter that grows on every change that cached state depends on (tokens revoked, schemas
   * changed), whichever process made it: processes poll it to drop their caches.
   */
  revision(): Promise<number>;

  isEmpty(): Promise<boolean>;
  /** Writes a whole dataset in one transaction; refuses a non-empty database unless `reset`, which empties it first. */
  loadDataset(data: Dataset, options: { reset: boolean }): Promise<void>;
  /**
   * Everything the database holds (meta aside), read from one snapshot, in an order loadDataset
   * accepts: parents before children, and folders and fields in their listing order (created
   * time, then insertion), so a database loaded from it lists them alike.
   */
  dumpDataset(): Promise<Dataset>;

  getLocation(id: string): Promise<LocationRow | undefined>;
  /** Ids of the users of a location. */
  userIds(locationId: string): Promise<string[]>;
  insertToken(token: TokenRow): Promise<void>;
  /** Marks a token revoked; false when there is no such token or it was revoked already. */
  revokeToken(id: string, at: string): Promise<boolean>;
  findTokenByHash(hash: string): Promise<TokenRow | undefined>;
  findTokenById(id: string): Promise<TokenRow | undefined>;

  /** A location's object schemas with all their folders and fields. */
  listObjects(locationId: string): Promise<LocationSchemaRows>;

  /**
   * Creates a custom object with its first folder and fields. Conflict when the key is taken;
   * limit when the location already has `maxCustomObjects` custom objects (checked in the same
   * transaction, so concurrent creates cannot pass it).
   */
  insertObject(object: ObjectRow, folders: FolderRow[], fields: FieldRow[], maxCustomObjects: number): Promise<void>;
  /** Changes labels, description or searchable properties; undefined when there is no such object. */
  updateObject(id: string, patch: ObjectPatch): Promise<ObjectRow | undefined>;
  /** Deletes an object with its folders, fields and records; returns the deleted fields' keys. */
  deleteObject(id: string): Promise<string[] | undefined>;

  insertFolder(folder: FolderRow): Promise<void>;
  updateFolder(id: string, name: string, updatedAt: string): Promise<FolderRow | undefined>;
  /** Deletes an empty folder; conflict when it still holds fields. */
  deleteFolder(id: string): Promise<boolean>;

  /** Conflict when the object already has a field with that key. */
  insertField(field: FieldRow): Promise<void>;
  updateField(id: string, patch: FieldPatch): Promise<FieldRow | undefined>;
  /**
   * Deletes a field, removes its values (`propertyKeys`) from every record of its object and the
   * field from the object's searchable properties (the primary display property takes its place
   * when none would be left), all in one transaction.
   */
  deleteField(id: string, propertyKeys: string[]): Promise<boolean>;

  /**
   * Get Record By Id's answer for one record of one object: `{"record":…}` as recordAnswerJson
   * (raw-record.ts) writes it, with `objectJson` the object's members; undefined when that object
   * has no such record. A store that reads without waiting (SQLite) answers at once rather than in
   * a promise: the hot path then runs without an await (records.ts).
   */
  getRecordJson(objectId: string, id: string, objectJson: string): string | undefined | Promise<string | undefined>;
  getRecord(objectId: string, id: string): Promise<RecordRow | undefined>;

  /**
   * Inserts a record. `uniqueKeys` are the short keys of the object's unique fields: a value
   * another record of the object holds there is a conflict (`duplicate` names it), checked in
   * the same transaction. Resolves with the record as written (its JSON columns as the text stored).
   */
  insertRecord(record: RecordRow, uniqueKeys: readonly string[]): Promise<RawRecord>;
  /**
   * Reads a record, computes its next state with `apply` (which may throw to refuse the change)
   * and writes it, all in one transaction: concurrent updates of one record serialise, none is
   * lost. `apply` may be called more than once (a store may run a transaction again); the last
   * call's result is the one written. Resolves with the record as written, or undefined when the
   * object has no such record.
   */
  updateRecord(objectId: string, id: string, apply: (current: RecordRow) => RecordRow, uniqueKeys: readonly string[]): Promise<RawRecord | undefined>;
  deleteRecord(objectId: string, id: string): Promise<boolean>;

  /**
   * The records a search plan selects, in its order, one page of them, with each record's sort
   * values (timestamps as epoch ms, money as its number, a missing property as null) and the
   * number of all matches.
   */
  searchRecords(plan: SearchPlan): Promise<SearchResult>;
}
