import { createHash, randomBytes } from 'node:crypto';

/**
 * Session tokens: 32 random bytes (256 bits) as base64url, 43 characters. The
 * server keeps only their SHA-256: a copy of the sessions table lets nobody in.
 * A slow hash is not needed here, as the token is random, not chosen by a person.
 */
const tokenBytes = 32;
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/** A new session token. */
export function newSessionToken(): string {
  return randomBytes(tokenBytes).toString('base64url');
}

/** Whether `value` has the shape of a token this server issues (saves a query for garbage). */
export function looksLikeSessionToken(value: string): boolean {
  return tokenPattern.test(value);
}

/** What the sessions table stores of a token (`sessions.token_hash`). */
export function sessionTokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
