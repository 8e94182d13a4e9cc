import type { FastifySchemaValidationError } from 'fastify';
import { OBJECT_ID_PATTERN, SHORT_ID_PATTERN } from '../ids.js';

/** What a pattern means, in the words NestJS's validators use. */
const PATTERN_MEANINGS: Record<string, string> = {
  [OBJECT_ID_PATTERN]: 'must be a mongodb id',
  [SHORT_ID_PATTERN]: 'must be a 20 character id',
};

/** `/options/0/key` to `options.0.key`, as class-validator names nested properties. */
function dotted(pointer: string): string {
  return pointer.replace(/^\//, '').replace(/\//g, '.');
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? 'an' : 'a';
}

function messagesOf(e: FastifySchemaValidationError, context: string): string[] {
  const params = e.params as Record<string, unknown>;
  const at = dotted(e.instancePath);
  const name = at || context;
  switch (e.keyword) {
    case 'additionalProperties':
      return [`property ${at ? `${at}.` : ''}${String(params.additionalProperty)} should not exist`];
    case 'required': {
      const missing = `${at ? `${at}.` : ''}${String(params.missingProperty)}`;
      const schema = (e as { parentSchema?: { properties?: Record<string, { type?: unknown }> } }).parentSchema;
      const type = schema?.properties?.[String(params.missingProperty)]?.type;
      return typeof type === 'string' ? [`${missing} must be ${article(type)} ${type}`, `${missing} should not be empty`] : [`${missing} should not be empty`];
    }
    case 'pattern':
      return [`${name} ${PATTERN_MEANINGS[String(params.pattern)] ?? `must match ${String(params.pattern)}`}`];
    case 'type': {
      const type = Array.isArray(params.type) ? params.type.join(' or ') : String(params.type);
      return [`${name} must be ${article(type)} ${type}`];
    }
    case 'enum':
      return [`${name} must be one of the following values: ${(params.allowedValues as unknown[]).join(', ')}`];
    case 'minLength':
      return params.limit === 1 ? [`${name} should not be empty`] : [`${name} must be longer than or equal to ${String(params.limit)} characters`];
    case 'maxLength':
      return [`${name} must be shorter than or equal to ${String(params.limit)} characters`];
    case 'minItems':
      return [`${name} must contain at least ${String(params.limit)} elements`];
    case 'maxItems':
      return [`${name} must contain no more than ${String(params.limit)} elements`];
    case 'minimum':
      return [`${name} must not be less than ${String(params.limit)}`];
    case 'maximum':
      return [`${name} must not be greater than ${String(params.limit)}`];
    default:
      return [`${name} ${e.message ?? 'is invalid'}`];
  }
}

/** One human-readable message per problem, naming the field (`labels.singular should not be empty`). */
export function validationMessages(errors: FastifySchemaValidationError[], context: string): string[] {
  return [...new Set(errors.flatMap((e) => messagesOf(e, context)))];
}
