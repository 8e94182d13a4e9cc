import { FILE_LIMIT_DEFAULT, FILE_LIMIT_MAX, OPTION_TYPES, type DataType, type FieldOption } from './field-types.js';

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

/**
 * Every problem of a field definition; `at` prefixes each field name in the messages
 * (`''` in API bodies, a JSON path and a dot in fixtures).
 */
export function definitionProblems(def: FieldDefinition, at: string): string[] {
  const problems: string[] = [];
  const isOptionType = OPTION_TYPES.has(def.dataType);
  if (isOptionType && !def.options?.length) problems.push(`${at}options must list at least one option for a ${def.dataType} field`);
  if (!isOptionType && def.options !== undefined) problems.push(`${at}options cannot be set on a ${def.dataType} field`);
  if ((def.options?.length ?? 0) > MAX_OPTIONS) problems.push(`${at}options must contain no more than ${MAX_OPTIONS} elements`);
  const seen = new Set<string>();
  for (const [i, opt] of (def.options ?? []).entries()) {
    if (opt.key !== undefined) {
      if (seen.has(opt.key)) problems.push(`${at}options.${i}.key "${opt.key}" is listed twice`);
      seen.add(opt.key);
    }
    if (opt.url !== undefined && def.dataType !== 'RADIO') problems.push(`${at}options.${i}.url can only be set on RADIO options`);
  }
  if (def.dataType !== 'FILE_UPLOAD') {
    if (def.acceptedFormats !== undefined) problems.push(`${at}acceptedFormats can only be set on a FILE_UPLOAD field`);
    if (def.maxFileLimit !== undefined) problems.push(`${at}maxFileLimit can only be set on a FILE_UPLOAD field`);
  } else if (def.maxFileLimit !== undefined && (!Number.isInteger(def.maxFileLimit) || def.maxFileLimit < 1 || def.maxFileLimit > FILE_LIMIT_MAX)) {
    problems.push(`${at}maxFileLimit must be a whole number from 1 to ${FILE_LIMIT_MAX}`);
  }
  if (def.allowCustomOption !== undefined && def.dataType !== 'RADIO') problems.push(`${at}allowCustomOption can only be set on a RADIO field`);
  if (def.unique && !UNIQUE_TYPES.has(def.dataType)) problems.push(`${at}unique can only be set on a ${[...UNIQUE_TYPES].join(', ')} field`);
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
