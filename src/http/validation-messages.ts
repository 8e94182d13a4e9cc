import type { FastifySchemaValidationError } from 'fastify';
import { OBJECT_ID_PATTERN, SHORT_ID_PATTERN } from '../ids.js';

/** What a pattern means, in the words NestJS's validators use. */
const PATTERN_MEANINGS: Record<string, string> = {
  [OBJECT_ID_PATTERN]: 'must be a mongodb id',
  [SHORT_ID_PATTERN]: 'must be a 20 character id',
};

function name(e: FastifySchemaValidationError, context: string): string {
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  return path || context;
}

/** One human-readable message per Ajv error, naming the field (`properties.weight must be a number`). */
export function validationMessages(errors: FastifySchemaValidationError[], context: string): string[] {
  const out = errors.map((e) => {
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties':
        return `property ${String(params.additionalProperty)} should not exist`;
      case 'required':
        return `${name(e, context) === context ? '' : `${name(e, context)}.`}${String(params.missingProperty)} should not be empty`;
      case 'pattern':
        return `${name(e, context)} ${PATTERN_MEANINGS[String(params.pattern)] ?? `must match ${String(params.pattern)}`}`;
      case 'type':
        return `${name(e, context)} must be ${/^[aeiou]/.test(String(params.type)) ? 'an' : 'a'} ${String(params.type)}`;
      default:
        return `${name(e, context)} ${e.message ?? 'is invalid'}`;
    }
  });
  return [...new Set(out)];
}
