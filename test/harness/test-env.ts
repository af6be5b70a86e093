import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/stores/database.ts';
import { openPostgresDatabase } from '../../src/stores/postgres-database.ts';
import { storeLocation, withDatabase } from '../../src/stores/store-locations.ts';
import type { Department, StoreName } from '../../src/stores/store-names.ts';
import { migrateStore, Stores } from '../../src/stores/stores.ts';
import { clonePGliteTemplate } from './pglite-templates.ts';

export type EngineName = 'pglite' | 'postgres';

/** One isolated installation: its own data directory and its own stores. */
export interface TestEnv {
  readonly engine: EngineName;
  readonly config: Config;
  readonly stores: Stores;
  /** PostgreSQL only: a superuser URL of the test cluster. */
  readonly adminUrl: string | undefined;
  /**
   * The store as its owner (DDL, and what a database superuser could do): on
   * PostgreSQL a separate owner connection, on PGlite the one handle there is.
   */
  owner(name: StoreName): Promise<Database>;
  close(): Promise<void>;
}

function storeHandle(stores: Stores, name: StoreName): Promise<Database> {
  if (name === 'platform') {
    return stores.platform();
  }
  if (name.startsWith('region_')) {
    return stores.region(name.slice('region_'.length));
  }
  return stores.department(name as Department);
}

/** The PostgreSQL server the test run uses, if any. */
export function testDatabaseUrl(): string | undefined {
  return process.env.KITH_TEST_DATABASE_URL || undefined;
}

export async function createTestEnv(
  engine: EngineName,
  env: Record<string, string> = {},
): Promise<TestEnv> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kith-test-'));
  if (engine === 'pglite') {
    const config = loadConfig({ KITH_DATA: dataDir, KITH_LOG_LEVEL: 'silent', ...env });
    const stores = new Stores(config, {
      prepareStore: (name) => {
        const location = storeLocation(config, name);
        return location.engine === 'pglite'
          ? clonePGliteTemplate(name, location.directory)
          : Promise.resolve();
      },
    });
    return {
      engine,
      config,
      stores,
      adminUrl: undefined,
      owner: (name) => storeHandle(stores, name),
      async close() {
        await stores.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const adminUrl = testDatabaseUrl();
  if (!adminUrl) {
    throw new Error('no PostgreSQL for tests: set KITH_TEST_DATABASE_URL or run npm test');
  }
  const prefix = `kt_${randomBytes(5).toString('hex')}`;
  const config = loadConfig({
    KITH_DATA: dataDir,
    KITH_LOG_LEVEL: 'silent',
    KITH_DATABASE_URL: adminUrl,
    KITH_DATABASE_PREFIX: prefix,
    ...env,
  });
  const prepared = new Set<StoreName>();
  const owners: Database[] = [];
  const stores = new Stores(config, {
    prepareStore: async (name) => {
      if (!prepared.has(name)) {
        await migrateStore(config, name);
        prepared.add(name);
      }
    },
  });
  return {
    engine,
    config,
    stores,
    adminUrl,
    async owner(name) {
      await storeHandle(stores, name);
      const location = storeLocation(config, name);
      if (location.engine !== 'postgres') {
        throw new Error('expected a PostgreSQL store');
      }
      const db = await openPostgresDatabase(name, location.adminUrl, { maxConnections: 2 });
      owners.push(db);
      return db;
    },
    async close() {
      await Promise.all(owners.map((db) => db.close()));
      await stores.close();
      await dropPrefixed(adminUrl, prefix);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Drops every database and role of one test installation. */
async function dropPrefixed(adminUrl: string, prefix: string): Promise<void> {
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
