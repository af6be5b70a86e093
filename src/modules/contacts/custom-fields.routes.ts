import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses } from '../../http/common-schemas.ts';
import { spaceParams } from './contacts.schemas.ts';
import {
  customFieldCreateBody,
  customFieldParams,
  customFieldSchema,
  customFieldUpdateBody,
} from './custom-fields.schemas.ts';
import type { CustomFieldsService } from './custom-fields.service.ts';

const tags = ['custom fields'];

/** `/spaces/:spaceId/custom-fields`: the typed fields a Space adds to its contacts. */
export function registerCustomFieldRoutes(
  api: ApiInstance,
  services: { readonly customFields: CustomFieldsService },
): void {
  api.get(
    '/spaces/:spaceId/custom-fields',
    {
      config: { spaceAction: 'contacts.read' },
      schema: {
        tags,
        summary: 'The Space’s custom fields, by key',
        params: spaceParams,
        response: { 200: z.object({ items: z.array(customFieldSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: await services.customFields.list(callerOf(request), request.params.spaceId),
    }),
  );

  api.post(
    '/spaces/:spaceId/custom-fields',
    {
      config: { spaceAction: 'members.manage' },
      schema: {
        tags,
        summary: 'Define a custom field (admins and superadmins)',
        params: spaceParams,
        body: customFieldCreateBody,
        response: { 201: customFieldSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const field = await services.customFields.create(
        callerOf(request),
        request.params.spaceId,
        request.body,
      );
      return reply.code(201).send(field);
    },
  );

  api.patch(
    '/spaces/:spaceId/custom-fields/:key',
    {
      config: { spaceAction: 'members.manage' },
      schema: {
        tags,
        summary: 'Change a custom field’s label or choices (admins and superadmins)',
        params: customFieldParams,
        body: customFieldUpdateBody,
        response: { 200: customFieldSchema, ...errorResponses },
      },
    },
    async (request) =>
      services.customFields.update(
        callerOf(request),
        request.params.spaceId,
        request.params.key,
        request.body,
      ),
  );

  api.delete(
    '/spaces/:spaceId/custom-fields/:key',
    {
      config: { spaceAction: 'members.manage' },
      schema: {
        tags,
        summary: 'Delete a custom field (its values are no longer shown; the key is not reused)',
        params: customFieldParams,
        response: { 204: z.null().describe('deleted'), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.customFields.delete(
        callerOf(request),
        request.params.spaceId,
        request.params.key,
      );
      return reply.code(204).send(null);
    },
  );
}
