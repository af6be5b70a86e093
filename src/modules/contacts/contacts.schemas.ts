import { z } from 'zod';
import { plainText, uuid } from '../../http/common-schemas.ts';
import { consentStatuses } from './contact-model.ts';

/** Phone numbers as people write them: digits, spaces, `()-.`, an optional leading `+`. */
export const phonePattern = /^\+?[0-9 ()\-.]{3,32}$/;

/** A text field a client may clear with null or an empty string. */
const text = (max: number) => plainText(0, max).nullable().optional();

export const consentStatus = z.enum(consentStatuses);

/** The fields of a contact a client writes; every one optional (POST and PATCH alike). */
export const contactInput = z
  .object({
    /** First name. */
    firstName: text(200).describe('First name'),
    /** Last name. */
    lastName: text(200).describe('Last name'),
    /** Email address. */
    email: z
      .union([z.email({ message: 'must be an email address' }).max(254), z.literal('')])
      .nullable()
      .optional()
      .describe('Email address'),
    /** Phone number: digits, spaces, `()-.`, an optional leading `+`. */
    phone: z
      .union([
        z
          .string()
          .regex(
            phonePattern,
            'must be a phone number: digits, spaces, ()-. and an optional leading +',
          ),
        z.literal(''),
      ])
      .nullable()
      .optional()
      .describe('Phone number, e.g. +33 6 12 34 56 78'),
    /** Street address. */
    street: text(300).describe('Street address'),
    /** Postcode. */
    postcode: text(20).describe('Postcode'),
    /** City. */
    city: text(200).describe('City'),
    /** ISO 3166-1 alpha-2 country code. */
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 code, e.g. FR')
      .nullable()
      .optional()
      .describe('Country, ISO 3166-1 alpha-2 (e.g. FR)'),
    /** Tags: at most 50, each 1–64 characters; the whole set (PATCH replaces it). */
    tags: z
      .array(plainText(1, 64))
      .max(50, 'at most 50 tags')
      .optional()
      .describe('Tags (replaces the set)'),
    /** Custom field key → value, typed by the Space's definitions; null removes a value (PATCH merges by key). */
    customFields: z
      .record(
        z.string().max(63),
        z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]),
      )
      .optional()
      .describe('Custom fields by key; PATCH merges, null removes a value'),
    /** Consent status per channel; channels not named are left as they are. */
    consents: z
      .object({
        email: consentStatus.optional(),
        sms: consentStatus.optional(),
        phone: consentStatus.optional(),
      })
      .strict()
      .optional()
      .describe('Consent status per channel'),
    /** Where the consents in this request were collected (default: the request’s source, e.g. `api`). */
    consentSource: plainText(1, 64)
      .optional()
      .describe('Where these consents were collected, e.g. "signup form"'),
    /** The contact objected to being contacted. */
    doNotContact: z.boolean().optional().describe('Objection: do not contact'),
    /** The contact opted out of the sale of their data (CCPA). */
    doNotSell: z.boolean().optional().describe('CCPA: do not sell'),
  })
  .strict();
export type ContactInput = z.infer<typeof contactInput>;

export const contactParams = z.object({ spaceId: uuid, contactId: uuid }).strict();
export const spaceParams = z.object({ spaceId: uuid }).strict();

const deletedFlag = z.enum(['true', 'false']).optional();

export const contactListQuery = z
  .object({
    /** Prefix of a first name, last name, full name, email or phone number; case- and accent-insensitive. */
    q: plainText(0, 200).optional(),
    /** Only contacts with exactly this tag. */
    tag: plainText(1, 64).optional(),
    /** `true`: list deleted contacts instead (admins and superadmins). */
    deleted: deletedFlag,
    /** Page size, 1–200 (default 50). */
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** Opaque cursor from a previous page's `nextCursor`. */
    cursor: z.string().max(2048).optional(),
  })
  .strict();

export const contactGetQuery = z
  .object({
    /** `true`: also answer for a deleted contact (admins and superadmins). */
    deleted: deletedFlag,
  })
  .strict();

export const revertBody = z
  .object({
    /** The field to set back: `firstName`, `tags`, `customFields.<key>`, `consents.<channel>`, `doNotContact`, … */
    field: z
      .string()
      .min(1)
      .max(100)
      .describe('The field to set back, e.g. email or customFields.age'),
    /** The history entry whose resulting value the field takes again. */
    seq: z.number().int().min(1).describe('Sequence number of the history entry'),
  })
  .strict();

const consentDetail = z.object({
  status: consentStatus,
  /** Where the status came from (`api`, `import`, a form…); null if never given. */
  source: z.string().nullable(),
  /** When it was given; null if never given. */
  at: z.string().nullable(),
});

/** A contact as the API answers it. */
export const contactSchema = z.object({
  id: uuid,
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  street: z.string().nullable(),
  postcode: z.string().nullable(),
  city: z.string().nullable(),
  country: z.string().nullable(),
  tags: z.array(z.string()),
  customFields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  consents: z.object({ email: consentStatus, sms: consentStatus, phone: consentStatus }),
  /** Each channel's status with its source and time. */
  consentDetails: z.object({ email: consentDetail, sms: consentDetail, phone: consentDetail }),
  doNotContact: z.boolean(),
  doNotSell: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Present when the contact is deleted (restorable). */
  deletedAt: z.string().optional(),
});
