import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, listOf, pageQuery, uuid } from '../../http/common-schemas.ts';
import type { DirectoryService } from './directory.service.ts';
import { newStaffInput, staffPatch, staffResponse } from './hr.schemas.ts';

const staffParams = z.object({ staffId: uuid.describe('the staff member’s id') }).strict();

/** `/hr/staff…`: the staff directory, for hr staff only. */
export function registerDirectoryRoutes(
  api: ApiInstance,
  services: { readonly directory: DirectoryService },
): void {
  api.get(
    '/hr/staff',
    {
      schema: {
        tags: ['hr'],
        summary: 'The staff directory by name (hr staff)',
        querystring: pageQuery,
        response: { 200: listOf(staffResponse), ...errorResponses },
      },
    },
    async (request) => services.directory.list(callerOf(request), request.query),
  );
  api.post(
    '/hr/staff',
    {
      schema: {
        tags: ['hr'],
        summary: 'Add a directory entry, without an account (hr staff)',
        body: newStaffInput,
        response: { 201: staffResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await services.directory.create(callerOf(request), request.body)),
  );
  api.get(
    '/hr/staff/:staffId',
    {
      schema: {
        tags: ['hr'],
        summary: 'One directory entry (hr staff)',
        params: staffParams,
        response: { 200: staffResponse, ...errorResponses },
      },
    },
    async (request) => services.directory.get(callerOf(request), request.params.staffId),
  );
  api.patch(
    '/hr/staff/:staffId',
    {
      schema: {
        tags: ['hr'],
        summary:
          'Change department, contract type or end date (hr staff); an ended contract ends the account’s sessions',
        params: staffParams,
        body: staffPatch,
        response: { 200: staffResponse, ...errorResponses },
      },
    },
    async (request) =>
      services.directory.update(callerOf(request), request.params.staffId, request.body),
  );
}
