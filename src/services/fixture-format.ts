import { Type, type Static } from '@sinclair/typebox';
import { OBJECT_ID_PATTERN, PIT_PATTERN, SHORT_ID_PATTERN } from '../ids.js';
import { DATA_TYPES } from './field-types.js';
import { SCOPES } from './scopes.js';

/**
 * The fixture format: one JSON document that describes whole locations. This TypeBox schema is
 * the single source of truth; `fixtures/fixture.schema.json` is generated from it
 * (`npm run fixture-schema`) and a test keeps the two equal.
 */

const ObjectId = Type.String({ pattern: OBJECT_ID_PATTERN, description: '24 lowercase hex characters' });
const ShortId = Type.String({ pattern: SHORT_ID_PATTERN, description: '20 characters [A-Za-z0-9]' });
const DateTime = Type.String({ format: 'date-time', description: 'ISO 8601 date-time, e.g. 2024-07-11T10:00:00.000Z' });
const Name = Type.String({ minLength: 1, maxLength: 255 });

export const ACCEPTED_FORMATS = ['.pdf', '.docx', '.doc', '.jpg', '.jpeg', '.png', '.gif', '.csv', '.xlsx', '.xls', 'all'] as const;

export const FixtureUser = Type.Object(
  { id: Type.Optional(ShortId), name: Name, email: Type.Optional(Type.String({ maxLength: 254 })) },
  { additionalProperties: false },
);

export const FixtureToken = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid', description: 'public id of the token (createdBy.sourceId, JWT jti)' })),
    type: Type.Union([Type.Literal('private-integration'), Type.Literal('oauth')]),
    token: Type.Optional(Type.String({ pattern: PIT_PATTERN, description: 'a fixed Private Integration Token; OAuth tokens are always signed by the server' })),
    scopes: Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s))), { uniqueItems: true }),
    expiresIn: Type.Optional(Type.Integer({ minimum: 1, description: 'lifetime in seconds from the load' })),
    revoked: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const FixtureOption = Type.Object(
  { key: Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' }), label: Name, url: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: false },
);

export const FixtureField = Type.Object(
  {
    id: Type.Optional(ShortId),
    fieldKey: Type.String({ description: 'custom_objects.<object>.<field>, or business.<field>' }),
    name: Name,
    dataType: Type.Union(DATA_TYPES.map((t) => Type.Literal(t))),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    placeholder: Type.Optional(Type.String({ maxLength: 255 })),
    showInForms: Type.Optional(Type.Boolean()),
    options: Type.Optional(Type.Array(FixtureOption)),
    acceptedFormats: Type.Optional(Type.Union(ACCEPTED_FORMATS.map((f) => Type.Literal(f)))),
    maxFileLimit: Type.Optional(Type.Integer({ minimum: 1 })),
    allowCustomOption: Type.Optional(Type.Boolean()),
    unique: Type.Optional(Type.Boolean({ description: 'no two records may hold the same value (TEXT, LARGE_TEXT, NUMERICAL, PHONE)' })),
    parentId: Type.Optional(Type.String({ pattern: OBJECT_ID_PATTERN, description: 'id of one of the folders of the object; its first folder when absent' })),
    dateAdded: Type.Optional(DateTime),
    dateUpdated: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);

export const FixtureFolder = Type.Object({ id: Type.Optional(ObjectId), name: Name }, { additionalProperties: false });

export const FixtureObject = Type.Object(
  {
    key: Type.String({ description: 'custom_objects.<key>, or business to add custom fields to it' }),
    id: Type.Optional(ObjectId),
    labels: Type.Optional(Type.Object({ singular: Name, plural: Name }, { additionalProperties: false })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    primaryDisplayProperty: Type.Optional(Type.String()),
    searchableProperties: Type.Optional(Type.Array(Type.String())),
    folders: Type.Optional(Type.Array(FixtureFolder, { description: 'custom-field folders; a custom object without them gets one, "General Info"' })),
    fields: Type.Optional(Type.Array(FixtureField)),
    dateAdded: Type.Optional(DateTime),
    dateUpdated: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);

export const FixtureRecord = Type.Object(
  {
    objectKey: Type.String(),
    id: Type.Optional(ObjectId),
    owner: Type.Optional(Type.Array(Type.String())),
    followers: Type.Optional(Type.Array(Type.String())),
    properties: Type.Record(Type.String(), Type.Unknown()),
    dateAdded: Type.Optional(DateTime),
    dateUpdated: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);

export const FixtureLocation = Type.Object(
  {
    id: Type.Optional(ShortId),
    name: Name,
    users: Type.Optional(Type.Array(FixtureUser)),
    tokens: Type.Optional(Type.Array(FixtureToken)),
    objects: Type.Optional(Type.Array(FixtureObject)),
    records: Type.Optional(Type.Array(FixtureRecord)),
  },
  { additionalProperties: false },
);

export const Fixture = Type.Object(
  { $schema: Type.Optional(Type.String()), locations: Type.Array(FixtureLocation) },
  {
    additionalProperties: false,
    $id: 'urn:ghl-objects:fixture',
    title: 'ghl-objects fixture',
    description: 'Locations with their users, tokens, object schemas, fields and records, loaded by `ghl-objects serve --fixtures FILE`.',
  },
);

export type FixtureDoc = Static<typeof Fixture>;
export type FixtureLocationDoc = Static<typeof FixtureLocation>;

/** The fixture format as a standalone JSON Schema document (what `fixtures/fixture.schema.json` holds). */
export function fixtureJsonSchema(): string {
  return `${JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...Fixture }, null, 2)}\n`;
}
