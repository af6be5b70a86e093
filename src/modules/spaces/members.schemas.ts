import { z } from 'zod';
import { uuid } from '../../http/common-schemas.ts';
import { spaceRoles } from './space-policy.ts';

const role = z.enum(spaceRoles);

/** `POST /spaces/:spaceId/members`. */
export const addMemberBody = z
  .object({
    /** The email of an existing account. */
    email: z.email().max(254).describe('the email of an existing account'),
    /** The role the account gets in the Space. */
    role: role.describe('the role the account gets in the Space'),
  })
  .strict();

/** `PATCH /spaces/:spaceId/members/:userId`. */
export const changeRoleBody = z
  .object({
    /** The member's new role. */
    role: role.describe('the member’s new role'),
  })
  .strict();

export const memberParams = z
  .object({
    spaceId: uuid.describe('the Space’s id'),
    userId: uuid.describe('the member’s account id'),
  })
  .strict();

export const memberResponse = z.object({
  userId: z.uuid().describe('the member’s account id'),
  email: z.string().describe('the member’s email'),
  name: z.string().describe('the member’s name'),
  role: role.describe('the member’s role in the Space'),
  addedAt: z.string().describe('when the member joined the Space (ISO 8601, UTC)'),
});
