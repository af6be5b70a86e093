import { mkdir } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Database } from './database.ts';
import { DatabaseRoleSecrets } from './database-roles.ts';
import { migrate, pendingMigrations } from './migrations.ts';
import { openPGliteDatabase } from './pglite-database.ts';
import { openPostgresDatabase } from './postgres-database.ts';
import { grantTablePrivileges, provisionDatabaseAndRole } from './postgres-provisioning.ts';
import { assertStoreIdentity } from './store-identity.ts';
import { storeLocation, withCredentials } from './store-locations.ts';
import {
  allStoreNames,
  type Department,
  regionStoreName,
  type StoreName,
  storeKind,
} from './store-names.ts';

/**
 * The stores of one installation, each opened on first use (an unused region or
 * department costs nothing). Callers ask for the store they are allowed to hold:
 * a department module asks for its department only.
 */
export interface StoresOptions {
  /** Runs once before a store is first opened (the test harness clones templates here). */
  prepareStore?: (name: StoreName) => Promise<void>;
}

export class Stores {
  private readonly handles = new Map<StoreName, Promise<Database>>();

  constructor(
    readonly config: Config,
    private readonly options: StoresOptions = {},
  ) {}

  platform(): Promise<Database> {
    return this.get('platform');
  }

  /** The store of a configured region; a region not in use is an error, never a fallback. */
  region(region: string): Promise<Database> {
    if (!this.config.regions.includes(region)) {
      throw new AppError('unavailable', `region ${region} is not configured (KITH_REGIONS)`);
    }
    return this.get(regionStoreName(region));
  }

  department(name: Department): Promise<Database> {
    return this.get(name);
  }

  /** Stores opened so far. */
  opened(): StoreName[] {
    return [...this.handles.keys()];
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map(async (h) => (await h.catch(() => undefined))?.close()));
  }

  private get(name: StoreName): Promise<Database> {
    let handle = this.handles.get(name);
    if (!handle) {
      const prepare = this.options.prepareStore;
      handle = prepare
        ? prepare(name).then(() => openStore(this.config, name))
        : openStore(this.config, name);
      handle.catch(() => this.handles.delete(name));
      this.handles.set(name, handle);
    }
    return handle;
  }
}

/**
 * Opens a store as the platform uses it. Embedded stores are created and migrated
 * on first open; on PostgreSQL the platform connects as the store's own role and
 * asks for `kith migrate` when the schema is behind.
 */
async function openStore(config: Config, name: StoreName): Promise<Database> {
  const location = storeLocation(config, name);
  const kind = storeKind(name);
  if (location.engine === 'pglite') {
    await mkdir(location.directory, { recursive: true });
    const db = await openPGliteDatabase(name, location.directory);
    try {
      await migrate(db, kind, name);
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
  }
  let url = location.adminUrl;
  if (location.provisioned) {
    const password = await new DatabaseRoleSecrets(config.dataDir).passwordOf(
      location.provisioned.role,
    );
    if (!password) {
      throw new AppError(
        'unavailable',
        `store ${name} has no database role yet: run kith init (or kith migrate)`,
      );
    }
    url = withCredentials(location.adminUrl, location.provisioned.role, password);
  }
  const db = await openPostgresDatabase(name, url).catch((error: unknown) => {
    throw new AppError(
      'unavailable',
      `store ${name}: cannot connect to PostgreSQL: ${String(error)}`,
    );
  });
  try {
    await assertStoreIdentity(db, name);
    const pending = await pendingMigrations(db, kind, name);
    if (pending.length > 0) {
      throw new AppError(
        'unavailable',
        `store ${name} is behind by ${pending.length} migration(s): run kith migrate`,
      );
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * Brings one store to the latest schema, creating its database and login role on
 * PostgreSQL when Kith provisions the server. Returns the migrations applied.
 */
export async function migrateStore(config: Config, name: StoreName): Promise<string[]> {
  const location = storeLocation(config, name);
  const kind = storeKind(name);
  if (location.engine === 'pglite') {
    await mkdir(location.directory, { recursive: true });
    const db = await openPGliteDatabase(name, location.directory);
    try {
      return await migrate(db, kind, name);
    } finally {
      await db.close();
    }
  }
  if (location.provisioned) {
    await provisionDatabaseAndRole(
      location.adminUrl,
      location.provisioned,
      new DatabaseRoleSecrets(config.dataDir),
    );
  }
  const db = await openPostgresDatabase(name, location.adminUrl, { maxConnections: 1 });
  try {
    const applied = await migrate(db, kind, name);
    const role = location.provisioned?.role;
    if (role) {
      await db.transaction((tx) => grantTablePrivileges(tx, kind, role));
    }
    return applied;
  } finally {
    await db.close();
  }
}

/** Every configured store, one after the other; `{store: applied}`. */
export async function migrateAll(config: Config): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const name of allStoreNames(config.regions)) {
    result[name] = await migrateStore(config, name);
  }
  return result;
}
