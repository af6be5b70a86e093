import type { Queryable } from '../../stores/database.ts';
import { quoteIdentifier } from './export-columns.ts';

/** SQL of loading exported rows into a Space (the JSON round trip). */

/** Whether the Space holds any contact (deleted or not) or custom field definition. */
export async function spaceHoldsCustomerData(db: Queryable, spaceId: string): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM contacts WHERE space_id = $1)
         OR EXISTS (SELECT 1 FROM custom_field_definitions WHERE space_id = $1) AS found`,
    [spaceId],
  );
  return rows[0]?.found === true;
}

/**
 * Inserts `rows` (objects keyed by column name, values as the JSON export writes
 * them) into `table`'s `columns`; PostgreSQL converts each value to its column's
 * type (`json_populate_recordset`), so one statement loads a whole batch.
 */
export async function insertExportedRows(
  db: Queryable,
  table: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) {
    return;
  }
  const list = columns.map(quoteIdentifier).join(', ');
  await db.query(
    `INSERT INTO ${quoteIdentifier(table)} (${list})
     SELECT ${list} FROM json_populate_recordset(NULL::${quoteIdentifier(table)}, $1::json)`,
    [JSON.stringify(rows)],
  );
}
