import { checkValue, MULTI_VALUE_TYPES, resolveProperty, unknownPropertyProblem, type FieldRules, type FileValue, type PropertyValue } from './field-types.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{add, remove}` on a multi-value property: what its stored list becomes. */
function applyModifier(field: FieldRules, path: string, current: PropertyValue | undefined, modifier: Record<string, unknown>): { value?: PropertyValue; problem?: string } {
  const extra = Object.keys(modifier).filter((k) => k !== 'add' && k !== 'remove');
  if (extra.length) return { problem: `${path} takes only add and remove, not ${extra.map((k) => `"${k}"`).join(', ')}` };
  for (const part of ['add', 'remove'] as const) {
    if (modifier[part] !== undefined && !Array.isArray(modifier[part])) return { problem: `${path}.${part} must be an array` };
  }
  const add = (modifier.add as unknown[] | undefined) ?? [];
  const remove = (modifier.remove as unknown[] | undefined) ?? [];
  if (field.dataType === 'FILE_UPLOAD') {
    const added = checkValue({ ...field, maxFileLimit: Number.MAX_SAFE_INTEGER }, `${path}.add`, add);
    if (!added.ok) return { problem: added.problem };
    const removeUrls = new Set<string>();
    for (const [i, item] of remove.entries()) {
      const url = typeof item === 'string' ? item : isPlainObject(item) && typeof item.url === 'string' ? item.url : undefined;
      if (url === undefined) return { problem: `${path}.remove[${i}] must be a file's url, or {"url"}` };
      removeUrls.add(url);
    }
    const kept = ((current as FileValue[] | undefined) ?? []).filter((f) => !removeUrls.has(f.url));
    const next = [...kept, ...(added.value as FileValue[]).filter((f) => !kept.some((k) => k.url === f.url))];
    const checked = checkValue(field, path, next);
    return checked.ok ? { value: checked.value } : { problem: checked.problem };
  }
  const addChecked = checkValue(field, `${path}.add`, add);
  if (!addChecked.ok) return { problem: addChecked.problem };
  const removeChecked = checkValue(field, `${path}.remove`, remove);
  if (!removeChecked.ok) return { problem: removeChecked.problem };
  const removed = new Set(removeChecked.value as string[]);
  const kept = ((current as string[] | undefined) ?? []).filter((k) => !removed.has(k));
  return { value: [...new Set([...kept, ...(addChecked.value as string[])])] };
}

/**
 * Applies a `properties` patch of an update to a record's current properties: only the keys sent
 * change, `null` clears one, and multi-value types also take `{"add": [...], "remove": [...]}`.
 */
export function applyPropertyPatch<F extends FieldRules>(
  fields: ReadonlyMap<string, F>,
  objectKey: string,
  current: Readonly<Record<string, PropertyValue>>,
  patch: unknown,
  path: string,
): { values: Record<string, PropertyValue>; problems: string[] } {
  const values: Record<string, PropertyValue> = { ...current };
  const problems: string[] = [];
  if (!isPlainObject(patch)) return { values, problems: [`${path} must be an object`] };
  for (const [key, value] of Object.entries(patch)) {
    const field = resolveProperty(fields, key);
    const at = `${path}.${key}`;
    if (!field) {
      problems.push(unknownPropertyProblem(fields, objectKey, key, path));
      continue;
    }
    if (value === null) {
      delete values[key];
      continue;
    }
    if (MULTI_VALUE_TYPES.has(field.dataType) && isPlainObject(value)) {
      const { value: next, problem } = applyModifier(field, at, current[key], value);
      if (problem !== undefined) problems.push(problem);
      else if (next !== undefined) values[key] = next;
      continue;
    }
    const checked = checkValue(field, at, value);
    if (checked.ok) values[key] = checked.value;
    else problems.push(checked.problem);
  }
  return { values, problems };
}
