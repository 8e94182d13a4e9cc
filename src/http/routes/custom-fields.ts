import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/container.js';
import { checkBodyLocation } from '../auth.js';
import { refuseInvalidBody } from '../combined-validation.js';
import { fieldDto, folderDto } from '../dto.js';
import { ObjectIdParams, RequiredLocationQuery, ShortIdParams } from '../schemas/common.js';
import {
  CreateFieldBody,
  CreateFolderBody,
  DeleteResponse,
  FieldListResponse,
  FieldResponse,
  ObjectKeyPathParams,
  UpdateFieldBody,
  UpdateFolderBody,
} from '../schemas/custom-fields.js';
import { FolderDto } from '../schemas/objects.js';

const READ = { scope: 'locations/customFields.readonly' } as const;
const WRITE = { scope: 'locations/customFields.write' } as const;

/** Custom fields of custom objects and business, and their folders: `/custom-fields/`. */
export function customFieldRoutes(app: FastifyInstance, { fields }: Services): void {
  app.post<{ Body: CreateFieldBody }>(
    '/custom-fields/',
    { schema: { body: CreateFieldBody, response: { 201: FieldResponse } }, config: WRITE, preValidation: checkBodyLocation, attachValidation: true },
    async (request, reply) => {
      await refuseInvalidBody(request, (body) => fields.createProblems(request.principal, body));
      const { field, object } = await fields.create(request.principal, request.body);
      return reply.code(201).send({ field: fieldDto(field, object) });
    },
  );

  app.get<{ Params: Static<typeof ShortIdParams> }>(
    '/custom-fields/:id',
    { schema: { params: ShortIdParams, response: { 200: FieldResponse } }, config: READ },
    async (request) => {
      const { field, object } = await fields.get(request.principal, request.params.id);
      return { field: fieldDto(field, object) };
    },
  );

  app.put<{ Params: Static<typeof ShortIdParams>; Body: UpdateFieldBody }>(
    '/custom-fields/:id',
    { schema: { params: ShortIdParams, body: UpdateFieldBody, response: { 200: FieldResponse } }, config: WRITE, preValidation: checkBodyLocation },
    async (request) => {
      const { field, object } = await fields.update(request.principal, request.params.id, request.body);
      return { field: fieldDto(field, object) };
    },
  );

  app.delete<{ Params: Static<typeof ShortIdParams> }>(
    '/custom-fields/:id',
    { schema: { params: ShortIdParams, response: { 200: DeleteResponse } }, config: WRITE },
    async (request) => {
      const field = await fields.delete(request.principal, request.params.id);
      return { succeded: true, id: field.id, key: field.fieldKey };
    },
  );

  app.get<{ Params: Static<typeof ObjectKeyPathParams>; Querystring: Static<typeof RequiredLocationQuery> }>(
    '/custom-fields/object-key/:objectKey',
    { schema: { params: ObjectKeyPathParams, querystring: RequiredLocationQuery, response: { 200: FieldListResponse } }, config: READ },
    async (request) => {
      const { object, fields: list, folders } = await fields.listForObject(request.principal, request.params.objectKey);
      return { fields: list.map((f) => fieldDto(f, object)), folders: folders.map((f) => folderDto(f, object)) };
    },
  );

  app.post<{ Body: CreateFolderBody }>(
    '/custom-fields/folder',
    { schema: { body: CreateFolderBody, response: { 201: FolderDto } }, config: WRITE, preValidation: checkBodyLocation },
    async (request, reply) => {
      const { folder, object } = await fields.createFolder(request.principal, request.body.objectKey, request.body.name);
      return reply.code(201).send(folderDto(folder, object));
    },
  );

  app.put<{ Params: Static<typeof ObjectIdParams>; Body: UpdateFolderBody }>(
    '/custom-fields/folder/:id',
    { schema: { params: ObjectIdParams, body: UpdateFolderBody, response: { 200: FolderDto } }, config: WRITE, preValidation: checkBodyLocation },
    async (request) => {
      const { folder, object } = await fields.renameFolder(request.principal, request.params.id, request.body.name);
      return folderDto(folder, object);
    },
  );

  app.delete<{ Params: Static<typeof ObjectIdParams>; Querystring: Static<typeof RequiredLocationQuery> }>(
    '/custom-fields/folder/:id',
    { schema: { params: ObjectIdParams, querystring: RequiredLocationQuery, response: { 200: DeleteResponse } }, config: WRITE },
    async (request) => {
      const { folder, object } = await fields.deleteFolder(request.principal, request.params.id);
      return { succeded: true, id: folder.id, key: object.key };
    },
  );
}
