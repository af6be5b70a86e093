import { z } from 'zod';
import { plainText } from '../../http/common-schemas.ts';

/** An email address as accounts keep it: trimmed, at most 254 characters (RFC 5321). */
export const emailAddress = z
  .string()
  .trim()
  .max(254)
  .check(z.email({ message: 'must be an email address' }));

/** An account id. */
export const accountId = z.uuid({ message: 'must be a UUID' });

/** What `IdentityService.createUser` accepts (the password policy is checked on its own). */
export const newAccountInput = z.object({
  email: emailAddress,
  name: plainText(1, 200),
  password: z.string(),
});

/** `POST /auth/login`. */
export const loginBody = z
  .object({
    /** The account's email, in any case. */
    email: emailAddress.describe('the account’s email, in any case'),
    /** The account's password. */
    password: z.string().min(1).max(1024).describe('the account’s password'),
  })
  .strict();

export const userResponse = z.object({
  id: z.uuid().describe('the account’s id'),
  email: z.string().describe('the account’s email, as given at creation'),
  name: z.string().describe('the account holder’s name'),
  createdAt: z.string().describe('when the account was created (ISO 8601, UTC)'),
  disabled: z.boolean().describe('whether the operator has disabled the account'),
});

export const loginResponse = z.object({
  token: z
    .string()
    .describe(
      'the session token: send it as `Authorization: Bearer <token>` (also set as a cookie)',
    ),
  expiresAt: z.string().describe('when the session ends at the latest (ISO 8601, UTC)'),
  user: userResponse,
  actorType: z
    .enum(['user', 'staff'])
    .describe('who logged in: a user of Spaces, or operator staff'),
});

export const sessionResponse = z.object({
  id: z.uuid().describe('the session’s id'),
  device: z.string().nullable().describe('the user agent that opened the session'),
  ip: z.string().nullable().describe('the address the session was opened from'),
  createdAt: z.string().describe('when the session was opened (ISO 8601, UTC)'),
  lastSeenAt: z.string().describe('when the session was last used, to the minute (ISO 8601, UTC)'),
  expiresAt: z.string().describe('when the session ends at the latest (ISO 8601, UTC)'),
  current: z.boolean().describe('whether this is the session of the request'),
});

export const meResponse = z.object({
  user: userResponse,
  session: sessionResponse
    .pick({ id: true, device: true, ip: true, createdAt: true, expiresAt: true })
    .describe('the session of the request'),
});
