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

/**
 * Staff sessions (hr store) get tokens of the same shape that start with
 * `st_` and carry 240 random bits: the token says which store to look in first,
 * so a staff request costs one session look-up, not a miss in the platform
 * store and then a hit in hr. A user token starting so (1 in 262,144) is found
 * all the same, after the hr miss.
 */
const staffTokenPrefix = 'st_';

export function newStaffSessionToken(): string {
  return `${staffTokenPrefix}${randomBytes(30).toString('base64url')}`;
}

export function looksLikeStaffToken(value: string): boolean {
  return value.startsWith(staffTokenPrefix);
}

/** Whether `value` has the shape of a token this server issues (saves a query for garbage). */
export function looksLikeSessionToken(value: string): boolean {
  return tokenPattern.test(value);
}

/** What the sessions table stores of a token (`sessions.token_hash`). */
export function sessionTokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
