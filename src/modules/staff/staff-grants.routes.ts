import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, listOf, pageQuery, uuid } from '../../http/common-schemas.ts';
import {
  accessLogEntryResponse,
  endGrantBody,
  grantDetailResponse,
  grantResponse,
  openGrantBody,
} from './staff-grants.schemas.ts';
import type { StaffGrantsService } from './staff-grants.service.ts';

const spaceParams = z.object({ spaceId: uuid.describe('the Space’s id') }).strict();
const grantParams = z
  .object({
    spaceId: uuid.describe('the Space’s id'),
    grantId: uuid.describe('the grant’s id'),
  })
  .strict();

/** `POST /staff/access` for staff; the access log and grant decisions for the Space's superadmins. */
export function registerStaffGrantRoutes(
  api: ApiInstance,
  services: { readonly staffGrants: StaffGrantsService },
): void {
  // Uses of grants recorded just before the server closes reach the history first.
  api.addHook('onClose', () => services.staffGrants.settle());

  api.post(
    '/staff/access',
    {
      schema: {
        tags: ['staff'],
        summary:
          'Open a time-boxed grant to a Space (its account manager, or the cto), with a reason the customer reads',
        body: openGrantBody,
        response: { 201: grantResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const grant = await services.staffGrants.open(callerOf(request), request.body);
      return reply.code(201).send(grant);
    },
  );

  api.post(
    '/staff/access/:grantId/end',
    {
      schema: {
        tags: ['staff'],
        summary: 'Close your own grant before its time box runs out (the customer sees when)',
        params: z.object({ grantId: uuid.describe('the grant’s id') }).strict(),
        body: endGrantBody,
        response: { 200: grantResponse, ...errorResponses },
      },
    },
    async (request) =>
      services.staffGrants.endOwn(callerOf(request), request.params.grantId, request.body),
  );

  api.post(
    '/spaces/:spaceId/staff-grants/:grantId/end',
    {
      config: { spaceAction: 'staffAccess.approve' },
      schema: {
        tags: ['staff'],
        summary: 'Revoke a pending or live staff grant: it gives nothing from now on',
        params: grantParams,
        response: { 200: grantResponse, ...errorResponses },
      },
    },
    async (request) =>
      services.staffGrants.revoke(
        callerOf(request),
        request.params.spaceId,
        request.params.grantId,
      ),
  );

  api.get(
    '/spaces/:spaceId/access-log',
    {
      config: { spaceAction: 'accessLog.read' },
      schema: {
        tags: ['staff'],
        summary: 'Every staff access to the Space, newest first: who, role, reason, what was read',
        params: spaceParams,
        querystring: pageQuery,
        response: { 200: listOf(accessLogEntryResponse), ...errorResponses },
      },
    },
    async (request) =>
      services.staffGrants.accessLog(callerOf(request), request.params.spaceId, request.query),
  );

  api.get(
    '/spaces/:spaceId/staff-grants',
    {
      config: { spaceAction: 'accessLog.read' },
      schema: {
        tags: ['staff'],
        summary: 'The Space’s staff grants, newest first, pending ones included',
        params: spaceParams,
        querystring: pageQuery,
        response: { 200: listOf(grantDetailResponse), ...errorResponses },
      },
    },
    async (request) =>
      services.staffGrants.list(callerOf(request), request.params.spaceId, request.query),
  );

  for (const decision of ['approve', 'deny'] as const) {
    api.post(
      `/spaces/:spaceId/staff-grants/:grantId/${decision}`,
      {
        config: { spaceAction: 'staffAccess.approve' },
        schema: {
          tags: ['staff'],
          summary:
            decision === 'approve'
              ? 'Approve a pending staff grant: its time box starts now'
              : 'Refuse a pending staff grant',
          params: grantParams,
          response: { 200: grantResponse, ...errorResponses },
        },
      },
      async (request) =>
        services.staffGrants.decide(
          callerOf(request),
          request.params.spaceId,
          request.params.grantId,
          decision,
        ),
    );
  }
}
