import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses } from '../../http/common-schemas.ts';
import { spaceParams } from './contacts.schemas.ts';
import { spaceSettingsPatch, spaceSettingsSchema } from './space-settings.schemas.ts';
import type { SpaceSettingsService } from './space-settings.service.ts';

const tags = ['settings'];

/** `/spaces/:spaceId/settings`: the Space's settings (admins and superadmins). */
export function registerSpaceSettingsRoutes(
  api: ApiInstance,
  services: { readonly spaceSettings: SpaceSettingsService },
): void {
  api.get(
    '/spaces/:spaceId/settings',
    {
      config: { spaceAction: 'members.read' },
      schema: {
        tags,
        summary: 'The Space’s settings',
        params: spaceParams,
        response: { 200: spaceSettingsSchema, ...errorResponses },
      },
    },
    async (request) => services.spaceSettings.get(callerOf(request), request.params.spaceId),
  );

  api.patch(
    '/spaces/:spaceId/settings',
    {
      config: { spaceAction: 'members.manage' },
      schema: {
        tags,
        summary: 'Change any subset of the Space’s settings',
        params: spaceParams,
        body: spaceSettingsPatch,
        response: { 200: spaceSettingsSchema, ...errorResponses },
      },
    },
    async (request) =>
      services.spaceSettings.update(callerOf(request), request.params.spaceId, request.body),
  );
}
