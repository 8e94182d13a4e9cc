import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/container.js';
import { LocationQuery } from '../schemas/common.js';
import { RecordParams } from '../schemas/records.js';

/** Records of custom objects and `business`. */
export function recordRoutes(app: FastifyInstance, services: Services): void {
  app.get<{ Params: RecordParams; Querystring: Static<typeof LocationQuery> }>(
    '/objects/:schemaKey/records/:id',
    {
      schema: { params: RecordParams, querystring: LocationQuery },
      config: { scope: 'objects/record.readonly' },
    },
    async (request, reply) => {
      // Optimization: no response schema here; the body is built from stored JSON text and sent as
      // it is (its shape is checked against RecordByIdResponseDTO in the tests).
      const body = await services.records.getRecordJson(request.principal, request.params.schemaKey, request.params.id);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
