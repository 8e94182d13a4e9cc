import { Type, type Static } from '@sinclair/typebox';
import { OBJECT_ID_PATTERN } from '../../ids.js';

const SchemaKey = Type.String({ minLength: 1, maxLength: 200 });

export const RecordParams = Type.Object({ schemaKey: SchemaKey, id: Type.String({ pattern: OBJECT_ID_PATTERN }) });
export type RecordParams = Static<typeof RecordParams>;
export const ObjectRecordsParams = Type.Object({ schemaKey: SchemaKey });
export type ObjectRecordsParams = Static<typeof ObjectRecordsParams>;

/** Property values are checked against their fields by the records service, not here. */
const Properties = Type.Unsafe<Record<string, unknown>>({ type: 'object' });
const UserIds = Type.Array(Type.String(), { maxItems: 100 });

export const CreateRecordBody = Type.Object(
  { locationId: Type.Optional(Type.String()), owner: Type.Optional(UserIds), followers: Type.Optional(UserIds), properties: Properties },
  { additionalProperties: false },
);
export type CreateRecordBody = Static<typeof CreateRecordBody>;

export const UpdateRecordBody = Type.Object(
  { owner: Type.Optional(UserIds), followers: Type.Optional(UserIds), properties: Type.Optional(Properties) },
  { additionalProperties: false },
);
export type UpdateRecordBody = Static<typeof UpdateRecordBody>;

export const RecordDeleteResponse = Type.Object({ id: Type.String(), success: Type.Boolean() });
