import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/container.js';
import { createObjectProblems } from '../../services/objects.js';
import { refuseInvalidBody } from '../combined-validation.js';
import { checkBodyLocation } from '../auth.js';
import { fieldDto, objectDto } from '../dto.js';
import { ObjectIdParams, RequiredLocationQuery } from '../schemas/common.js';
import {
  CreateObjectBody,
  GetObjectQuery,
  ObjectByIdResponse,
  ObjectDeleteResponse,
  ObjectKeyParams,
  ObjectListResponse,
  ObjectResponse,
  UpdateObjectBody,
} from '../schemas/objects.js';

/** Object schemas: `/objects/`. */
export function objectRoutes(app: FastifyInstance, { objects }: Services): void {
  app.get<{ Querystring: Static<typeof RequiredLocationQuery> }>(
    '/objects/',
    { schema: { querystring: RequiredLocationQuery, response: { 200: ObjectListResponse } }, config: { scope: 'objects/schema.readonly' } },
    async (request) => ({ objects: (await objects.list(request.principal)).map(objectDto) }),
  );

  app.get<{ Params: Static<typeof ObjectKeyParams>; Querystring: Static<typeof GetObjectQuery> }>(
    '/objects/:key',
    { schema: { params: ObjectKeyParams, querystring: GetObjectQuery, response: { 200: ObjectByIdResponse } }, config: { scope: 'objects/schema.readonly' } },
    async (request) => {
      const object = await objects.get(request.principal, request.params.key);
      const withFields = request.query.fetchProperties === 'true';
      return { object: objectDto(object), cache: false, ...(withFields ? { fields: object.fields.map((f) => fieldDto(f, object)) } : {}) };
    },
  );

  app.post<{ Body: CreateObjectBody }>(
    '/objects/',
    {
      schema: { body: CreateObjectBody, response: { 201: ObjectResponse } },
      config: { scope: 'objects/schema.write' },
      preValidation: checkBodyLocation,
      attachValidation: true,
    },
    async (request, reply) => {
      await refuseInvalidBody(request, createObjectProblems);
      return reply.code(201).send({ object: objectDto(await objects.create(request.principal, request.body)) });
    },
  );

  app.put<{ Params: Static<typeof ObjectKeyParams>; Body: UpdateObjectBody }>(
    '/objects/:key',
    {
      schema: { params: ObjectKeyParams, body: UpdateObjectBody, response: { 200: ObjectResponse } },
      config: { scope: 'objects/schema.write' },
      preValidation: checkBodyLocation,
    },
    async (request) => ({ object: objectDto(await objects.update(request.principal, request.params.key, request.body)) }),
  );

  app.delete<{ Params: Static<typeof ObjectIdParams>; Querystring: Static<typeof RequiredLocationQuery> }>(
    '/objects/:id',
    { schema: { params: ObjectIdParams, querystring: RequiredLocationQuery, response: { 200: ObjectDeleteResponse } }, config: { scope: 'objects/schema.write' } },
    async (request) => {
      const deletedFields = await objects.delete(request.principal, request.params.id);
      return { id: request.params.id, success: true, meta: { deletedFields, deletedAssociationIds: [] } };
    },
  );
}
