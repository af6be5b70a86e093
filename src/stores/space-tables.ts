import type { Queryable } from './database.ts';

/**
 * The customer-data tables of a region store, read from its catalogue: every
 * table of the `public` schema but the store's own metadata. Exports and backups
 * take "the whole Space" from here, so a table added by a later migration is in
 * them without anyone remembering to list it.
 */
export interface SpaceTable {
  readonly name: string;
  /** Columns in table order, with their SQL type as `format_type` writes it. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** Primary key columns in key order (`space_id` first by convention, always present). */
  readonly primaryKey: readonly string[];
  /** Tables this one references by foreign key (itself excluded). */
  readonly references: readonly string[];
}

const storeMetadataTables = new Set(['kith_schema_migrations', 'kith_store']);

/**
 * The region store's customer-data tables, each after every table it references
 * (load in this order, delete in reverse), ties broken by name.
 */
export async function readSpaceTables(db: Queryable): Promise<SpaceTable[]> {
  const { rows } = await db.query<{
    name: string;
    columns: { name: string; type: string }[];
    primary_key: string[] | null;
    references: string[] | null;
  }>(
    `SELECT c.relname::text AS name,
            (SELECT json_agg(json_build_object('name', a.attname::text,
                                               'type', format_type(a.atttypid, a.atttypmod))
                             ORDER BY a.attnum)
               FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
            (SELECT array_agg(a.attname::text ORDER BY k.ord)
               FROM pg_constraint p
               CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.attnum
              WHERE p.conrelid = c.oid AND p.contype = 'p') AS primary_key,
            (SELECT array_agg(DISTINCT r.relname::text)
               FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid
              WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid) AS references
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`,
  );
  const tables = rows
    .filter((row) => !storeMetadataTables.has(row.name))
    .map(
      (row): SpaceTable => ({
        name: row.name,
        columns: row.columns,
        primaryKey: row.primary_key ?? [],
        references: (row.references ?? []).filter((name) => !storeMetadataTables.has(name)),
      }),
    );
  return parentsFirst(tables);
}

/** Kahn's algorithm over the foreign keys; a cycle (none exists) would be an error. */
function parentsFirst(tables: SpaceTable[]): SpaceTable[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const placed = new Set<string>();
  const ordered: SpaceTable[] = [];
  while (ordered.length < tables.length) {
    const ready = tables.filter(
      (table) =>
        !placed.has(table.name) &&
        table.references.every((parent) => placed.has(parent) || !byName.has(parent)),
    );
    if (ready.length === 0) {
      const left = tables.filter((table) => !placed.has(table.name)).map((table) => table.name);
      throw new Error(`foreign keys form a cycle among: ${left.join(', ')}`);
    }
    for (const table of ready) {
      placed.add(table.name);
      ordered.push(table);
    }
  }
  return ordered;
}
