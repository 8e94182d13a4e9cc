import type { RawRecord } from './store.js';

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
