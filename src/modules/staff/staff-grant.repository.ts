import type { Queryable } from '../../stores/database.ts';
import type { GrantRole } from './staff-policy.ts';

/** SQL of staff grants (region store; every function takes the Space's id). */
export type GrantStatus = 'pending' | 'active' | 'denied' | 'ended';
/** Why a grant ended before its time box ran out. */
export type GrantEndReason = 'staff' | 'superadmin' | 'unassigned' | 'contract_ended';

export interface GrantRow {
  id: string;
  space_id: string;
  staff_id: string;
  staff_name: string;
  staff_role: GrantRole;
  reason: string;
  status: GrantStatus;
  minutes: number;
  requested_at: Date;
  opened_at: Date | null;
  expires_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  ended_at?: Date | null;
  ended_by?: string | null;
  end_reason?: GrantEndReason | null;
}

const insertedColumns = `id, space_id, staff_id, staff_name, staff_role, reason, status, minutes,
  requested_at, opened_at, expires_at, decided_by, decided_at`;
const grantColumns = `${insertedColumns}, ended_at, ended_by, end_reason`;

export async function insertGrant(db: Queryable, grant: GrantRow): Promise<void> {
  await db.query(
    `INSERT INTO staff_grants (${insertedColumns})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      grant.id,
      grant.space_id,
      grant.staff_id,
      grant.staff_name,
      grant.staff_role,
      grant.reason,
      grant.status,
      grant.minutes,
      grant.requested_at,
      grant.opened_at,
      grant.expires_at,
      grant.decided_by,
      grant.decided_at,
    ],
  );
}

/**
 * The grant that decides a staff member's access to a Space at `now`: a live
 * one if any, else their latest (pending, denied or expired: the denial's code).
 * One index look-up on `staff_grants_by_staff`.
 */
export async function findDecidingGrant(
  db: Queryable,
  spaceId: string,
  staffId: string,
  now: Date,
): Promise<GrantRow | undefined> {
  const { rows } = await db.query<GrantRow>(
    `SELECT ${grantColumns} FROM staff_grants
      WHERE space_id = $1 AND staff_id = $2
      ORDER BY (status = 'active' AND expires_at > $3) DESC, requested_at DESC
      LIMIT 1`,
    [spaceId, staffId, now],
  );
  return rows[0];
}

export async function findGrant(
  db: Queryable,
  spaceId: string,
  grantId: string,
  options: { lock?: boolean } = {},
): Promise<GrantRow | undefined> {
  const { rows } = await db.query<GrantRow>(
    `SELECT ${grantColumns} FROM staff_grants WHERE space_id = $1 AND id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [spaceId, grantId],
  );
  return rows[0];
}

/** Records a superadmin's decision on a pending grant. */
export async function decideGrant(
  db: Queryable,
  spaceId: string,
  decision: {
    id: string;
    status: 'active' | 'denied';
    by: string;
    at: Date;
    expiresAt: Date | null;
  },
): Promise<void> {
  await db.query(
    `UPDATE staff_grants
        SET status = $3, decided_by = $4, decided_at = $5,
            opened_at = CASE WHEN $3 = 'active' THEN $5::timestamptz END, expires_at = $6
      WHERE space_id = $1 AND id = $2 AND status = 'pending'`,
    [spaceId, decision.id, decision.status, decision.by, decision.at, decision.expiresAt],
  );
}

/** The Space's grants, newest first, one keyset page. */
export async function listGrants(
  db: Queryable,
  spaceId: string,
  page: { limit: number; after?: [string, string] | undefined },
): Promise<GrantRow[]> {
  const { rows } = await db.query<GrantRow>(
    `SELECT ${grantColumns} FROM staff_grants
      WHERE space_id = $1
        AND ($2::timestamptz IS NULL OR (requested_at, id) < ($2::timestamptz, $3::uuid))
      ORDER BY requested_at DESC, id DESC LIMIT $4`,
    [spaceId, page.after?.[0] ?? null, page.after?.[1] ?? null, page.limit],
  );
  return rows;
}

/** Whether a grant is live at `now`: active and within its time box. */
export function isLive(grant: GrantRow, now: Date): boolean {
  return (
    grant.status === 'active' &&
    grant.expires_at !== null &&
    grant.expires_at.getTime() > now.getTime()
  );
}

/**
 * Ends a pending or live grant; returns it ended, or undefined when
 * there was nothing to end (already expired, refused or ended).
 */
export async function endGrant(
  db: Queryable,
  spaceId: string,
  end: { id: string; by: string | null; reason: GrantEndReason; at: Date },
): Promise<GrantRow | undefined> {
  const { rows } = await db.query<GrantRow>(
    `UPDATE staff_grants SET status = 'ended', ended_at = $3, ended_by = $4, end_reason = $5
      WHERE space_id = $1 AND id = $2
        AND (status = 'pending' OR (status = 'active' AND expires_at > $3))
      RETURNING ${grantColumns}`,
    [spaceId, end.id, end.at, end.by, end.reason],
  );
  return rows[0];
}

/** A staff member's pending and live grants in this region store (optionally in one Space). */
export async function openGrantsOfStaff(
  db: Queryable,
  staffIds: readonly string[],
  now: Date,
  spaceId?: string,
): Promise<GrantRow[]> {
  const { rows } = await db.query<GrantRow>(
    `SELECT ${grantColumns} FROM staff_grants
      WHERE staff_id = ANY($1::uuid[]) AND ($3::uuid IS NULL OR space_id = $3)
        AND (status = 'pending' OR (status = 'active' AND expires_at > $2))
      ORDER BY space_id, requested_at`,
    [staffIds, now, spaceId ?? null],
  );
  return rows;
}

/**
 * Records one use of a grant, durably, in one autocommit statement that also
 * proves the grant is still live at `now` (not ended, refused or expired, on any
 * instance): false when it is not, and nothing is recorded.
 */
export async function insertPendingAccess(
  db: Queryable,
  access: { spaceId: string; grantId: string; id: string; entry: unknown; now: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO staff_access_pending (space_id, id, grant_id, entry)
     SELECT g.space_id, $3, g.id, $4::jsonb FROM staff_grants g
      WHERE g.space_id = $1 AND g.id = $2 AND g.status = 'active' AND g.expires_at > $5`,
    [access.spaceId, access.grantId, access.id, JSON.stringify(access.entry), access.now],
  );
  return rowCount > 0;
}

export interface PendingAccessRow {
  seq: string;
  id: string;
  entry: Record<string, unknown>;
}

/** Takes (deletes and returns) the Space's oldest recorded uses, in `seq` order. */
export async function takePendingAccesses(
  tx: Queryable,
  spaceId: string,
  limit: number,
): Promise<PendingAccessRow[]> {
  const { rows } = await tx.query<PendingAccessRow>(
    `DELETE FROM staff_access_pending
      WHERE space_id = $1
        AND seq IN (SELECT seq FROM staff_access_pending WHERE space_id = $1 ORDER BY seq LIMIT $2)
      RETURNING seq::text AS seq, id, entry`,
    [spaceId, limit],
  );
  return rows.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
}

/** Spaces of this region store with recorded uses waiting for their history. */
export async function spacesWithPendingAccesses(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ space_id: string }>(
    'SELECT DISTINCT space_id FROM staff_access_pending LIMIT $1',
    [limit],
  );
  return rows.map((row) => row.space_id);
}

export async function hasPendingAccesses(db: Queryable, spaceId: string): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT 1 FROM staff_access_pending WHERE space_id = $1 LIMIT 1',
    [spaceId],
  );
  return rows.length > 0;
}
