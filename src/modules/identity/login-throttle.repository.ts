import type { Queryable } from '../../stores/database.ts';

/** SQL of the `login_throttle` table (platform store), shared by every API server. */

/** The latest `blocked_until` among `keys` that is still after `now`, if any. */
export async function latestBlockAmong(
  db: Queryable,
  keys: readonly string[],
  now: Date,
): Promise<Date | undefined> {
  const { rows } = await db.query<{ until: Date | null }>(
    `SELECT max(blocked_until) AS until
       FROM login_throttle
      WHERE key = ANY($1::text[]) AND blocked_until > $2`,
    [keys, now],
  );
  return rows[0]?.until ?? undefined;
}

/**
 * Counts one failure for `key` in one statement (concurrent failures all count).
 * A failure when the window began at or before `windowOpensAfter` starts a new
 * window; the failure that reaches `limit` within the window blocks the key until
 * `blockUntil`.
 */
export async function countFailure(
  db: Queryable,
  failure: { key: string; at: Date; limit: number; windowOpensAfter: Date; blockUntil: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO login_throttle AS t (key, failures, window_started_at, blocked_until)
     VALUES ($1, 1, $2, CASE WHEN $3::int <= 1 THEN $5::timestamptz END)
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN t.window_started_at <= $4 THEN 1 ELSE t.failures + 1 END,
       window_started_at = CASE WHEN t.window_started_at <= $4 THEN $2 ELSE t.window_started_at END,
       blocked_until = CASE
         WHEN (CASE WHEN t.window_started_at <= $4 THEN 1 ELSE t.failures + 1 END) >= $3::int
           THEN $5::timestamptz
         ELSE t.blocked_until END`,
    [failure.key, failure.at, failure.limit, failure.windowOpensAfter, failure.blockUntil],
  );
}

/** Forgets the failures of `key` (after a successful login). */
export async function clearFailures(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM login_throttle WHERE key = $1', [key]);
}

/**
 * Deletes rows whose window began at or before `windowOpensAfter` and whose block
 * (if any) has passed: they no longer decide anything. For a scheduled job.
 */
export async function deleteStaleThrottleRows(
  db: Queryable,
  now: Date,
  windowOpensAfter: Date,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM login_throttle
      WHERE window_started_at <= $2 AND (blocked_until IS NULL OR blocked_until <= $1)`,
    [now, windowOpensAfter],
  );
  return rowCount;
}
