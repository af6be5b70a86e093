import { z } from 'zod';
import { plainText, uuid } from '../../http/common-schemas.ts';
import { customFieldKeyPattern, customFieldTypes } from './custom-field-values.ts';

const choices = z
  .array(plainText(1, 100))
  .min(1, 'a choice field needs at least one choice')
  .max(200, 'at most 200 choices')
  .refine((values) => new Set(values).size === values.length, {
    message: 'choices must be distinct',
  });

/** `POST /spaces/:spaceId/custom-fields`. */
export const customFieldCreateBody = z
  .object({
    /** The key contacts use under `customFields`: lower-case letters, digits and `_`, starting with a letter. */
    key: z
      .string()
      .regex(
        customFieldKeyPattern,
        'must be 1–63 lower-case letters, digits or _, starting with a letter',
      )
      .describe('the key under customFields, e.g. membership_level'),
    /** What people see. */
    label: plainText(1, 200).describe('the label people see'),
    /** The type values must have. */
    type: z.enum(customFieldTypes).describe('text, number, date (yyyy-mm-dd), boolean or choice'),
    /** The allowed values of a `choice` field (required for it, refused for other types). */
    choices: choices.optional().describe('the allowed values of a choice field'),
  })
  .strict();

/** `PATCH /spaces/:spaceId/custom-fields/:key`: the type never changes (values would no longer fit it). */
export const customFieldUpdateBody = z
  .object({
    /** What people see. */
    label: plainText(1, 200).optional().describe('the label people see'),
    /** The allowed values of a `choice` field (the whole list). */
    choices: choices.optional().describe('the allowed values of a choice field (the whole list)'),
  })
  .strict();

export const customFieldParams = z
  .object({
    spaceId: uuid.describe('the Space’s id'),
    key: z.string().max(63).describe('the custom field’s key'),
  })
  .strict();

export const customFieldSchema = z.object({
  key: z.string(),
  label: z.string(),
  type: z.enum(customFieldTypes),
  /** The allowed values of a `choice` field; null for other types. */
  choices: z.array(z.string()).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
