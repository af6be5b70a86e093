import type { TestEnv } from '../harness/test-env.ts';

/**
 * Every row of one Space, in every store that holds any: the platform registry
 * and membership rows, and each region-store table with a `space_id` (found in
 * the catalogue, so tables added later are covered without editing this).
 */
export async function snapshotSpace(env: TestEnv, spaceId: string, region = 'eu'): Promise<string> {
  const platform = await env.stores.platform();
  const parts: unknown[] = [
    (await platform.query('SELECT * FROM spaces WHERE id = $1', [spaceId])).rows,
    (
      await platform.query('SELECT * FROM memberships WHERE space_id = $1 ORDER BY user_id', [
        spaceId,
      ])
    ).rows,
  ];
  const db = await env.stores.region(region);
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'space_id' ORDER BY table_name`,
  );
  for (const { table_name } of tables.rows) {
    const rows = await db.query(`SELECT * FROM "${table_name}" WHERE space_id = $1`, [spaceId]);
    parts.push([table_name, rows.rows.map((r) => JSON.stringify(r)).sort()]);
  }
  return JSON.stringify(parts);
}
