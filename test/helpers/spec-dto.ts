import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The official OpenAPI specs, read from shared/reference beside the project. */
const SPEC_DIR = new URL('../../../shared/reference/highlevel-openapi/', import.meta.url);

type Schema = Record<string, unknown>;

function withProperty(schema: Schema, name: string, value: Schema): Schema {
  return { ...schema, properties: { ...(schema.properties as Record<string, Schema>), [name]: value } };
}

/**
 * Known errors of the spec, corrected as CONTRACT.md decides, so the DTOs can check real answers:
 * `properties` of a record is an object, not a string; an object schema's `type` is a string
 * (USER_DEFINED / SYSTEM_DEFINED), not an object; the folders listed with an object's custom
 * fields are folders (ICustomFieldFolder), not fields; a field's dataType may be EMAIL (the create
 * DTO has it, the field DTO forgot it).
 */
function correct(name: string, schema: Schema): Schema {
  if (name === 'IRecordSchema') return withProperty(schema, 'properties', { type: 'object' });
  if (name === 'RecordResponseDTO') {
    // searchAfter: the spec types its items as numbers, yet its own example
    // ([1738683828372, "67a235b49b289431bcf657f8"]) ends with the record id, a string. The items are
    // the record's sort values, then its id: a timestamp as epoch ms, a text property as a string,
    // and null for a sorted property the record lacks (search-plan.ts), so number, string or null.
    const corrected = withProperty(schema, 'properties', { type: 'object' });
    return withProperty(corrected, 'searchAfter', { type: 'array', items: { type: ['number', 'string', 'null'] } });
  }
  if (name === 'ICustomObjectSchema') return withProperty(schema, 'type', { type: 'string', enum: ['USER_DEFINED', 'SYSTEM_DEFINED'] });
  if (name === 'ICustomField') {
    const dataType = (schema.properties as Record<string, Schema>).dataType!;
    return withProperty(schema, 'dataType', { ...dataType, enum: [...(dataType.enum as string[]), 'EMAIL'] });
  }
  if (name === 'CustomFieldsResponseDTO') {
    return withProperty(schema, 'folders', { type: 'array', items: { $ref: '#/components/schemas/ICustomFieldFolder' } });
  }
  return schema;
}

function loadSpec(file: string): Record<string, Schema> {
  const spec = JSON.parse(readFileSync(new URL(file, SPEC_DIR), 'utf8')) as { components: { schemas: Record<string, Schema> } };
  return spec.components.schemas;
}

const cache = new Map<string, (data: unknown) => string[]>();

/**
 * A validator for one DTO of a spec file: returns the list of problems (empty when valid).
 * References to `../common/...` are resolved against common-schemas.json.
 */
export function dtoValidator(file: string, dto: string): (data: unknown) => string[] {
  const key = `${file}#${dto}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const schemas = loadSpec(file);
  const common = loadSpec('common-schemas.json');
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^.*#\/components\/schemas\//, '#/$defs/') : rewrite(v);
      }
      return out;
    }
    return value;
  };
  const defs: Record<string, unknown> = {};
  for (const [name, s] of Object.entries({ ...common, ...schemas })) defs[name] = rewrite(correct(name, s));
  const validate = ajv.compile({ $defs: defs, $ref: `#/$defs/${dto}` });
  const check = (data: unknown) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
  cache.set(key, check);
  return check;
}
