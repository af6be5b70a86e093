import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, listOf, pageQuery } from '../../http/common-schemas.ts';
import { presenterOutputSerializer } from '../../http/trusted-serializer.ts';
import type { Services } from '../../services.ts';
import {
  createSpaceBody,
  spaceOfMemberResponse,
  spaceParams,
  spaceResponse,
} from './spaces.schemas.ts';

/** `/spaces`: create a Space (the caller becomes superadmin), list and read the caller's Spaces. */
export function registerSpaceRoutes(api: ApiInstance, services: Services): void {
  api.post(
    '/spaces',
    {
      schema: {
        tags: ['spaces'],
        summary: 'Create a Space in the region its country maps to; the caller becomes superadmin',
        body: createSpaceBody,
        response: { 201: spaceResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const space = await services.spaces.create(callerOf(request), request.body);
      return reply.code(201).send(space);
    },
  );

  api.get(
    '/spaces',
    {
      schema: {
        tags: ['spaces'],
        summary: 'The caller’s Spaces with their role, oldest first',
        querystring: pageQuery,
        response: { 200: listOf(spaceOfMemberResponse), ...errorResponses },
      },
      // The hottest authenticated read: served from memory, so the zod pass showed in its profile.
      serializerCompiler: presenterOutputSerializer,
    },
    async (request) => services.spaces.listForCaller(callerOf(request), request.query),
  );

  api.get(
    '/spaces/:spaceId',
    {
      config: { spaceAction: 'space.read' },
      schema: {
        tags: ['spaces'],
        summary: 'One of the caller’s Spaces with their role',
        params: spaceParams,
        response: { 200: spaceOfMemberResponse, ...errorResponses },
      },
    },
    async (request) => services.spaces.get(callerOf(request), request.params.spaceId),
  );
}
