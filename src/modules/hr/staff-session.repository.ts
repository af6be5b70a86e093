import type { StaffRole } from '../../context.ts';
import type { Queryable } from '../../stores/database.ts';

/** SQL of staff sessions (hr store): found by the SHA-256 of their token only. */
export type StaffSessionEndReason = 'logout' | 'idle' | 'expired' | 'disabled' | 'contract_ended';

export interface LiveStaffSessionRow {
  id: string;
  staff_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  user_agent: string | null;
  ip: string | null;
  staff_name: string;
  staff_role: StaffRole;
  end_date: string | null;
  disabled: boolean;
}

export async function insertStaffSession(
  db: Queryable,
  session: {
    id: string;
    tokenHash: Buffer;
    staffId: string;
    at: Date;
    expiresAt: Date;
    userAgent: string | null;
    ip: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO staff_sessions (id, token_hash, staff_id, created_at, last_seen_at, expires_at, user_agent, ip)
     VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`,
    [
      session.id,
      session.tokenHash,
      session.staffId,
      session.at,
      session.expiresAt,
      session.userAgent,
      session.ip,
    ],
  );
}

/** An open session by token digest, with its staff member's name, role and contract end. */
export async function findLiveStaffSession(
  db: Queryable,
  tokenHash: Buffer,
): Promise<LiveStaffSessionRow | undefined> {
  const { rows } = await db.query<LiveStaffSessionRow>(
    `SELECT x.id, x.staff_id, x.created_at, x.last_seen_at, x.expires_at, x.user_agent, x.ip,
            s.name AS staff_name, s.role AS staff_role,
            to_char(s.end_date, 'YYYY-MM-DD') AS end_date, a.disabled_at IS NOT NULL AS disabled
       FROM staff_sessions x
       JOIN staff_accounts a ON a.staff_id = x.staff_id
       JOIN staff s ON s.id = x.staff_id
      WHERE x.token_hash = $1 AND x.ended_at IS NULL`,
    [tokenHash],
  );
  return rows[0];
}

export async function findStaffSession(
  db: Queryable,
  id: string,
  staffId: string,
): Promise<LiveStaffSessionRow | undefined> {
  const { rows } = await db.query<LiveStaffSessionRow>(
    `SELECT x.id, x.staff_id, x.created_at, x.last_seen_at, x.expires_at, x.user_agent, x.ip,
            s.name AS staff_name, s.role AS staff_role,
            to_char(s.end_date, 'YYYY-MM-DD') AS end_date, a.disabled_at IS NOT NULL AS disabled
       FROM staff_sessions x
       JOIN staff_accounts a ON a.staff_id = x.staff_id
       JOIN staff s ON s.id = x.staff_id
      WHERE x.id = $1 AND x.staff_id = $2`,
    [id, staffId],
  );
  return rows[0];
}

export async function touchStaffSession(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query(
    'UPDATE staff_sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL AND last_seen_at < $2',
    [id, at],
  );
}

export async function endStaffSession(
  db: Queryable,
  end: { id: string; staffId: string; reason: StaffSessionEndReason; at: Date },
): Promise<void> {
  await db.query(
    `UPDATE staff_sessions SET ended_at = $3, end_reason = $4
      WHERE id = $1 AND staff_id = $2 AND ended_at IS NULL`,
    [end.id, end.staffId, end.at, end.reason],
  );
}

/** Ends every open session of a staff member; returns how many. */
export async function endSessionsOfStaff(
  db: Queryable,
  end: { staffId: string; reason: StaffSessionEndReason; at: Date },
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE staff_sessions SET ended_at = $2, end_reason = $3 WHERE staff_id = $1 AND ended_at IS NULL`,
    [end.staffId, end.at, end.reason],
  );
  return rowCount;
}

/** Ends every open session of staff whose contract ended before `today` (`YYYY-MM-DD`); returns how many. */
export async function endSessionsOfEndedContracts(
  db: Queryable,
  today: string,
  at: Date,
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE staff_sessions x SET ended_at = $2, end_reason = 'contract_ended'
       FROM staff s
      WHERE s.id = x.staff_id AND s.end_date < $1::date AND x.ended_at IS NULL`,
    [today, at],
  );
  return rowCount;
}
