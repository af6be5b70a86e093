import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses } from '../../http/common-schemas.ts';
import { contentDisposition } from './download-name.ts';
import {
  exportCreateBody,
  exportCreatedResponse,
  exportParams,
  exportResponse,
  exportSpaceParams,
} from './exports.schemas.ts';
import type { ExportsService } from './exports.service.ts';

/** `/spaces/:spaceId/exports…`: the whole Space as a file, for superadmins and admins. */
export function registerExportRoutes(
  api: ApiInstance,
  services: { readonly exports: ExportsService },
): void {
  api.post(
    '/spaces/:spaceId/exports',
    {
      config: { spaceAction: 'space.export' },
      schema: {
        tags: ['exports'],
        summary: 'Start an export of the whole Space; poll its status, then download it',
        params: exportSpaceParams,
        body: exportCreateBody,
        response: { 202: exportCreatedResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await services.exports.create(
        callerOf(request),
        request.params.spaceId,
        request.body,
      );
      return reply.code(202).send({ id: created.id, status: created.status });
    },
  );

  api.get(
    '/spaces/:spaceId/exports/:exportId',
    {
      config: { spaceAction: 'space.export' },
      schema: {
        tags: ['exports'],
        summary: 'An export’s status, progress, row counts, size and SHA-256',
        params: exportParams,
        response: { 200: exportResponse, ...errorResponses },
      },
    },
    async (request) =>
      services.exports.get(callerOf(request), request.params.spaceId, request.params.exportId),
  );

  api.get(
    '/spaces/:spaceId/exports/:exportId/download',
    {
      config: { spaceAction: 'space.export' },
      schema: {
        tags: ['exports'],
        summary: 'The completed export’s file, streamed',
        params: exportParams,
        response: {
          200: z.unknown().describe('the file (zip, xlsx, json or ndjson), as an attachment'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const file = await services.exports.download(
        callerOf(request),
        request.params.spaceId,
        request.params.exportId,
      );
      return reply
        .header('content-type', file.contentType)
        .header('content-length', String(file.sizeBytes))
        .header('content-disposition', contentDisposition(file.fileName))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .send(file.stream);
    },
  );
}
