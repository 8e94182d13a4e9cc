import { Type, type Static } from '@sinclair/typebox';
import { OBJECT_ID_PATTERN } from '../../ids.js';

export const RecordParams = Type.Object({
  schemaKey: Type.String({ minLength: 1, maxLength: 200 }),
  id: Type.String({ pattern: OBJECT_ID_PATTERN }),
});
export type RecordParams = Static<typeof RecordParams>;
