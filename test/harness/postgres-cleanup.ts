import pg from 'pg';
import { withDatabase } from '../../src/stores/store-locations.ts';

/**
 * Drops every database and role whose name starts with `<prefix>_`: what one
 * test installation (`KITH_DATABASE_PREFIX=<prefix>`) created on the test server.
 */
export async function dropPrefixed(adminUrl: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, 'postgres') });
  await client.connect();
  try {
    const like = `${prefix}\\_%`;
    const dbs = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [like],
    );
    for (const { datname } of dbs.rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    const roles = await client.query<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE rolname LIKE $1',
      [like],
    );
    for (const { rolname } of roles.rows) {
      await client.query(`DROP ROLE IF EXISTS "${rolname}"`);
    }
  } finally {
    await client.end();
  }
}
