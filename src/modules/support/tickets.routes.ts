import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, listOf, pageQuery, uuid } from '../../http/common-schemas.ts';
import {
  messageBody,
  newTicketBody,
  supportRecordResponse,
  ticketPatch,
} from './tickets.schemas.ts';
import type { TicketsService } from './tickets.service.ts';

const ticketParams = z.object({ ticketId: uuid.describe('the ticket’s id') }).strict();

/** `/support/tickets…`: tickets and messages, for support staff only. */
export function registerTicketRoutes(
  api: ApiInstance,
  services: { readonly tickets: TicketsService },
): void {
  api.get(
    '/support/tickets',
    {
      schema: {
        tags: ['support'],
        summary: 'Tickets, newest first (support staff)',
        querystring: pageQuery,
        response: { 200: listOf(supportRecordResponse), ...errorResponses },
      },
    },
    async (request) => services.tickets.list(callerOf(request), request.query),
  );
  api.post(
    '/support/tickets',
    {
      schema: {
        tags: ['support'],
        summary: 'Open a ticket (support staff)',
        body: newTicketBody,
        response: { 201: supportRecordResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await services.tickets.create(callerOf(request), request.body)),
  );
  api.get(
    '/support/tickets/:ticketId',
    {
      schema: {
        tags: ['support'],
        summary: 'One ticket (support staff)',
        params: ticketParams,
        response: { 200: supportRecordResponse, ...errorResponses },
      },
    },
    async (request) => services.tickets.get(callerOf(request), request.params.ticketId),
  );
  api.patch(
    '/support/tickets/:ticketId',
    {
      schema: {
        tags: ['support'],
        summary: 'Change a ticket’s subject, status, priority or assignee (support staff)',
        params: ticketParams,
        body: ticketPatch,
        response: { 200: supportRecordResponse, ...errorResponses },
      },
    },
    async (request) =>
      services.tickets.update(callerOf(request), request.params.ticketId, request.body),
  );
  api.get(
    '/support/tickets/:ticketId/messages',
    {
      schema: {
        tags: ['support'],
        summary: 'A ticket’s messages, newest first (support staff)',
        params: ticketParams,
        querystring: pageQuery,
        response: { 200: listOf(supportRecordResponse), ...errorResponses },
      },
    },
    async (request) =>
      services.tickets.listMessages(callerOf(request), request.params.ticketId, request.query),
  );
  api.post(
    '/support/tickets/:ticketId/messages',
    {
      schema: {
        tags: ['support'],
        summary: 'Add a message to a ticket (support staff)',
        params: ticketParams,
        body: messageBody,
        response: { 201: supportRecordResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await services.tickets.addMessage(
            callerOf(request),
            request.params.ticketId,
            request.body,
          ),
        ),
  );
}
