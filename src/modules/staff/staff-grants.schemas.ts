import { z } from 'zod';
import { plainText } from '../../http/common-schemas.ts';

/** `POST /staff/access`. */
export const openGrantBody = z
  .object({
    /** The Space to open. */
    spaceId: z.uuid({ message: 'must be a UUID' }).describe('the Space to open'),
    /** Why access is needed, for the customer to read (10–500 characters). */
    reason: plainText(10, 500).describe('why access is needed, shown to the customer'),
  })
  .strict();

/** `POST /staff/access/:grantId/end`: the Space the grant opens (grants are kept with it). */
export const endGrantBody = z
  .object({
    spaceId: z.uuid({ message: 'must be a UUID' }).describe('the Space the grant opens'),
  })
  .strict();

export const grantResponse = z.object({
  id: z.uuid().describe('the grant’s id'),
  expiresAt: z
    .string()
    .nullable()
    .describe('when the grant ends (ISO 8601, UTC); null while it awaits approval'),
  status: z
    .enum(['pending', 'active', 'denied', 'ended'])
    .describe('active, pending approval, denied, or ended before its time'),
});

export const grantDetailResponse = grantResponse.extend({
  staffId: z.uuid().describe('the staff member’s id'),
  staffName: z.string().describe('the staff member’s name when the grant was asked'),
  staffRole: z.enum(['cto', 'account_manager']).describe('the staff member’s role'),
  reason: z.string().describe('why access was asked'),
  requestedAt: z.string().describe('when it was asked'),
  decidedAt: z.string().nullable().describe('when a superadmin approved or refused it'),
  endedAt: z.string().nullable().describe('when it was ended before its time, if it was'),
  endReason: z
    .enum(['staff', 'superadmin', 'unassigned', 'contract_ended'])
    .nullable()
    .describe('who or what ended it: the staff member, a superadmin, unassignment, contract end'),
});

/** One staff access as the customer reads it. */
export const accessLogEntryResponse = z.object({
  seq: z.number().describe('the history entry’s sequence number'),
  at: z.string().describe('when (ISO 8601, UTC)'),
  actor: z
    .object({ type: z.string(), id: z.string(), name: z.string(), role: z.string().nullable() })
    .describe('who, with their role at the time'),
  event: z.string().nullable().describe('request, open, approve, deny, use or end'),
  endReason: z
    .string()
    .nullable()
    .describe('for `end`: staff, superadmin, unassigned or contract_ended'),
  grantId: z.string().nullable().describe('the grant'),
  reason: z.string().nullable().describe('the reason given when opening the grant'),
  action: z.string().nullable().describe('the Space action performed (e.g. contacts.read)'),
  route: z.string().nullable().describe('the API route used'),
  ids: z.record(z.string(), z.string()).nullable().describe('the ids the route named'),
  device: z.string().nullable().describe('user agent'),
  ip: z.string().nullable().describe('address'),
});
export type AccessLogEntry = z.infer<typeof accessLogEntryResponse>;
