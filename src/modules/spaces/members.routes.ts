import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, listOf, pageQuery } from '../../http/common-schemas.ts';
import type { Services } from '../../services.ts';
import { addMemberBody, changeRoleBody, memberParams, memberResponse } from './members.schemas.ts';
import { spaceParams } from './spaces.schemas.ts';

/** `/spaces/:spaceId/members`: who is in a Space and with which role. */
export function registerMemberRoutes(api: ApiInstance, services: Services): void {
  api.get(
    '/spaces/:spaceId/members',
    {
      config: { spaceAction: 'members.read' },
      schema: {
        tags: ['members'],
        summary: 'The Space’s members and their roles, oldest first',
        params: spaceParams,
        querystring: pageQuery,
        response: { 200: listOf(memberResponse), ...errorResponses },
      },
    },
    async (request) =>
      services.members.list(callerOf(request), request.params.spaceId, request.query),
  );

  api.post(
    '/spaces/:spaceId/members',
    {
      config: { spaceAction: 'members.manage' },
      schema: {
        tags: ['members'],
        summary: 'Add an existing account to the Space with a role (admins cannot add superadmins)',
        params: spaceParams,
        body: addMemberBody,
        response: { 201: memberResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const member = await services.members.add(
        callerOf(request),
        request.params.spaceId,
        request.body,
      );
      return reply.code(201).send(member);
    },
  );

  api.patch(
    '/spaces/:spaceId/members/:userId',
    {
      config: { spaceAction: 'members.manage' },
      schema: {
        tags: ['members'],
        summary: 'Change a member’s role (the last superadmin keeps theirs)',
        params: memberParams,
        body: changeRoleBody,
        response: { 200: memberResponse, ...errorResponses },
      },
    },
    async (request) =>
      services.members.changeRole(
        callerOf(request),
        request.params.spaceId,
        request.params.userId,
        request.body.role,
      ),
  );

  api.delete(
    '/spaces/:spaceId/members/:userId',
    {
      config: { spaceAction: 'members.manage' },
      schema: {
        tags: ['members'],
        summary: 'Remove a member from the Space (the last superadmin stays)',
        params: memberParams,
        response: { 204: z.null().describe('removed'), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.members.remove(
        callerOf(request),
        request.params.spaceId,
        request.params.userId,
      );
      return reply.code(204).send(null);
    },
  );
}
