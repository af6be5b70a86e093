import { z } from 'zod';
import { multilineText, plainText } from '../../http/common-schemas.ts';

const email = z
  .string()
  .trim()
  .max(254)
  .check(z.email({ message: 'must be an email address' }));
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date, YYYY-MM-DD' });

const organisationFields = {
  /** The organisation's name. */
  name: plainText(1, 200).describe('the organisation’s name'),
  /** Its website. */
  website: plainText(1, 300).nullable().optional().describe('its website'),
  /** ISO 3166-1 alpha-2 country. */
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .nullable()
    .optional()
    .describe('ISO country code'),
  /** The customer's Space once signed (an opaque id). */
  spaceId: z.uuid().nullable().optional().describe('the customer’s Space once signed'),
};
const leadFields = {
  /** The organisation the lead belongs to, if known. */
  organisationId: z.uuid().nullable().optional().describe('the organisation, if known'),
  /** The person to talk to. */
  contactName: plainText(1, 200).describe('the person to talk to'),
  /** Their email. */
  contactEmail: email.nullable().optional().describe('their email'),
  /** Where the lead stands. */
  status: z.enum(['new', 'qualified', 'converted', 'lost']).default('new').describe('status'),
  /** Where the lead came from. */
  source: plainText(1, 200).nullable().optional().describe('where the lead came from'),
};
const dealFields = {
  /** The organisation of the deal. */
  organisationId: z.uuid().describe('the organisation'),
  /** What is sold. */
  title: plainText(1, 200).describe('what is sold'),
  /** Pipeline stage. */
  stage: z
    .enum(['prospect', 'proposal', 'negotiation', 'won', 'lost'])
    .default('prospect')
    .describe('pipeline stage'),
  /** Amount in cents. */
  amountCents: z.number().int().min(0).max(1e15).nullable().optional().describe('amount in cents'),
  /** ISO 4217 currency. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .nullable()
    .optional()
    .describe('ISO currency'),
  /** Expected close date. */
  closeDate: date.nullable().optional().describe('expected close date, YYYY-MM-DD'),
};

export const salesSchemas = {
  organisations: {
    create: z.object(organisationFields).strict(),
    patch: z.object(organisationFields).partial().strict(),
  },
  leads: {
    create: z.object(leadFields).strict(),
    patch: z
      .object({ ...leadFields, status: leadFields.status.unwrap() })
      .partial()
      .strict(),
  },
  deals: {
    create: z.object(dealFields).strict(),
    patch: z
      .object({ ...dealFields, stage: dealFields.stage.unwrap() })
      .omit({ organisationId: true })
      .partial()
      .strict(),
  },
} as const;

export const noteBody = z.object({ body: multilineText(1, 10_000).describe('the note') }).strict();

/** Records leave as their columns; `salesRecordResponse` documents them loosely. */
export const salesRecordResponse = z
  .object({ id: z.uuid(), createdAt: z.string() })
  .catchall(z.unknown());
