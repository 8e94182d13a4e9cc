import { newObjectId, newShortId } from '../ids.js';
import type { FieldRow, FolderRow, ObjectRow } from '../store/store.js';
import type { DataType } from './field-types.js';

/** Object keys that exist in every location. */
export const BUSINESS = 'business';
export const STANDARD_KEYS = ['contact', 'opportunity', BUSINESS] as const;
/** Standard objects listed by the schema API whose records this API does not serve (nor does the real one). */
export const UNSERVED_KEYS: ReadonlySet<string> = new Set(['contact', 'opportunity']);

const STANDARD_OBJECTS: Record<(typeof STANDARD_KEYS)[number], { singular: string; plural: string; description: string; primary: string; searchable: string[] }> = {
  contact: { singular: 'Contact', plural: 'Contacts', description: 'Contacts of the location', primary: 'contact.name', searchable: ['contact.name', 'contact.email'] },
  opportunity: { singular: 'Opportunity', plural: 'Opportunities', description: 'Opportunities of the location', primary: 'opportunity.name', searchable: ['opportunity.name'] },
  business: { singular: 'Company', plural: 'Companies', description: 'Companies (businesses) of the location', primary: 'business.name', searchable: ['business.name', 'business.email'] },
};

/** The standard fields of `business`, as the records API addresses them (short keys). */
export const BUSINESS_FIELDS: ReadonlyArray<{ key: string; name: string; dataType: DataType }> = [
  { key: 'name', name: 'Company Name', dataType: 'TEXT' },
  { key: 'phone', name: 'Phone', dataType: 'PHONE' },
  { key: 'email', name: 'Email', dataType: 'EMAIL' },
  { key: 'website', name: 'Website', dataType: 'TEXT' },
  { key: 'address', name: 'Address', dataType: 'TEXT' },
  { key: 'city', name: 'City', dataType: 'TEXT' },
  { key: 'state', name: 'State', dataType: 'TEXT' },
  { key: 'postalCode', name: 'Postal Code', dataType: 'TEXT' },
  { key: 'country', name: 'Country', dataType: 'TEXT' },
  { key: 'description', name: 'Description', dataType: 'LARGE_TEXT' },
];

/** A plain field (no options, not unique) in a folder: the primary display field of a new object, the standard fields of business. */
export function plainField(folder: FolderRow, f: { fieldKey: string; name: string; dataType: DataType; standard: boolean }, at: string): FieldRow {
  return {
    id: newShortId(),
    locationId: folder.locationId,
    objectId: folder.objectId,
    fieldKey: f.fieldKey,
    name: f.name,
    dataType: f.dataType,
    description: null,
    placeholder: null,
    showInForms: true,
    options: [],
    acceptedFormats: null,
    maxFileLimit: null,
    allowCustomOption: false,
    parentId: folder.id,
    unique: false,
    standard: f.standard,
    createdAt: at,
    updatedAt: at,
  };
}

/** The folder every custom object, and business, starts with. */
export const DEFAULT_FOLDER_NAME = 'General Info';

export function defaultFolder(object: ObjectRow, at: string): FolderRow {
  return { id: newObjectId(Date.parse(at)), locationId: object.locationId, objectId: object.id, name: DEFAULT_FOLDER_NAME, createdAt: at, updatedAt: at };
}

/** The standard objects (and the default folder and standard fields of `business`) a new location starts with. */
export function standardObjectsFor(locationId: string, at: string): { objects: ObjectRow[]; folders: FolderRow[]; fields: FieldRow[] } {
  const objects = STANDARD_KEYS.map((key): ObjectRow => {
    const def = STANDARD_OBJECTS[key];
    return {
      id: newObjectId(Date.parse(at)),
      locationId,
      key,
      standard: true,
      type: 'SYSTEM_DEFINED',
      labels: { singular: def.singular, plural: def.plural },
      description: def.description,
      primaryDisplayProperty: def.primary,
      searchableProperties: [...def.searchable],
      createdAt: at,
      updatedAt: at,
    };
  });
  const business = objects.find((o) => o.key === BUSINESS)!;
  const folder = defaultFolder(business, at);
  const fields = BUSINESS_FIELDS.map((f) => plainField(folder, { fieldKey: `${BUSINESS}.${f.key}`, name: f.name, dataType: f.dataType, standard: true }, at));
  return { objects, folders: [folder], fields };
}
