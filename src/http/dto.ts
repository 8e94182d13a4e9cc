import type { Static } from '@sinclair/typebox';
import { OPTION_TYPES } from '../services/field-types.js';
import type { ObjectSchema, SchemaField } from '../services/schema-registry.js';
import type { FolderRow } from '../store/store.js';
import type { FieldDto, FolderDto, ObjectDto } from './schemas/objects.js';

/** Stored rows in the shapes of the spec's DTOs; absent optional values are left out, never null. */

export function objectDto(o: ObjectSchema): Static<typeof ObjectDto> {
  return {
    id: o.id,
    standard: o.standard,
    key: o.key,
    labels: { singular: o.labels.singular, plural: o.labels.plural },
    ...(o.description === null ? {} : { description: o.description }),
    locationId: o.locationId,
    primaryDisplayProperty: o.primaryDisplayProperty,
    dateAdded: o.createdAt,
    dateUpdated: o.updatedAt,
    type: o.type,
    searchableProperties: o.searchableProperties,
  };
}

export function fieldDto(f: SchemaField, object: ObjectSchema): Static<typeof FieldDto> {
  return {
    id: f.id,
    name: f.name,
    ...(f.description === null ? {} : { description: f.description }),
    ...(f.placeholder === null ? {} : { placeholder: f.placeholder }),
    showInForms: f.showInForms,
    ...(OPTION_TYPES.has(f.dataType) ? { options: f.options } : {}),
    ...(f.acceptedFormats === null ? {} : { acceptedFormats: f.acceptedFormats }),
    ...(f.maxFileLimit === null ? {} : { maxFileLimit: f.maxFileLimit }),
    ...(f.dataType === 'RADIO' ? { allowCustomOption: f.allowCustomOption } : {}),
    objectKey: object.key,
    dataType: f.dataType,
    parentId: f.parentId ?? '',
    fieldKey: f.fieldKey,
    unique: f.unique,
    locationId: f.locationId,
    standard: f.standard,
    dateAdded: f.createdAt,
    dateUpdated: f.updatedAt,
  };
}

export function folderDto(f: FolderRow, object: ObjectSchema): Static<typeof FolderDto> {
  return { id: f.id, objectKey: object.key, locationId: f.locationId, name: f.name, dateAdded: f.createdAt, dateUpdated: f.updatedAt };
}
