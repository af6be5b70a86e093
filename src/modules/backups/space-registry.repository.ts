import type { Queryable } from '../../stores/database.ts';

/** The platform registry's view of a Space that backups need. */
export interface RegisteredSpace {
  readonly id: string;
  readonly name: string;
  readonly country: string;
  readonly region: string;
}

export async function findRegisteredSpace(
  platform: Queryable,
  spaceId: string,
): Promise<RegisteredSpace | undefined> {
  const { rows } = await platform.query<RegisteredSpace>(
    'SELECT id::text, name, country, region FROM spaces WHERE id = $1',
    [spaceId],
  );
  return rows[0];
}

/** Removes a Space from the registry; its memberships cascade. */
export async function deleteRegisteredSpace(platform: Queryable, spaceId: string): Promise<void> {
  await platform.query('DELETE FROM spaces WHERE id = $1', [spaceId]);
}
