import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses } from '../../http/common-schemas.ts';
import type { SupportCardService } from './support-card.service.ts';

const cardQuery = z
  .object({
    /** The email of the user who contacted support. */
    email: z.string().min(3).max(254).describe('the email of the user who contacted support'),
  })
  .strict();

/** Exactly three fields (SPEC 4.7). */
export const supportCardResponse = z
  .object({
    name: z.string().describe('the user’s name'),
    organization: z.string().describe('the name(s) of the user’s Space(s), comma-separated'),
    device: z.string().nullable().describe('the user agent of the user’s latest session'),
  })
  .strict();

export function registerSupportCardRoutes(
  api: ApiInstance,
  services: { readonly supportCard: SupportCardService },
): void {
  api.get(
    '/support/card',
    {
      schema: {
        tags: ['support'],
        summary: 'The support card of a user: name, organisation, device — nothing else',
        querystring: cardQuery,
        response: { 200: supportCardResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return services.supportCard.card(callerOf(request), request.query.email);
    },
  );
}
