import { createHash } from 'node:crypto';
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../stores/database.ts';
import {
  clearFailures,
  countFailure,
  deleteStaleThrottleRows,
  latestBlockAmong,
} from './login-throttle.repository.ts';

/**
 * Failed-login throttling (ASVS 5.0 V6.3.1), kept in the platform store so that
 * every API server sees the same counts. Two counters: one per account (by a
 * digest of the email, whether or not the account exists, so the answers do not
 * tell which emails have accounts) and one per client address (password
 * spraying over many emails).
 */
export const accountFailureLimit = 5;
export const ipFailureLimit = 30;
/** Failures count within this window, from the first failure of the window. */
export const failureWindowSeconds = 15 * 60;
/** How long a key stays blocked once it reaches its limit. */
export const blockSeconds = 15 * 60;

export interface LoginAttempt {
  readonly email: string;
  readonly ip?: string | undefined;
}

/** The throttle key of an account: a digest of the email, so the table holds no address. */
export function accountThrottleKey(email: string): string {
  const digest = createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('hex');
  return `account:${digest}`;
}

/** The throttle key of a client address. */
export function ipThrottleKey(ip: string): string {
  return `ip:${ip}`;
}

function keysOf(attempt: LoginAttempt): { account: string; ip: string | undefined } {
  return {
    account: accountThrottleKey(attempt.email),
    ip: attempt.ip ? ipThrottleKey(attempt.ip) : undefined,
  };
}

/**
 * Throws `throttled` (429, with `retryAfterSeconds`) while the account or the
 * address is blocked. Called before the password is verified: a blocked account
 * is refused even with the right password.
 */
export async function assertNotThrottled(
  db: Queryable,
  attempt: LoginAttempt,
  now: Date,
): Promise<void> {
  const keys = keysOf(attempt);
  const until = await latestBlockAmong(db, keys.ip ? [keys.account, keys.ip] : [keys.account], now);
  if (!until) {
    return;
  }
  const retryAfterSeconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  const minutes = Math.ceil(retryAfterSeconds / 60);
  throw new AppError(
    'throttled',
    `too many failed logins: try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
    { retryAfterSeconds },
  );
}

/** Counts a failed login against the account and the address. */
export async function recordLoginFailure(
  db: Queryable,
  attempt: LoginAttempt,
  now: Date,
): Promise<void> {
  const keys = keysOf(attempt);
  const windowOpensAfter = new Date(now.getTime() - failureWindowSeconds * 1000);
  const blockUntil = new Date(now.getTime() + blockSeconds * 1000);
  await countFailure(db, {
    key: keys.account,
    at: now,
    limit: accountFailureLimit,
    windowOpensAfter,
    blockUntil,
  });
  if (keys.ip) {
    await countFailure(db, {
      key: keys.ip,
      at: now,
      limit: ipFailureLimit,
      windowOpensAfter,
      blockUntil,
    });
  }
}

/** A successful login forgets the account's failures; the address's stay (spraying). */
export async function recordLoginSuccess(db: Queryable, attempt: LoginAttempt): Promise<void> {
  await clearFailures(db, keysOf(attempt).account);
}

/** Deletes rows that no longer decide anything (for a scheduled job); returns how many. */
export function pruneLoginThrottle(db: Queryable, now: Date): Promise<number> {
  return deleteStaleThrottleRows(db, now, new Date(now.getTime() - failureWindowSeconds * 1000));
}
