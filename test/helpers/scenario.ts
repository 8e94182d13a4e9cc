import assert from 'node:assert/strict';

/** A scenario value given as is or computed when the scenario runs (ids known only after setup). */
export const resolve = <T>(v: T | (() => T)): T => (typeof v === 'function' ? (v as () => T)() : v);

/**
 * A body for deep comparison: a field's `unique` flag is checked to be a boolean, then set aside
 * (these tables test the schema rules; unique fields have their own tests).
 */
export function comparable(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(comparable);
  if (body && typeof body === 'object') {
    const out: Record<string, unknown> = {};
    const isField = 'fieldKey' in body && 'dataType' in body;
    for (const [k, v] of Object.entries(body)) {
      if (isField && k === 'unique') {
        assert.equal(typeof v, 'boolean', 'unique, when given, is a boolean');
        continue;
      }
      out[k] = comparable(v);
    }
    return out;
  }
  return body;
}
