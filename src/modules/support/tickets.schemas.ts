import { z } from 'zod';
import { multilineText, plainText } from '../../http/common-schemas.ts';

const status = z.enum(['open', 'pending', 'solved', 'closed']);
const priority = z.enum(['low', 'normal', 'high', 'urgent']);

/** `POST /support/tickets`. */
export const newTicketBody = z
  .object({
    /** What the ticket is about. */
    subject: plainText(1, 200).describe('what the ticket is about'),
    /** Who asked for help. */
    requesterEmail: z
      .string()
      .trim()
      .max(254)
      .check(z.email({ message: 'must be an email address' }))
      .describe('who asked for help'),
    /** Priority (default normal). */
    priority: priority.default('normal').describe('priority'),
    /** The first message, if any. */
    message: multilineText(1, 20_000).optional().describe('the first message'),
  })
  .strict();

/** `PATCH /support/tickets/:ticketId`. */
export const ticketPatch = z
  .object({
    /** What the ticket is about. */
    subject: plainText(1, 200).optional().describe('what the ticket is about'),
    /** Where it stands. */
    status: status.optional().describe('where it stands'),
    /** Priority. */
    priority: priority.optional().describe('priority'),
    /** The support agent in charge (a staff id), or null. */
    assigneeId: z.uuid().nullable().optional().describe('the agent in charge'),
  })
  .strict();

/** `POST /support/tickets/:ticketId/messages`. */
export const messageBody = z
  .object({
    /** The message. */
    body: multilineText(1, 20_000).describe('the message'),
    /** Who wrote it: the agent (default) or the requester, recorded by the agent. */
    authorType: z.enum(['staff', 'requester']).default('staff').describe('who wrote it'),
  })
  .strict();

export const supportRecordResponse = z
  .object({ id: z.uuid(), createdAt: z.string() })
  .catchall(z.unknown());
