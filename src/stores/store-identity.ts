import { AppError } from '../errors.ts';
import type { Queryable } from './database.ts';

/**
 * Each database records which store it is, on first migration. Opening it as any
 * other store fails: a region URL pointing at another region's database cannot
 * silently put a Space's data in the wrong jurisdiction.
 */
export const storeIdentityDdl = `CREATE TABLE IF NOT EXISTS kith_store (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  name text NOT NULL
)`;

export async function claimStoreIdentity(tx: Queryable, store: string): Promise<void> {
  await tx.query(storeIdentityDdl);
  await tx.query('INSERT INTO kith_store (name) VALUES ($1) ON CONFLICT (singleton) DO NOTHING', [
    store,
  ]);
  await assertStoreIdentity(tx, store);
}

export async function assertStoreIdentity(db: Queryable, store: string): Promise<void> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT name FROM kith_store WHERE to_regclass('public.kith_store') IS NOT NULL`,
  );
  const actual = rows[0]?.name;
  if (actual !== store) {
    throw new AppError(
      'integrity_failure',
      actual
        ? `the database configured as store ${store} is store ${actual}: check its URL`
        : `the database configured as store ${store} has not been initialised: run kith migrate`,
    );
  }
}
