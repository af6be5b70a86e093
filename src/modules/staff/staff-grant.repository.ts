import type { Queryable } from '../../stores/database.ts';
import type { GrantRole } from './staff-policy.ts';

/** SQL of staff grants (region store; every function takes the Space's id). */
export type GrantStatus = 'pending' | 'active' | 'denied';

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
}

const grantColumns = `id, space_id, staff_id, staff_name, staff_role, reason, status, minutes,
  requested_at, opened_at, expires_at, decided_by, decided_at`;

export async function insertGrant(db: Queryable, grant: GrantRow): Promise<void> {
  await db.query(
    `INSERT INTO staff_grants (${grantColumns})
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
