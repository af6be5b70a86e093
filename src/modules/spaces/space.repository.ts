import type { Queryable } from '../../stores/database.ts';
import type { SpaceRole } from './space-policy.ts';

/** SQL of the platform registry of Spaces (platform store). */
export interface SpaceRow {
  id: string;
  name: string;
  country: string;
  region: string;
  created_at: Date;
}

export interface SpaceWithRoleRow extends SpaceRow {
  role: SpaceRole;
}

const spaceColumns = 's.id, s.name, s.country, s.region, s.created_at';

/** Registers a Space. `createdAt` comes from the service's clock (millisecond precision: see `listSpacesOfUser`). */
export async function insertSpace(
  db: Queryable,
  space: {
    id: string;
    name: string;
    country: string;
    region: string;
    createdBy: string;
    createdAt: Date;
  },
): Promise<SpaceRow> {
  const { rows } = await db.query<SpaceRow>(
    `INSERT INTO spaces AS s (id, name, country, region, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING ${spaceColumns}`,
    [space.id, space.name, space.country, space.region, space.createdBy, space.createdAt],
  );
  const row = rows[0];
  if (!row) {
    throw new Error('INSERT … RETURNING gave no row');
  }
  return row;
}

/**
 * The Spaces `userId` is a member of, with their role, in (created_at, id) order,
 * after the keyset `after`. One query on `memberships_by_user`; the cursor holds a
 * millisecond timestamp, which is exact because every Space's `created_at` is
 * written from a JavaScript `Date`.
 */
export async function listSpacesOfUser(
  db: Queryable,
  userId: string,
  page: { limit: number; after?: { createdAt: Date; id: string } | undefined },
): Promise<SpaceWithRoleRow[]> {
  const { rows } = await db.query<SpaceWithRoleRow>(
    `SELECT ${spaceColumns}, m.role
       FROM memberships m JOIN spaces s ON s.id = m.space_id
      WHERE m.user_id = $1
        AND ($2::timestamptz IS NULL OR (s.created_at, s.id) > ($2::timestamptz, $3::uuid))
      ORDER BY s.created_at, s.id
      LIMIT $4`,
    [userId, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit],
  );
  return rows;
}

/** The Space and the user's role in it; undefined when the user is not a member (or there is no such Space). */
export async function findSpaceOfMember(
  db: Queryable,
  spaceId: string,
  userId: string,
): Promise<SpaceWithRoleRow | undefined> {
  const { rows } = await db.query<SpaceWithRoleRow>(
    `SELECT ${spaceColumns}, m.role
       FROM memberships m JOIN spaces s ON s.id = m.space_id
      WHERE m.space_id = $1 AND m.user_id = $2`,
    [spaceId, userId],
  );
  return rows[0];
}

/** A Space of the registry by id, whoever asks (staff grants and the operator look Spaces up by id). */
export async function findSpaceById(db: Queryable, spaceId: string): Promise<SpaceRow | undefined> {
  const { rows } = await db.query<SpaceRow>(
    `SELECT ${spaceColumns} FROM spaces s WHERE s.id = $1`,
    [spaceId],
  );
  return rows[0];
}

/**
 * Locks the Space's registry row for the rest of the transaction: member changes
 * of one Space run one after the other, so "at least one superadmin" holds under
 * concurrency. `FOR NO KEY UPDATE` does not block foreign-key checks of inserts.
 */
export async function lockSpace(db: Queryable, spaceId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT id FROM spaces WHERE id = $1 FOR NO KEY UPDATE', [
    spaceId,
  ]);
  return rows.length > 0;
}
