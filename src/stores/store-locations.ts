import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { StoreName } from './store-names.ts';

/**
 * Where a store lives. Embedded: its own PGlite directory under `KITH_DATA/stores`.
 * PostgreSQL: its own database; `adminUrl` (when Kith provisions the server itself
 * from `KITH_DATABASE_URL`) creates it, its login role and its schema, and the
 * running platform connects as that store's own role only.
 */
export type StoreLocation =
  | { readonly engine: 'pglite'; readonly directory: string }
  | {
      readonly engine: 'postgres';
      /** Owner connection: provisioning and migrations. */
      readonly adminUrl: string;
      /** Database name and login role, when Kith provisions them. */
      readonly provisioned: { readonly database: string; readonly role: string } | undefined;
    };

export function storeLocation(config: Config, store: StoreName): StoreLocation {
  const override = config.storeUrls[store];
  if (override) {
    return { engine: 'postgres', adminUrl: override, provisioned: undefined };
  }
  if (config.databaseUrl) {
    const name = `${config.databasePrefix}_${store}`;
    return {
      engine: 'postgres',
      adminUrl: withDatabase(config.databaseUrl, name),
      provisioned: { database: name, role: name },
    };
  }
  return { engine: 'pglite', directory: join(config.dataDir, 'stores', store) };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
