import { ApiError, errors } from '../errors.js';
import { newObjectId, newShortId } from '../ids.js';
import { StoreError, type FieldRow, type FolderRow, type Store } from '../store/store.js';
import { definitionDefaults, definitionProblems, normaliseOptions, type FieldDefinition } from './field-definitions.js';
import { OPTION_TYPES, type DataType } from './field-types.js';
import { CUSTOM_PREFIX, FIELD_NAME } from './keys.js';
import { MAX_UNIQUE_FIELDS } from './limits.js';
import { fieldObject } from './objects.js';
import type { ObjectSchema, SchemaField, SchemaRegistry } from './schema-registry.js';
import type { Principal } from './tokens.js';

export interface CreateFieldInput extends FieldDefinition {
  name: string;
  description?: string;
  placeholder?: string;
  showInForms: boolean;
  fieldKey: string;
  objectKey: string;
  parentId: string;
}

export interface UpdateFieldInput {
  name?: string;
  description?: string;
  placeholder?: string;
  showInForms: boolean;
  options?: Array<{ key?: string; label: string; url?: string }>;
  acceptedFormats?: string;
  maxFileLimit?: number;
}

/** The short name a field key gives within its object (the spec's singular `custom_object.` read as plural); '' when it is not of the object. */
function shortFieldName(object: ObjectSchema, fieldKey: string): string {
  const key = fieldKey.startsWith('custom_object.') ? `${CUSTOM_PREFIX}${fieldKey.slice('custom_object.'.length)}` : fieldKey;
  return key.startsWith(`${object.key}.`) ? key.slice(object.key.length + 1) : '';
}

/** The keys a field's values take in records: its short key, or one per option of a TEXTBOX_LIST. */
export function propertyKeysOf(field: SchemaField): string[] {
  return field.dataType === 'TEXTBOX_LIST' ? field.options.map((o) => `${field.key}.${o.key}`) : [field.key];
}

const fieldNotFound = () => new ApiError(404, 'Custom field not found');
const folderNotFound = () => new ApiError(404, 'Folder not found');

/** Custom fields of custom objects and business, and the folders that group them. */
export class FieldService {
  constructor(
    private readonly store: Store,
    private readonly schemas: SchemaRegistry,
  ) {}

  async get(principal: Principal, id: string): Promise<{ field: SchemaField; object: ObjectSchema }> {
    const hit = (await this.schemas.forLocation(principal.locationId)).fieldsById.get(id);
    if (!hit) throw fieldNotFound();
    return hit;
  }

  async listForObject(principal: Principal, objectKey: string): Promise<{ object: ObjectSchema; fields: SchemaField[]; folders: FolderRow[] }> {
    const object = await fieldObject(this.schemas, principal, objectKey);
    return { object, fields: object.fields.filter((f) => !f.standard), folders: object.folders };
  }

  /**
   * The rule problems of a create-field body beyond its schema. Parts of the wrong type are
   * skipped (the schema reports them), so both lists can make one answer; an object that cannot
   * be resolved adds none (its own error answers once the body is valid).
   */
  async createProblems(principal: Principal, input: { [K in keyof CreateFieldInput]?: unknown }): Promise<string[]> {
    if (typeof input.objectKey !== 'string') return definitionProblems(input, '');
    let object: ObjectSchema;
    try {
      object = await fieldObject(this.schemas, principal, input.objectKey);
    } catch {
      return definitionProblems(input, '');
    }
    return this.ruleProblems(object, input);
  }

  private ruleProblems(object: ObjectSchema, input: { [K in keyof CreateFieldInput]?: unknown }): string[] {
    const problems: string[] = [];
    if (typeof input.fieldKey === 'string' && !FIELD_NAME.test(shortFieldName(object, input.fieldKey))) {
      problems.push(`fieldKey must be ${object.key}.<key>, the key lowercase letters, digits and underscores`);
    }
    problems.push(...definitionProblems(input, ''));
    if (typeof input.parentId === 'string' && !object.folders.some((f) => f.id === input.parentId)) {
      problems.push(`parentId ${input.parentId} is not a folder of ${object.key}`);
    }
    if (input.unique === true && object.fields.filter((f) => f.unique).length >= MAX_UNIQUE_FIELDS) {
      problems.push(`unique: ${object.key} already has ${MAX_UNIQUE_FIELDS} unique fields, the most an object can have`);
    }
    return problems;
  }

  async create(principal: Principal, input: CreateFieldInput): Promise<{ field: SchemaField; object: ObjectSchema }> {
    const object = await fieldObject(this.schemas, principal, input.objectKey);
    const problems = this.ruleProblems(object, input);
    if (problems.length) throw errors.validation(problems);
    const name = shortFieldName(object, input.fieldKey);
    const fieldKey = `${object.key}.${name}`;
    if (object.fieldsByKey.has(name)) {
      throw new ApiError(400, `A field with key ${fieldKey} already exists`);
    }

    const now = new Date().toISOString();
    const row: FieldRow = {
      id: newShortId(),
      locationId: principal.locationId,
      objectId: object.id,
      fieldKey,
      name: input.name,
      dataType: input.dataType,
      description: input.description ?? null,
      placeholder: input.placeholder ?? null,
      showInForms: input.showInForms,
      options: normaliseOptions(input.options),
      ...definitionDefaults(input),
      parentId: input.parentId,
      standard: false,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.insertField(row);
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'conflict') throw new ApiError(400, `A field with key ${fieldKey} already exists`);
      throw err;
    } finally {
      this.schemas.clear();
    }
    return this.get(principal, row.id);
  }

  async update(principal: Principal, id: string, input: UpdateFieldInput): Promise<{ field: SchemaField; object: ObjectSchema }> {
    const { field } = await this.get(principal, id);
    if (field.standard) throw new ApiError(400, `${field.fieldKey} is a standard field and cannot be changed`);
    const dataType: DataType = field.dataType;
    // Options left out keep the field's own; options sent get their keys (made from labels when absent) checked whole.
    const options = input.options === undefined ? field.options : normaliseOptions(input.options);
    const problems = definitionProblems(
      { dataType, options: input.options === undefined && !OPTION_TYPES.has(dataType) ? undefined : options, acceptedFormats: input.acceptedFormats, maxFileLimit: input.maxFileLimit },
      '',
    );
    if (input.options !== undefined && OPTION_TYPES.has(dataType)) {
      const keys = new Set(options.map((o) => o.key));
      const missing = field.options.filter((o) => !keys.has(o.key)).map((o) => o.key);
      if (missing.length) problems.push(`options must keep every existing option; missing: ${missing.join(', ')}`);
    }
    if (problems.length) throw errors.validation(problems);
    try {
      await this.store.updateField(id, {
        name: input.name ?? field.name,
        description: input.description ?? field.description,
        placeholder: input.placeholder ?? field.placeholder,
        showInForms: input.showInForms,
        options,
        acceptedFormats: input.acceptedFormats ?? field.acceptedFormats,
        maxFileLimit: input.maxFileLimit ?? field.maxFileLimit,
        updatedAt: new Date().toISOString(),
      });
    } finally {
      this.schemas.clear();
    }
    return this.get(principal, id);
  }

  async delete(principal: Principal, id: string): Promise<SchemaField> {
    const { field, object } = await this.get(principal, id);
    if (field.standard) throw new ApiError(400, `${field.fieldKey} is a standard field and cannot be deleted`);
    if (field.fieldKey === object.primaryDisplayProperty) {
      throw new ApiError(400, `${field.fieldKey} is the primary display property of ${object.key} and cannot be deleted`);
    }
    try {
      if (!(await this.store.deleteField(id, propertyKeysOf(field)))) throw fieldNotFound();
    } finally {
      this.schemas.clear();
    }
    return field;
  }

  async createFolder(principal: Principal, objectKey: string, name: string): Promise<{ folder: FolderRow; object: ObjectSchema }> {
    const object = await fieldObject(this.schemas, principal, objectKey);
    const now = new Date().toISOString();
    const folder: FolderRow = { id: newObjectId(), locationId: principal.locationId, objectId: object.id, name, createdAt: now, updatedAt: now };
    try {
      await this.store.insertFolder(folder);
    } finally {
      this.schemas.clear();
    }
    return { folder, object };
  }

  private async folder(principal: Principal, id: string): Promise<{ folder: FolderRow; object: ObjectSchema }> {
    const hit = (await this.schemas.forLocation(principal.locationId)).foldersById.get(id);
    if (!hit) throw folderNotFound();
    return hit;
  }

  async renameFolder(principal: Principal, id: string, name: string): Promise<{ folder: FolderRow; object: ObjectSchema }> {
    const { object } = await this.folder(principal, id);
    try {
      const folder = await this.store.updateFolder(id, name, new Date().toISOString());
      if (!folder) throw folderNotFound();
      return { folder, object };
    } finally {
      this.schemas.clear();
    }
  }

  async deleteFolder(principal: Principal, id: string): Promise<{ folder: FolderRow; object: ObjectSchema }> {
    const hit = await this.folder(principal, id);
    try {
      if (!(await this.store.deleteFolder(id))) throw folderNotFound();
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'conflict') throw new ApiError(400, 'The folder still holds fields: delete them first');
      throw err;
    } finally {
      this.schemas.clear();
    }
    return hit;
  }
}
