import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, listOf } from '../../http/common-schemas.ts';
import {
  checkpointResponse,
  checkpointsResponse,
  historyEntryResponse,
  historyListQuery,
  historyParams,
  verifyResponse,
} from './history.schemas.ts';
import type { HistoryService } from './history.service.ts';

/** `/spaces/:spaceId/history…`: the Space's complete history, for its superadmins only. */
export function registerHistoryRoutes(
  api: ApiInstance,
  services: { readonly history: HistoryService },
): void {
  api.get(
    '/spaces/:spaceId/history',
    {
      config: { spaceAction: 'history.read' },
      schema: {
        tags: ['history'],
        summary: 'The Space’s history, newest first, filtered by contact, actor, action and time',
        params: historyParams,
        querystring: historyListQuery,
        response: { 200: listOf(historyEntryResponse), ...errorResponses },
      },
    },
    async (request) =>
      services.history.list(callerOf(request), request.params.spaceId, request.query),
  );

  api.get(
    '/spaces/:spaceId/history/verify',
    {
      config: { spaceAction: 'history.verify' },
      schema: {
        tags: ['history'],
        summary:
          'Recompute the hash chain against the signed checkpoints; name the first entry that does not match',
        params: historyParams,
        response: { 200: verifyResponse, ...errorResponses },
      },
    },
    async (request) => services.history.verify(callerOf(request), request.params.spaceId),
  );

  api.get(
    '/spaces/:spaceId/history/checkpoints',
    {
      config: { spaceAction: 'history.checkpoints' },
      schema: {
        tags: ['history'],
        summary: 'Every signed checkpoint of the chain, with the public key to check them offline',
        params: historyParams,
        response: { 200: checkpointsResponse, ...errorResponses },
      },
    },
    async (request) => services.history.checkpoints(callerOf(request), request.params.spaceId),
  );

  api.post(
    '/spaces/:spaceId/history/checkpoints',
    {
      config: { spaceAction: 'history.checkpoints' },
      schema: {
        tags: ['history'],
        summary:
          'Sign the chain head now: 201 with the new checkpoint, 200 with the last one when nothing was added since',
        params: historyParams,
        response: { 200: checkpointResponse, 201: checkpointResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { checkpoint, created } = await services.history.signNow(
        callerOf(request),
        request.params.spaceId,
      );
      return reply.code(created ? 201 : 200).send(checkpoint);
    },
  );
}
