import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './common.js';

/** One sort key: `{field: "properties.weight_kg" | "createdAt" | "updatedAt", direction}`. */
export const SearchSortSchema = Type.Object(
  { field: Type.String(), direction: StringEnum(['asc', 'desc'] as const) },
  { additionalProperties: false },
);
export type SearchSort = Static<typeof SearchSortSchema>;

/**
 * Body of `POST /objects/{schemaKey}/records/search`. Only the outer shape is checked here:
 * filters nest to any depth, so their items are left to `parseSearch`, which checks them
 * against the object's fields and names each problem by its path (a recursive JSON Schema
 * would also let Ajv recurse as deep as the body nests).
 */
export const SearchBodySchema = Type.Object(
  {
    locationId: Type.String(),
    page: Type.Optional(Type.Integer({ minimum: 1 })),
    pageLimit: Type.Integer({ minimum: 1 }),
    query: Type.Optional(Type.String()),
    filters: Type.Optional(Type.Array(Type.Unknown())),
    sort: Type.Optional(Type.Array(SearchSortSchema)),
    // One JSON Schema type list rather than a union: Ajv then reports one plain message.
    searchAfter: Type.Optional(Type.Array(Type.Unsafe<string | number | null>({ type: ['string', 'number', 'null'] }))),
  },
  { additionalProperties: false },
);
export type SearchBody = Static<typeof SearchBodySchema>;
