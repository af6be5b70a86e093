import type { Queryable } from '../../stores/database.ts';

/**
 * The support card's three values, and nothing else, straight from the platform
 * store (SPEC 4.7): the user's name, their Spaces' names, and the user agent of
 * their latest session. No email, id, role, address or contact data is selected.
 */
export interface SupportCardRow {
  name: string;
  organization: string | null;
  device: string | null;
}

export async function readSupportCard(
  db: Queryable,
  email: string,
): Promise<SupportCardRow | undefined> {
  const { rows } = await db.query<SupportCardRow>(
    `SELECT u.name,
            (SELECT string_agg(s.name, ', ' ORDER BY s.name)
               FROM memberships m JOIN spaces s ON s.id = m.space_id
              WHERE m.user_id = u.id) AS organization,
            (SELECT x.user_agent FROM sessions x
              WHERE x.user_id = u.id ORDER BY x.created_at DESC LIMIT 1) AS device
       FROM users u
      WHERE lower(u.email) = lower($1)`,
    [email],
  );
  return rows[0];
}
