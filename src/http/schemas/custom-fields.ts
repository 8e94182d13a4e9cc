import { Type, type Static } from '@sinclair/typebox';
import { DATA_TYPES } from '../../services/field-types.js';
import { ACCEPTED_FORMATS } from '../../services/fixture-format.js';
import { ObjectIdString, StringEnum } from './common.js';
import { FieldDto, FolderDto } from './objects.js';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const OptionKey = Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' });

export const CreateFieldBody = Type.Object(
  {
    locationId: Type.String(),
    name: Text(255),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    placeholder: Type.Optional(Type.String({ maxLength: 255 })),
    showInForms: Type.Boolean(),
    options: Type.Optional(
      Type.Array(Type.Object({ key: OptionKey, label: Text(255), url: Type.Optional(Text(2000)) }, { additionalProperties: false }), { maxItems: 500 }),
    ),
    acceptedFormats: Type.Optional(StringEnum(ACCEPTED_FORMATS)),
    dataType: StringEnum(DATA_TYPES),
    fieldKey: Text(300),
    objectKey: Text(200),
    maxFileLimit: Type.Optional(Type.Number()),
    allowCustomOption: Type.Optional(Type.Boolean()),
    unique: Type.Optional(Type.Boolean()),
    parentId: ObjectIdString,
  },
  { additionalProperties: false },
);
export type CreateFieldBody = Static<typeof CreateFieldBody>;

export const UpdateFieldBody = Type.Object(
  {
    locationId: Type.String(),
    name: Type.Optional(Text(255)),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    placeholder: Type.Optional(Type.String({ maxLength: 255 })),
    showInForms: Type.Boolean(),
    options: Type.Optional(
      Type.Array(
        Type.Object({ key: Type.Optional(OptionKey), label: Text(255), url: Type.Optional(Text(2000)) }, { additionalProperties: false }),
        { maxItems: 500 },
      ),
    ),
    acceptedFormats: Type.Optional(StringEnum(ACCEPTED_FORMATS)),
    maxFileLimit: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type UpdateFieldBody = Static<typeof UpdateFieldBody>;

export const CreateFolderBody = Type.Object({ objectKey: Text(200), name: Text(255), locationId: Type.String() }, { additionalProperties: false });
export type CreateFolderBody = Static<typeof CreateFolderBody>;
export const UpdateFolderBody = Type.Object({ name: Text(255), locationId: Type.String() }, { additionalProperties: false });
export type UpdateFolderBody = Static<typeof UpdateFolderBody>;

export const ObjectKeyPathParams = Type.Object({ objectKey: Type.String({ minLength: 1, maxLength: 200 }) });

export const FieldResponse = Type.Object({ field: FieldDto });
export const FieldListResponse = Type.Object({ fields: Type.Array(FieldDto), folders: Type.Array(FolderDto) });
/** `CustomFolderDeleteResponseDto`, misspelt `succeded` as the real service spells it. */
export const DeleteResponse = Type.Object({ succeded: Type.Boolean(), id: Type.String(), key: Type.String() });
