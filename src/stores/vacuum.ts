import type { Database } from './database.ts';

interface TableActivity {
  relname: string;
  needs_vacuum: boolean;
  needs_analyze: boolean;
}

/**
 * PGlite runs no autovacuum worker, so the platform vacuums what it writes: the
 * tables whose dead rows or changes since the last analyze pass autovacuum's own
 * default thresholds (50 rows + 20% / 10% of live rows). Returns the tables it vacuumed.
 */
export async function vacuumWhereNeeded(database: Database): Promise<string[]> {
  // Statistics are flushed lazily; PGlite's one backend is the only writer.
  await database.query('SELECT pg_stat_force_next_flush()');
  await database.query('SELECT 1');
  const { rows } = await database.query<TableActivity>(
    `SELECT relname,
            n_dead_tup > 50 + 0.2 * n_live_tup AS needs_vacuum,
            n_mod_since_analyze > 50 + 0.1 * n_live_tup AS needs_analyze
       FROM pg_stat_user_tables
      WHERE schemaname = 'public'`,
  );
  const vacuumed: string[] = [];
  for (const table of rows) {
    if (!table.needs_vacuum && !table.needs_analyze) {
      continue;
    }
    const verb = table.needs_vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE';
    await database.exec(`${verb} "${table.relname.replaceAll('"', '""')}"`);
    vacuumed.push(table.relname);
  }
  return vacuumed;
}
