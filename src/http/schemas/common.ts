import { Type, type TUnsafe } from '@sinclair/typebox';
import { OBJECT_ID_PATTERN, SHORT_ID_PATTERN } from '../../ids.js';

/** A string limited to some values, as one JSON Schema `enum` (Ajv then names the allowed values). */
export function StringEnum<T extends string>(values: readonly T[], options: { description?: string } = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

export const ObjectIdString = Type.String({ pattern: OBJECT_ID_PATTERN });
export const ShortIdString = Type.String({ pattern: SHORT_ID_PATTERN });

/** `?locationId=` where a route requires it. */
export const RequiredLocationQuery = Type.Object({ locationId: Type.String() });
export const LocationQuery = Type.Object({ locationId: Type.Optional(Type.String()) });

/** `{ id }` path parameters. */
export const ObjectIdParams = Type.Object({ id: ObjectIdString });
export const ShortIdParams = Type.Object({ id: ShortIdString });

export const Labels = Type.Object({ singular: Type.String(), plural: Type.String() });
