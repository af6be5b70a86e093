import pg from 'pg';
import type { Transaction } from './database.ts';
import type { DatabaseRoleSecrets } from './database-roles.ts';
import { defaultPrivileges, tablePrivileges } from './privileges.ts';
import { withDatabase } from './store-locations.ts';
import type { StoreKind } from './store-names.ts';

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'kith:provision' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the store's database and its own login role when missing, and lets
 * that role, and no other, connect to it. Idempotent.
 */
export async function provisionDatabaseAndRole(
  adminUrl: string,
  target: { database: string; role: string },
  secrets: DatabaseRoleSecrets,
): Promise<void> {
  const { password } = await secrets.ensure(target.role);
  await withClient(withDatabase(adminUrl, 'postgres'), async (client) => {
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      target.database,
    ]);
    if (db.rowCount === 0) {
      await client
        .query(`CREATE DATABASE ${ident(target.database)}`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42P04') {
            throw error;
          }
        });
    }
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [target.role]);
    const verb = role.rowCount === 0 ? 'CREATE' : 'ALTER';
    await client.query(
      `${verb} ROLE ${ident(target.role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD ${literal(password)}`,
    );
    await client.query(`REVOKE ALL ON DATABASE ${ident(target.database)} FROM PUBLIC`);
    await client.query(
      `GRANT CONNECT, TEMPORARY ON DATABASE ${ident(target.database)} TO ${ident(target.role)}`,
    );
  });
}

/** Grants the store's role what `privileges.ts` allows on every table, after migrations. */
export async function grantTablePrivileges(
  tx: Transaction,
  kind: StoreKind,
  role: string,
): Promise<void> {
  const r = ident(role);
  await tx.exec(`REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    GRANT USAGE ON SCHEMA public TO ${r};
    GRANT ${defaultPrivileges} ON ALL TABLES IN SCHEMA public TO ${r};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r};
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${r};`);
  const { rows } = await tx.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
  );
  const present = new Set(rows.map((row) => row.tablename));
  for (const [table, privileges] of Object.entries(tablePrivileges[kind])) {
    if (present.has(table)) {
      await tx.exec(
        `REVOKE ALL ON TABLE ${ident(table)} FROM ${r}; GRANT ${privileges} ON TABLE ${ident(table)} TO ${r};`,
      );
    }
  }
}
