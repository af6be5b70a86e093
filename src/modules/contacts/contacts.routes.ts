import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, listOf } from '../../http/common-schemas.ts';
import {
  contactGetQuery,
  contactInput,
  contactListQuery,
  contactParams,
  contactSchema,
  revertBody,
  spaceParams,
} from './contacts.schemas.ts';
import type { ContactsService } from './contacts.service.ts';

const tags = ['contacts'];

/** `/spaces/:spaceId/contacts`: contacts, their search, deletion, restore and revert. */
export function registerContactRoutes(
  api: ApiInstance,
  services: { readonly contacts: ContactsService },
): void {
  api.post(
    '/spaces/:spaceId/contacts',
    {
      config: { spaceAction: 'contacts.create' },
      schema: {
        tags,
        summary: 'Create a contact (the caller becomes its creator)',
        params: spaceParams,
        body: contactInput,
        response: { 201: contactSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const contact = await services.contacts.create(
        callerOf(request),
        request.params.spaceId,
        request.body,
      );
      return reply.code(201).send(contact);
    },
  );

  api.get(
    '/spaces/:spaceId/contacts',
    {
      config: { spaceAction: 'contacts.read' },
      schema: {
        tags,
        summary:
          'Search and list contacts by last name, first name (prefix search on name, email, phone; tag)',
        params: spaceParams,
        querystring: contactListQuery,
        response: { 200: listOf(contactSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { deleted, ...query } = request.query;
      return services.contacts.list(callerOf(request), request.params.spaceId, {
        ...query,
        deleted: deleted === 'true',
      });
    },
  );

  api.get(
    '/spaces/:spaceId/contacts/:contactId',
    {
      config: { spaceAction: 'contacts.read' },
      schema: {
        tags,
        summary: 'One contact (a deleted one with ?deleted=true, for those who may restore it)',
        params: contactParams,
        querystring: contactGetQuery,
        response: { 200: contactSchema, ...errorResponses },
      },
    },
    async (request) =>
      services.contacts.get(callerOf(request), request.params.spaceId, request.params.contactId, {
        deleted: request.query.deleted === 'true',
      }),
  );

  api.patch(
    '/spaces/:spaceId/contacts/:contactId',
    {
      config: { spaceAction: 'contacts.edit' },
      schema: {
        tags,
        summary: 'Change any subset of a contact’s fields',
        params: contactParams,
        body: contactInput,
        response: { 200: contactSchema, ...errorResponses },
      },
    },
    async (request) =>
      services.contacts.update(
        callerOf(request),
        request.params.spaceId,
        request.params.contactId,
        request.body,
      ),
  );

  api.delete(
    '/spaces/:spaceId/contacts/:contactId',
    {
      config: { spaceAction: 'contacts.delete' },
      schema: {
        tags,
        summary: 'Delete a contact (restorable, same id)',
        params: contactParams,
        response: { 204: z.null().describe('deleted'), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.contacts.delete(
        callerOf(request),
        request.params.spaceId,
        request.params.contactId,
      );
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/spaces/:spaceId/contacts/:contactId/restore',
    {
      config: { spaceAction: 'contacts.restore' },
      schema: {
        tags,
        summary: 'Bring a deleted contact back, with the same id',
        params: contactParams,
        response: { 200: contactSchema, ...errorResponses },
      },
    },
    async (request) =>
      services.contacts.restore(
        callerOf(request),
        request.params.spaceId,
        request.params.contactId,
      ),
  );

  api.post(
    '/spaces/:spaceId/contacts/:contactId/revert',
    {
      config: { spaceAction: 'contacts.edit' },
      schema: {
        tags,
        summary: 'Set one field back to the value it had right after a history entry',
        params: contactParams,
        body: revertBody,
        response: { 200: contactSchema, ...errorResponses },
      },
    },
    async (request) =>
      services.contacts.revert(
        callerOf(request),
        request.params.spaceId,
        request.params.contactId,
        request.body,
      ),
  );
}
