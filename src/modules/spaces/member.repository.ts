import type { Queryable } from '../../stores/database.ts';
import type { SpaceRole } from './space-policy.ts';

/**
 * SQL of Space memberships (platform store). Members are listed with their
 * account's email and name: both tables live in the platform store, so this is
 * one query rather than one look-up per member.
 */
export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: SpaceRole;
  created_at: Date;
}

const memberColumns = 'm.user_id, u.email, u.name, m.role, m.created_at';

/** Members of a Space in (created_at, user_id) order, after the keyset `after`. */
export async function listMembers(
  db: Queryable,
  spaceId: string,
  page: { limit: number; after?: { addedAt: Date; userId: string } | undefined },
): Promise<MemberRow[]> {
  const { rows } = await db.query<MemberRow>(
    `SELECT ${memberColumns}
       FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.space_id = $1
        AND ($2::timestamptz IS NULL OR (m.created_at, m.user_id) > ($2::timestamptz, $3::uuid))
      ORDER BY m.created_at, m.user_id
      LIMIT $4`,
    [spaceId, page.after?.addedAt ?? null, page.after?.userId ?? null, page.limit],
  );
  return rows;
}

/** One member of a Space, or undefined when the user is not a member of it. */
export async function findMember(
  db: Queryable,
  spaceId: string,
  userId: string,
): Promise<MemberRow | undefined> {
  const { rows } = await db.query<MemberRow>(
    `SELECT ${memberColumns}
       FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.space_id = $1 AND m.user_id = $2`,
    [spaceId, userId],
  );
  return rows[0];
}

/** Adds a member; false when the user already is one. `at` is written from the clock (see `listMembers`' keyset). */
export async function insertMembership(
  db: Queryable,
  membership: { spaceId: string; userId: string; role: SpaceRole; at: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO memberships (space_id, user_id, role, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (space_id, user_id) DO NOTHING`,
    [membership.spaceId, membership.userId, membership.role, membership.at],
  );
  return rowCount > 0;
}

export async function updateMemberRole(
  db: Queryable,
  change: { spaceId: string; userId: string; role: SpaceRole; at: Date },
): Promise<void> {
  await db.query(
    'UPDATE memberships SET role = $3, updated_at = $4 WHERE space_id = $1 AND user_id = $2',
    [change.spaceId, change.userId, change.role, change.at],
  );
}

export async function deleteMembership(
  db: Queryable,
  spaceId: string,
  userId: string,
): Promise<void> {
  await db.query('DELETE FROM memberships WHERE space_id = $1 AND user_id = $2', [spaceId, userId]);
}

/** How many superadmins the Space has; call with the Space locked (`lockSpace`). */
export async function countSuperadmins(db: Queryable, spaceId: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM memberships WHERE space_id = $1 AND role = 'superadmin'`,
    [spaceId],
  );
  return rows[0]?.count ?? 0;
}
