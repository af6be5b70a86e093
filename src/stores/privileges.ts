import type { StoreKind } from './store-names.ts';

/**
 * What a store's own login role may do to each table on PostgreSQL. Tables not
 * named get `defaultPrivileges`. Narrower grants (append-only tables: SELECT,
 * INSERT) are listed here so that re-provisioning never widens them.
 */
export const defaultPrivileges = 'SELECT, INSERT, UPDATE, DELETE';

export const tablePrivileges: Record<StoreKind, Readonly<Record<string, string>>> = {
  platform: { kith_schema_migrations: 'SELECT', kith_store: 'SELECT' },
  region: {
    kith_schema_migrations: 'SELECT',
    kith_store: 'SELECT',
    // The history is append-only (SPEC 4.3): the application never rewrites it.
    history_entries: 'SELECT, INSERT',
    history_checkpoints: 'SELECT, INSERT',
    // Erasure deletes values (redaction); nothing updates them.
    history_values: 'SELECT, INSERT, DELETE',
    // The chain head moves forward with every append; it is never deleted.
    history_heads: 'SELECT, INSERT, UPDATE',
  },
  hr: { kith_schema_migrations: 'SELECT', kith_store: 'SELECT' },
  sales: { kith_schema_migrations: 'SELECT', kith_store: 'SELECT' },
  support: { kith_schema_migrations: 'SELECT', kith_store: 'SELECT' },
};
