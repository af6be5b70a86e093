import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.ts';
import type { Queryable, Transaction } from './database.ts';
import { claimStoreIdentity } from './store-identity.ts';
import type { StoreKind } from './store-names.ts';

/**
 * Forward-only migrations: `migrations/<kind>/<YYYYMMDDHHMM>_<name>.sql`, plain SQL
 * run identically on PGlite and PostgreSQL. A released migration is never edited:
 * its checksum is recorded and a changed file stops the store from opening.
 */
export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const migrationsRoot = fileURLToPath(new URL('./migrations/', import.meta.url));
const cache = new Map<StoreKind, Promise<Migration[]>>();

export function migrationsFor(kind: StoreKind): Promise<Migration[]> {
  let pending = cache.get(kind);
  if (!pending) {
    pending = loadMigrations(kind);
    cache.set(kind, pending);
  }
  return pending;
}

async function loadMigrations(kind: StoreKind): Promise<Migration[]> {
  const directory = `${migrationsRoot}${kind}/`;
  const files = (await readdir(directory)).filter((f) => /^\d{12}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(directory + file, 'utf8');
      return { name: file.replace(/\.sql$/, ''), sql, checksum: sha256(sql) };
    }),
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const ledgerDdl = `CREATE TABLE IF NOT EXISTS kith_schema_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

interface Applied {
  name: string;
  checksum: string;
}

/** Migrations of `kind` not yet applied; throws when an applied one was edited or is unknown. */
export async function pendingMigrations(db: Queryable, kind: StoreKind, store: string) {
  const all = await migrationsFor(kind);
  const exists = await db.query<{ present: boolean }>(
    `SELECT to_regclass('public.kith_schema_migrations') IS NOT NULL AS present`,
  );
  if (!exists.rows[0]?.present) {
    return all;
  }
  const { rows } = await db.query<Applied>('SELECT name, checksum FROM kith_schema_migrations');
  const applied = new Map(rows.map((r) => [r.name, r.checksum]));
  for (const [name, checksum] of applied) {
    const known = all.find((m) => m.name === name);
    if (!known) {
      throw new AppError(
        'integrity_failure',
        `store ${store} has migration ${name}, which this version of Kith does not know: it is newer than this code`,
      );
    }
    if (known.checksum !== checksum) {
      throw new AppError(
        'integrity_failure',
        `store ${store}: migration ${name} was edited after it was applied; restore the released file`,
      );
    }
  }
  return all.filter((m) => !applied.has(m.name));
}

/**
 * Applies what is pending, all in one transaction under an advisory lock, so that
 * two processes migrating the same store at once apply each migration once.
 */
export async function migrate(
  db: { transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> },
  kind: StoreKind,
  store: string,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('kith.migrate'))`);
    await claimStoreIdentity(tx, store);
    await tx.query(ledgerDdl);
    const pending = await pendingMigrations(tx, kind, store);
    for (const migration of pending) {
      await tx.exec(migration.sql).catch((error: unknown) => {
        throw new AppError(
          'internal',
          `store ${store}: migration ${migration.name} failed: ${String(error)}`,
        );
      });
      await tx.query('INSERT INTO kith_schema_migrations (name, checksum) VALUES ($1, $2)', [
        migration.name,
        migration.checksum,
      ]);
    }
    return pending.map((m) => m.name);
  });
}
