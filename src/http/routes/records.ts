import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/container.js';
import type { Scope } from '../../services/scopes.js';
import { checkBodyLocation } from '../auth.js';
import { handedOver } from '../handed-over.js';
import { locationInBody, locationInQuery, locationNowhere } from '../location-placement.js';
import { LocationQuery } from '../schemas/common.js';
import { CreateRecordBody, ObjectRecordsParams, RecordDeleteResponse, RecordParams, UpdateRecordBody } from '../schemas/records.js';
import { SearchBodySchema, type SearchBody } from '../schemas/search.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** The scope Get Record By Id needs (also read by fast-record-read.ts). */
export const GET_RECORD_SCOPE: Scope = 'objects/record.readonly';

/**
 * Records of custom objects and `business`. Optimization: record answers have no response
 * schema; their JSON is built from stored JSON text and sent as it is (the tests check it against
 * the spec's DTOs).
 */
export function recordRoutes(app: FastifyInstance, { records }: Services): void {
  app.get<{ Params: RecordParams; Querystring: Static<typeof LocationQuery> }>(
    '/objects/:schemaKey/records/:id',
    { schema: { params: RecordParams, querystring: LocationQuery }, config: { scope: GET_RECORD_SCOPE } },
    async (request, reply) => {
      // The fast path read it already, and failed: the same failure, answered here.
      const failed = handedOver(request.raw)?.failure;
      if (failed) throw failed.error;
      const body = await records.getRecordJson(request.principal, request.params.schemaKey, request.params.id);
      return reply.type(JSON_TYPE).send(body);
    },
  );

  app.post<{ Params: ObjectRecordsParams; Body: CreateRecordBody }>(
    '/objects/:schemaKey/records',
    {
      schema: { params: ObjectRecordsParams, body: CreateRecordBody },
      config: { scope: 'objects/record.write' },
      preValidation: [locationInBody, checkBodyLocation],
    },
    async (request, reply) => {
      const body = await records.create(request.principal, request.params.schemaKey, request.body);
      return reply.code(201).type(JSON_TYPE).send(body);
    },
  );

  // 201, as the real service answers a search (the spec says 200).
  app.post<{ Params: ObjectRecordsParams; Body: SearchBody }>(
    '/objects/:schemaKey/records/search',
    {
      schema: { params: ObjectRecordsParams, body: SearchBodySchema },
      config: { scope: 'objects/record.readonly' },
      preValidation: checkBodyLocation,
    },
    async (request, reply) => {
      const body = await records.searchJson(request.principal, request.params.schemaKey, request.body);
      return reply.code(201).type(JSON_TYPE).send(body);
    },
  );

  app.put<{ Params: RecordParams; Body: UpdateRecordBody }>(
    '/objects/:schemaKey/records/:id',
    {
      schema: { params: RecordParams, body: UpdateRecordBody },
      config: { scope: 'objects/record.write' },
      preValidation: locationInQuery,
    },
    async (request, reply) => {
      const body = await records.update(request.principal, request.params.schemaKey, request.params.id, request.body);
      return reply.type(JSON_TYPE).send(body);
    },
  );

  app.delete<{ Params: RecordParams }>(
    '/objects/:schemaKey/records/:id',
    {
      schema: { params: RecordParams, response: { 200: RecordDeleteResponse } },
      config: { scope: 'objects/record.write' },
      preValidation: locationNowhere,
    },
    async (request) => {
      await records.delete(request.principal, request.params.schemaKey, request.params.id);
      return { id: request.params.id, success: true };
    },
  );
}
