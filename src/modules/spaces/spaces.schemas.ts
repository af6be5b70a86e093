import { z } from 'zod';
import { plainText, uuid } from '../../http/common-schemas.ts';
import { spaceRoles } from './space-policy.ts';

/** `POST /spaces`. */
export const createSpaceBody = z
  .object({
    /** The organisation's name for its Space. */
    name: plainText(1, 200).describe('the name of the Space, 1–200 characters'),
    /** Decides the residency region; never changes afterwards. */
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 country code, e.g. FR')
      .describe(
        'ISO 3166-1 alpha-2 country of the organisation; decides the region its data lives in',
      ),
  })
  .strict();

export const spaceParams = z
  .object({
    /** The Space's id. */
    spaceId: uuid.describe('the Space’s id'),
  })
  .strict();

export const spaceResponse = z.object({
  id: z.uuid().describe('the Space’s id'),
  name: z.string().describe('the name of the Space'),
  country: z.string().describe('ISO 3166-1 alpha-2 country, upper case'),
  region: z.string().describe('the residency region holding the Space’s data, e.g. eu'),
  createdAt: z.string().describe('when the Space was created (ISO 8601, UTC)'),
});

export const spaceOfMemberResponse = spaceResponse.extend({
  role: z
    .enum([...spaceRoles, 'cto', 'account_manager'])
    .describe('the caller’s role in the Space (a staff role for staff under a grant)'),
});
