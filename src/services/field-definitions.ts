import { DATA_TYPES, FILE_LIMIT_DEFAULT, FILE_LIMIT_MAX, OPTION_TYPES, type DataType, type FieldOption } from './field-types.js';

/** The types a field can be unique in (as in the real service: single line, multi line, number, phone). */
export const UNIQUE_TYPES: ReadonlySet<DataType> = new Set(['TEXT', 'LARGE_TEXT', 'NUMERICAL', 'PHONE']);

/**
 * Rules for defining a field (what the custom-fields API and fixtures accept), as opposed to
 * field-types.ts, which holds the rules for the values records put in fields.
 */

export const MAX_OPTIONS = 500;

export interface FieldDefinition {
  dataType: DataType;
  options?: Array<{ key?: string; label: string; url?: string }>;
  acceptedFormats?: string;
  maxFileLimit?: number;
  allowCustomOption?: boolean;
  unique?: boolean;
}

/** A definition as it arrives, its parts possibly of the wrong type (the body's schema reports those). */
export type LooseDefinition = { [K in keyof FieldDefinition]?: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every problem of a field definition's rules; `at` prefixes each field name in the messages
 * (`''` in API bodies, a JSON path and a dot in fixtures), `index` writes an array index
 * (`.1` in API bodies as class-validator does, `[1]` in JSON paths). Parts of the wrong type are
 * skipped, so these problems can be listed beside those of the body's schema in one answer.
 */
export function definitionProblems(def: LooseDefinition, at: string, index: (i: number) => string = (i) => `.${i}`): string[] {
  const problems: string[] = [];
  if (!(DATA_TYPES as readonly unknown[]).includes(def.dataType)) return problems;
  const dataType = def.dataType as DataType;
  const isOptionType = OPTION_TYPES.has(dataType);
  const options = Array.isArray(def.options) ? def.options.filter(isRecord) : undefined;
  if (isOptionType && def.options === undefined) problems.push(`${at}options must list at least one option for a ${dataType} field`);
  if (isOptionType && options?.length === 0) problems.push(`${at}options must list at least one option for a ${dataType} field`);
  if (!isOptionType && def.options !== undefined) problems.push(`${at}options cannot be set on a ${dataType} field`);
  if ((options?.length ?? 0) > MAX_OPTIONS) problems.push(`${at}options must contain no more than ${MAX_OPTIONS} elements`);
  const seen = new Set<string>();
  for (const [i, opt] of (options ?? []).entries()) {
    if (typeof opt.key === 'string') {
      if (seen.has(opt.key)) problems.push(`${at}options${index(i)}.key "${opt.key}" is listed twice`);
      seen.add(opt.key);
    }
    if (opt.url !== undefined && dataType !== 'RADIO') problems.push(`${at}options${index(i)}.url can only be set on RADIO options`);
  }
  if (dataType !== 'FILE_UPLOAD') {
    if (def.acceptedFormats !== undefined) problems.push(`${at}acceptedFormats can only be set on a FILE_UPLOAD field`);
    if (def.maxFileLimit !== undefined) problems.push(`${at}maxFileLimit can only be set on a FILE_UPLOAD field`);
  } else if (typeof def.maxFileLimit === 'number' && (!Number.isInteger(def.maxFileLimit) || def.maxFileLimit < 1 || def.maxFileLimit > FILE_LIMIT_MAX)) {
    problems.push(`${at}maxFileLimit must be a whole number from 1 to ${FILE_LIMIT_MAX}`);
  }
  if (def.allowCustomOption !== undefined && dataType !== 'RADIO') problems.push(`${at}allowCustomOption can only be set on a RADIO field`);
  if (def.unique === true && !UNIQUE_TYPES.has(dataType)) problems.push(`${at}unique can only be set on a ${[...UNIQUE_TYPES].join(', ')} field`);
  return problems;
}

/** An option key made from its label when none is given (on update, as the spec leaves keys out). */
export function optionKeyFromLabel(label: string): string {
  return label.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'option';
}

export function normaliseOptions(options: FieldDefinition['options']): FieldOption[] {
  return (options ?? []).map((o) => {
    const key = o.key ?? optionKeyFromLabel(o.label);
    return o.url === undefined ? { key, label: o.label } : { key, label: o.label, url: o.url };
  });
}

/** Defaults of what a definition leaves out. */
export function definitionDefaults(def: FieldDefinition): { acceptedFormats: string | null; maxFileLimit: number | null; allowCustomOption: boolean; unique: boolean } {
  return {
    unique: def.unique ?? false,
    acceptedFormats: def.dataType === 'FILE_UPLOAD' ? (def.acceptedFormats ?? 'all') : null,
    maxFileLimit: def.dataType === 'FILE_UPLOAD' ? (def.maxFileLimit ?? FILE_LIMIT_DEFAULT) : null,
    allowCustomOption: def.allowCustomOption ?? false,
  };
}
