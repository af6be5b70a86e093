import type { Queryable } from '../../stores/database.ts';

/**
 * SQL of sessions (platform store). A session is found by the SHA-256 of its
 * token; the token itself is never written anywhere.
 */
export type SessionEndReason = 'logout' | 'idle' | 'expired' | 'disabled' | 'revoked';

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  user_agent: string | null;
  ip: string | null;
}

/** An open session with what authentication needs of its account. */
export interface LiveSessionRow {
  id: string;
  user_id: string;
  last_seen_at: Date;
  expires_at: Date;
  user_name: string;
  user_disabled: boolean;
}

const sessionColumns = 'id, user_id, created_at, last_seen_at, expires_at, user_agent, ip';

export async function insertSession(
  db: Queryable,
  session: {
    id: string;
    tokenHash: Buffer;
    userId: string;
    at: Date;
    expiresAt: Date;
    userAgent: string | null;
    ip: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, ip)
     VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`,
    [
      session.id,
      session.tokenHash,
      session.userId,
      session.at,
      session.expiresAt,
      session.userAgent,
      session.ip,
    ],
  );
}

/**
 * The hot path of every authenticated request: one look-up by the unique index
 * on `token_hash`, joined to its account. Ended sessions are not returned.
 */
export async function findLiveSession(
  db: Queryable,
  tokenHash: Buffer,
): Promise<LiveSessionRow | undefined> {
  const { rows } = await db.query<LiveSessionRow>(
    `SELECT s.id, s.user_id, s.last_seen_at, s.expires_at,
            u.name AS user_name, u.disabled_at IS NOT NULL AS user_disabled
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.ended_at IS NULL`,
    [tokenHash],
  );
  return rows[0];
}

/** Moves `last_seen_at` forward (idle expiry counts from it). */
export async function touchSession(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query(
    'UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL AND last_seen_at < $2',
    [id, at],
  );
}

/** Ends one open session of `userId`; false when it was not open (or not theirs). */
export async function endSession(
  db: Queryable,
  end: { id: string; userId: string; reason: SessionEndReason; at: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE sessions SET ended_at = $3, end_reason = $4
      WHERE id = $1 AND user_id = $2 AND ended_at IS NULL`,
    [end.id, end.userId, end.at, end.reason],
  );
  return rowCount > 0;
}

/** Ends every open session of an account; returns how many. */
export async function endSessionsOfUser(
  db: Queryable,
  end: { userId: string; reason: SessionEndReason; at: Date },
): Promise<number> {
  const { rowCount } = await db.query(
    'UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE user_id = $1 AND ended_at IS NULL',
    [end.userId, end.at, end.reason],
  );
  return rowCount;
}

/** Sessions of an account not ended and not past either limit at `now`, newest first. */
export async function listLiveSessions(
  db: Queryable,
  query: { userId: string; now: Date; idleSince: Date; limit: number },
): Promise<SessionRow[]> {
  const { rows } = await db.query<SessionRow>(
    `SELECT ${sessionColumns} FROM sessions
      WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2 AND last_seen_at > $3
      ORDER BY created_at DESC, id
      LIMIT $4`,
    [query.userId, query.now, query.idleSince, query.limit],
  );
  return rows;
}

/** One session of an account, open or not. */
export async function findSessionOfUser(
  db: Queryable,
  id: string,
  userId: string,
): Promise<SessionRow | undefined> {
  const { rows } = await db.query<SessionRow>(
    `SELECT ${sessionColumns} FROM sessions WHERE id = $1 AND user_id = $2`,
    [id, userId],
  );
  return rows[0];
}

/**
 * Whether the account has had sessions before, and whether one of them came
 * with this user agent (the new-device notice is sent for a known account on an
 * unknown device).
 */
export async function deviceHistory(
  db: Queryable,
  userId: string,
  userAgent: string | null,
): Promise<{ hasSessions: boolean; seenDevice: boolean }> {
  const { rows } = await db.query<{ has_sessions: boolean; seen_device: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM sessions WHERE user_id = $1) AS has_sessions,
            EXISTS (SELECT 1 FROM sessions
                     WHERE user_id = $1 AND user_agent IS NOT DISTINCT FROM $2::text) AS seen_device`,
    [userId, userAgent],
  );
  return { hasSessions: rows[0]?.has_sessions ?? false, seenDevice: rows[0]?.seen_device ?? false };
}
