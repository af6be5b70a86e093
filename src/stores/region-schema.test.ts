import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../../test/harness/engines.ts';
import type { Queryable } from './database.ts';

/**
 * The Citus rule (SPEC 3): every customer-data table carries `space_id`, and
 * `space_id` is part of every primary key, unique constraint, unique index and
 * foreign key (on both sides). Reads the catalogue, so a table added later that
 * breaks the rule fails here.
 */
const storeMetadataTables = new Set(['kith_schema_migrations', 'kith_store']);

interface Constraint {
  table_name: string;
  name: string;
  type: 'p' | 'u' | 'f';
  columns: string[];
  referenced_columns: string[] | null;
}

async function violations(db: Queryable): Promise<string[]> {
  const problems: string[] = [];
  const tables = await db.query<{ table_name: string; has_space_id: boolean }>(
    `SELECT c.relname AS table_name,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'space_id' AND NOT a.attisdropped) AS has_space_id
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
  );
  const customerTables = tables.rows.filter((t) => !storeMetadataTables.has(t.table_name));
  for (const table of customerTables) {
    if (!table.has_space_id) {
      problems.push(`${table.table_name}: no space_id column`);
    }
  }
  const constraints = await db.query<Constraint>(
    `SELECT cl.relname AS table_name, con.conname AS name, con.contype AS type,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) k JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k) AS columns,
            CASE WHEN con.contype = 'f' THEN
              ARRAY(SELECT a.attname::text FROM unnest(con.confkey) k JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k)
            END AS referenced_columns
       FROM pg_constraint con
       JOIN pg_class cl ON cl.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = 'public' AND con.contype IN ('p', 'u', 'f')`,
  );
  const byTable = new Map<string, Constraint[]>();
  for (const c of constraints.rows) {
    byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c]);
  }
  for (const table of customerTables) {
    const own = byTable.get(table.table_name) ?? [];
    if (!own.some((c) => c.type === 'p')) {
      problems.push(`${table.table_name}: no primary key`);
    }
    for (const c of own) {
      if (!c.columns.includes('space_id')) {
        problems.push(
          `${table.table_name}.${c.name}: ${c.type === 'f' ? 'foreign key' : 'key'} without space_id`,
        );
      }
      if (c.type === 'f' && !(c.referenced_columns ?? []).includes('space_id')) {
        problems.push(`${table.table_name}.${c.name}: references a key without space_id`);
      }
    }
  }
  const uniqueIndexes = await db.query<{
    table_name: string;
    index_name: string;
    columns: string[];
  }>(
    `SELECT t.relname AS table_name, i.relname AS index_name,
            ARRAY(SELECT a.attname::text FROM unnest(x.indkey) k JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k) AS columns
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND x.indisunique`,
  );
  for (const index of uniqueIndexes.rows) {
    if (!storeMetadataTables.has(index.table_name) && !index.columns.includes('space_id')) {
      problems.push(`${index.table_name}.${index.index_name}: unique index without space_id`);
    }
  }
  return problems;
}

forEachEngine('region schema is Citus-ready', (env) => {
  test('every customer-data table keys, uniques and references by space_id', async () => {
    const db = await env().stores.region('eu');
    assert.deepEqual(await violations(db), []);
  });

  test('the check fails on a table that breaks the rule', async () => {
    const db = await env().owner('region_uk');
    await db.exec(`CREATE TABLE kith_rule_probe (id uuid PRIMARY KEY, email text UNIQUE)`);
    try {
      const found = await violations(db);
      assert.ok(found.includes('kith_rule_probe: no space_id column'), found.join('\n'));
      assert.ok(
        found.some((p) => p.startsWith('kith_rule_probe.kith_rule_probe_pkey')),
        found.join('\n'),
      );
      assert.ok(
        found.some((p) => p.startsWith('kith_rule_probe.kith_rule_probe_email_key')),
        found.join('\n'),
      );
    } finally {
      await db.exec('DROP TABLE kith_rule_probe');
    }
  });
});
