import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses } from '../../http/common-schemas.ts';
import { backupParams, backupResponse } from './backups.schemas.ts';
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
