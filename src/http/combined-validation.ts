import type { FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { errors } from '../errors.js';
import { validationMessages } from './validation-messages.js';

/**
 * For routes declared with `attachValidation`: a body that fails its schema is answered with the
 * schema's problems and the rule problems of its well-typed parts together, so one 422 names
 * every problem. Problems of params or query answer as usual.
 */
export async function refuseInvalidBody(
  request: FastifyRequest,
  ruleProblems: (body: Record<string, unknown>) => string[] | Promise<string[]>,
): Promise<void> {
  const err = request.validationError;
  if (!err) return;
  if ((err as { validationContext?: string }).validationContext !== 'body') throw err;
  const body = request.body;
  const validation = err.validation as FastifySchemaValidationError[];
  let rules: string[] = [];
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    // A property the schema already faulted gets no second message from the rules (every rule
    // message starts with the property it is about).
    const faulted = new Set(validation.map((e) => e.instancePath.split('/')[1] ?? '').filter((name) => name !== ''));
    rules = (await ruleProblems(body as Record<string, unknown>)).filter((m) => !faulted.has(m.split(/[ .]/, 1)[0]!));
  }
  throw errors.validation([...new Set([...validationMessages(validation, 'body'), ...rules])]);
}
