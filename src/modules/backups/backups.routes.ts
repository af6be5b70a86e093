import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses } from '../../http/common-schemas.ts';
import {
  backupParams,
  backupResponse,
  restoreBody,
  restoreParams,
  restoreResponse,
} from './backups.schemas.ts';
import type { BackupsService } from './backups.service.ts';

/** `/spaces/:spaceId/backups` for the Space's superadmins, and the deletion of a Space. */
export function registerBackupRoutes(
  api: ApiInstance,
  services: { readonly backups: BackupsService },
): void {
  api.get(
    '/spaces/:spaceId/backups',
    {
      config: { spaceAction: 'backups.read' },
      schema: {
        tags: ['backups'],
        summary: 'The Space’s kept backups, oldest first',
        params: backupParams,
        response: {
          200: z.object({ items: z.array(backupResponse), nextCursor: z.null() }),
          ...errorResponses,
        },
      },
    },
    async (request) => services.backups.list(callerOf(request), request.params.spaceId),
  );

  api.post(
    '/spaces/:spaceId/backups/:backupId/restore',
    {
      config: { spaceAction: 'backups.restore' },
      schema: {
        tags: ['backups'],
        summary:
          'Restore the Space from one of its kept backups, in place or as a new Space owned by the caller, in one transaction',
        params: restoreParams,
        body: restoreBody.optional(),
        response: { 200: restoreResponse, ...errorResponses },
      },
    },
    async (request) => {
      const outcome = await services.backups.restore(
        callerOf(request),
        request.params.spaceId,
        request.params.backupId,
        request.body ?? {},
      );
      return {
        spaceId: outcome.spaceId,
        backupId: outcome.backupId,
        asNew: outcome.asNew,
        rows: outcome.rows,
        erasedAgain: outcome.erasedAgain,
      };
    },
  );

  api.delete(
    '/spaces/:spaceId',
    {
      config: { spaceAction: 'space.delete' },
      schema: {
        tags: ['spaces'],
        summary:
          'Delete the Space: its contacts, history and members, and its data key, which makes every backup of it unreadable',
        params: backupParams,
        response: { 204: z.null().describe('deleted'), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.backups.deleteSpace(callerOf(request), request.params.spaceId);
      return reply.code(204).send(null);
    },
  );
}
