import type { Queryable } from '../../stores/database.ts';

/** SQL of a Space's settings document (the Space's home row of its region store). */

/** The stored settings, or undefined when the Space has no home in this store; `lock` holds the row. */
export async function readSpaceSettings(
  db: Queryable,
  spaceId: string,
  options: { lock?: boolean } = {},
): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.query<{ settings: Record<string, unknown> }>(
    `SELECT settings FROM spaces WHERE space_id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [spaceId],
  );
  return rows[0]?.settings;
}

/** Replaces the stored settings document. */
export async function writeSpaceSettings(
  db: Queryable,
  spaceId: string,
  settings: Record<string, unknown>,
  updatedAt: Date,
): Promise<void> {
  await db.query('UPDATE spaces SET settings = $2::jsonb, updated_at = $3 WHERE space_id = $1', [
    spaceId,
    JSON.stringify(settings),
    updatedAt,
  ]);
}
