import type { RawRecord, RecordRow } from './store.js';

/**
 * The column order every store selects a raw record in: id, owner, followers, properties,
 * created_at, updated_at, created_by, last_updated_by (JSON columns as text).
 */
export const RAW_RECORD_COLUMNS = 8;

/** A raw record from a row selected in RAW_RECORD_COLUMNS order (array mode: no per-row object build). */
export function rawRecordOf(r: readonly unknown[]): RawRecord {
  return {
    id: r[0] as string,
    ownerJson: r[1] as string,
    followersJson: r[2] as string,
    propertiesJson: r[3] as string,
    createdAt: r[4] as string,
    updatedAt: r[5] as string,
    createdByJson: r[6] as string,
    lastUpdatedByJson: r[7] as string,
  };
}

/**
 * A record's JSON object as every answer carries it: the stored JSON columns spliced in as the text
 * they are (no parse, no stringify), `objectJson` (the members the object gives each of its
 * records: `"locationId":…,"objectId":…,"objectKey":…`) and `extra` members at the end.
 * SQLite builds Get Record By Id's answer in SQL to this same layout (sqlite-store.ts); its tests
 * (test/store/sqlite/sqlite-store.test.ts) hold the two to the same bytes.
 */
export function recordObjectJson(raw: RawRecord, objectJson: string, extra = ''): string {
  return (
    `{"id":"${raw.id}","owner":${raw.ownerJson},"followers":${raw.followersJson},` +
    `"properties":${raw.propertiesJson},"dateAdded":"${raw.createdAt}","dateUpdated":"${raw.updatedAt}",` +
    `"createdAt":"${raw.createdAt}","updatedAt":"${raw.updatedAt}",${objectJson},` +
    `"createdBy":${raw.createdByJson},"lastUpdatedBy":${raw.lastUpdatedByJson}${extra}}`
  );
}

/** The answer of Get Record By Id, and of a create or an update: `{"record":…}`. */
export function recordAnswerJson(raw: RawRecord, objectJson: string): string {
  return `{"record":${recordObjectJson(raw, objectJson)}}`;
}

/** A record's JSON columns, as the text a store writes them in. */
export interface RecordJsonColumns {
  owner: string;
  followers: string;
  properties: string;
  createdBy: string;
  lastUpdatedBy: string;
}

export function recordJsonColumns(r: RecordRow): RecordJsonColumns {
  const createdBy = JSON.stringify(r.createdBy);
  return {
    owner: JSON.stringify(r.owner),
    followers: JSON.stringify(r.followers),
    properties: JSON.stringify(r.properties),
    createdBy,
    // A new record's two actors are one object (records.ts): serialised once.
    lastUpdatedBy: r.lastUpdatedBy === r.createdBy ? createdBy : JSON.stringify(r.lastUpdatedBy),
  };
}

/** The raw form of a record just written with these columns: its answer needs no second serialisation. */
export function rawRecordWritten(r: RecordRow, json: RecordJsonColumns): RawRecord {
  return {
    id: r.id,
    ownerJson: json.owner,
    followersJson: json.followers,
    propertiesJson: json.properties,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    createdByJson: json.createdBy,
    lastUpdatedByJson: json.lastUpdatedBy,
  };
}

/**
 * A record's next state as an update stores it: what `apply` returns, less what an update never
 * writes (where the record is, and its creation), so that the answer shows what is stored.
 */
export function storedUpdate(current: RecordRow, apply: (current: RecordRow) => RecordRow): RecordRow {
  const next = apply(current);
  return { ...next, id: current.id, locationId: current.locationId, objectId: current.objectId, createdAt: current.createdAt, createdBy: current.createdBy };
}
