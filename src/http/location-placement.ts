import type { FastifyRequest } from 'fastify';
import { ApiError, errors } from '../errors.js';

/**
 * Where `locationId` may appear differs per records endpoint (body on create, query on update,
 * nowhere on delete); each misplacement is answered as the real service answers it. These run
 * before body validation, as the real service's guards run before its DTO pipes.
 */

const notAllowed = () => errors.validation(['property locationId should not exist']);

function has(container: unknown): boolean {
  return typeof container === 'object' && container !== null && 'locationId' in container;
}

/** Create: in the body, never in the query. */
export async function locationInBody(request: FastifyRequest): Promise<void> {
  if (has(request.query)) throw notAllowed();
  const body = request.body as Record<string, unknown> | undefined;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && body.locationId === undefined) {
    throw new ApiError(400, 'LocationId is not specified');
  }
}

/** Update: in the query (a body that also has it fails its DTO: property locationId should not exist). */
export async function locationInQuery(request: FastifyRequest): Promise<void> {
  if (!has(request.query)) throw errors.validation(['locationId must be a string', 'locationId should not be empty']);
}

/** Delete: nowhere. */
export async function locationNowhere(request: FastifyRequest): Promise<void> {
  if (has(request.query) || has(request.body)) throw notAllowed();
}
