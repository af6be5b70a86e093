import type { Queryable } from '../../stores/database.ts';

/**
 * SQL of a Space's home row in its region store. Every customer-data table of the
 * region references it, and the store's trigger refuses a row whose region is not
 * the store's: a Space's data can only be written where it resides.
 */
export async function insertSpaceHome(
  db: Queryable,
  home: { spaceId: string; region: string; country: string; createdAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO spaces (space_id, region, country, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $4)`,
    [home.spaceId, home.region, home.country, home.createdAt],
  );
}
