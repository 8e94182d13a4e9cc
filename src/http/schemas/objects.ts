import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './common.js';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const CreateObjectBody = Type.Object(
  {
    labels: Type.Object({ singular: Text(100), plural: Text(100) }, { additionalProperties: false }),
    key: Text(100),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    locationId: Type.String(),
    primaryDisplayPropertyDetails: Type.Object(
      { key: Text(200), name: Text(255), dataType: StringEnum(['TEXT', 'NUMERICAL'] as const) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type CreateObjectBody = Static<typeof CreateObjectBody>;

export const UpdateObjectBody = Type.Object(
  {
    labels: Type.Optional(Type.Object({ singular: Type.Optional(Text(100)), plural: Type.Optional(Text(100)) }, { additionalProperties: false })),
    description: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 2000 })),
    locationId: Type.String(),
    searchableProperties: Type.Array(Type.String(), { maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type UpdateObjectBody = Static<typeof UpdateObjectBody>;

export const ObjectKeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 200 }) });
export const GetObjectQuery = Type.Object({ locationId: Type.String(), fetchProperties: Type.Optional(Type.String()) });

/** `ICustomObjectSchema` of the spec, `type` a string (the spec's `object` is an error). */
export const ObjectDto = Type.Object({
  id: Type.String(),
  standard: Type.Boolean(),
  key: Type.String(),
  labels: Type.Object({ singular: Type.String(), plural: Type.String() }),
  description: Type.Optional(Type.String()),
  locationId: Type.String(),
  primaryDisplayProperty: Type.String(),
  dateAdded: Type.String(),
  dateUpdated: Type.String(),
  type: Type.String(),
  searchableProperties: Type.Array(Type.String()),
});

export const OptionDto = Type.Object({ key: Type.String(), label: Type.String(), url: Type.Optional(Type.String()) });

/** `ICustomField` of the spec. */
export const FieldDto = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  placeholder: Type.Optional(Type.String()),
  showInForms: Type.Boolean(),
  options: Type.Optional(Type.Array(OptionDto)),
  acceptedFormats: Type.Optional(Type.String()),
  maxFileLimit: Type.Optional(Type.Number()),
  allowCustomOption: Type.Optional(Type.Boolean()),
  objectKey: Type.String(),
  dataType: Type.String(),
  parentId: Type.String(),
  fieldKey: Type.String(),
  unique: Type.Boolean(),
  locationId: Type.String(),
  standard: Type.Boolean(),
  dateAdded: Type.String(),
  dateUpdated: Type.String(),
});

/** `ICustomFieldFolder` of the spec. */
export const FolderDto = Type.Object({
  id: Type.String(),
  objectKey: Type.String(),
  locationId: Type.String(),
  name: Type.String(),
  dateAdded: Type.String(),
  dateUpdated: Type.String(),
});

export const ObjectResponse = Type.Object({ object: ObjectDto });
export const ObjectListResponse = Type.Object({ objects: Type.Array(ObjectDto) });
export const ObjectByIdResponse = Type.Object({ object: ObjectDto, cache: Type.Boolean(), fields: Type.Optional(Type.Array(FieldDto)) });
export const ObjectDeleteResponse = Type.Object({
  id: Type.String(),
  success: Type.Boolean(),
  meta: Type.Object({ deletedFields: Type.Array(Type.String()), deletedAssociationIds: Type.Array(Type.String()) }),
});
