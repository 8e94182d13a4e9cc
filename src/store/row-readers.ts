import type { DataType, FieldOption } from '../services/field-types.js';
import type { Actor, FieldRow, FolderRow, ObjectRow, ObjectType, RecordRow, TokenKind, TokenRow } from './store.js';

/** A database row by column name. */
export type Row = Record<string, unknown>;

/**
 * How a backend hands over the two kinds of column that differ between dialects: booleans
 * (SQLite 0/1, PostgreSQL true/false) and JSON (SQLite text, PostgreSQL parsed JSONB).
 */
export interface ColumnDecoding {
  bool(v: unknown): boolean;
  json<T>(v: unknown): T;
}

export const str = (v: unknown): string => v as string;
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

/** Row readers shared by every store: one mapping from columns to row types, the decoding per backend. */
export function rowReaders({ bool, json }: ColumnDecoding) {
  return {
    token: (r: Row): TokenRow => ({
      id: str(r.id),
      locationId: str(r.location_id),
      kind: r.kind as TokenKind,
      hash: strOrNull(r.hash),
      scopes: json<string[]>(r.scopes),
      clientId: strOrNull(r.client_id),
      createdAt: str(r.created_at),
      expiresAt: strOrNull(r.expires_at),
      revokedAt: strOrNull(r.revoked_at),
    }),
    object: (r: Row): ObjectRow => ({
      id: str(r.id),
      locationId: str(r.location_id),
      key: str(r.key),
      standard: bool(r.standard),
      type: r.type as ObjectType,
      labels: { singular: str(r.label_singular), plural: str(r.label_plural) },
      description: strOrNull(r.description),
      primaryDisplayProperty: str(r.primary_display_property),
      searchableProperties: json<string[]>(r.searchable_properties),
      createdAt: str(r.created_at),
      updatedAt: str(r.updated_at),
    }),
    field: (r: Row): FieldRow => ({
      id: str(r.id),
      locationId: str(r.location_id),
      objectId: str(r.object_id),
      fieldKey: str(r.field_key),
      name: str(r.name),
      dataType: r.data_type as DataType,
      description: strOrNull(r.description),
      placeholder: strOrNull(r.placeholder),
      showInForms: bool(r.show_in_forms),
      options: json<FieldOption[]>(r.options),
      acceptedFormats: strOrNull(r.accepted_formats),
      maxFileLimit: r.max_file_limit === null || r.max_file_limit === undefined ? null : Number(r.max_file_limit),
      allowCustomOption: bool(r.allow_custom_option),
      parentId: strOrNull(r.parent_id),
      unique: bool(r.is_unique),
      standard: bool(r.standard),
      createdAt: str(r.created_at),
      updatedAt: str(r.updated_at),
    }),
    folder: (r: Row): FolderRow => ({
      id: str(r.id),
      locationId: str(r.location_id),
      objectId: str(r.object_id),
      name: str(r.name),
      createdAt: str(r.created_at),
      updatedAt: str(r.updated_at),
    }),
    record: (r: Row): RecordRow => ({
      id: str(r.id),
      locationId: str(r.location_id),
      objectId: str(r.object_id),
      owner: json<string[]>(r.owner),
      followers: json<string[]>(r.followers),
      properties: json<RecordRow['properties']>(r.properties),
      createdAt: str(r.created_at),
      updatedAt: str(r.updated_at),
      createdBy: json<Actor>(r.created_by),
      lastUpdatedBy: json<Actor>(r.last_updated_by),
    }),
  };
}
