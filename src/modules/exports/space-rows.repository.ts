import type { Queryable } from '../../stores/database.ts';
import type { SpaceTable } from '../../stores/space-tables.ts';
import { type ExportRow, presentationSql, quoteIdentifier } from './export-columns.ts';

/**
 * SQL that reads one Space's rows of any region table, whatever its columns, in
 * primary-key order by keyset pages: memory holds one page, however many rows the
 * Space has, and each page is an index range scan.
 */

/** How many rows of the Space `table` holds. */
export async function countSpaceRows(
  db: Queryable,
  spaceId: string,
  table: SpaceTable,
): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM ${quoteIdentifier(table.name)} WHERE space_id = $1`,
    [spaceId],
  );
  return rows[0]?.count ?? 0;
}

/** The Space's rows of `table`, page by page, in primary-key order, as export text. */
export async function* readSpaceRowPages(
  db: Queryable,
  spaceId: string,
  table: SpaceTable,
  pageSize: number,
): AsyncGenerator<ExportRow[]> {
  if (!table.primaryKey.includes('space_id')) {
    throw new Error(`table ${table.name} has no primary key with space_id: it cannot be exported`);
  }
  const typeOf = new Map(table.columns.map((column) => [column.name, column.type]));
  // space_id is fixed by the WHERE clause; the rest of the key orders the pages.
  const key = table.primaryKey.filter((name) => name !== 'space_id');
  const values = table.columns.map(
    (column, i) => `${presentationSql(column.name, column.type)} AS v${i}`,
  );
  const keys = key.map((name, i) => `${quoteIdentifier(name)}::text AS k${i}`);
  const select = `SELECT ${[...values, ...keys].join(', ')} FROM ${quoteIdentifier(table.name)}`;
  const order = key.map(quoteIdentifier).join(', ');
  const after = `(${order}) > (${key.map((name, i) => `$${i + 2}::${typeOf.get(name)}`).join(', ')})`;
  let cursor: string[] | undefined;
  for (;;) {
    const sql =
      key.length === 0
        ? `${select} WHERE space_id = $1`
        : `${select} WHERE space_id = $1${cursor ? ` AND ${after}` : ''} ORDER BY ${order} LIMIT ${pageSize}`;
    const { rows } = await db.query<Record<string, string | null>>(sql, [
      spaceId,
      ...(cursor ?? []),
    ]);
    if (rows.length > 0) {
      yield rows.map((row) => table.columns.map((_, i) => row[`v${i}`] ?? null));
    }
    const last = rows.at(-1);
    if (key.length === 0 || rows.length < pageSize || !last) {
      return;
    }
    cursor = key.map((_, i) => last[`k${i}`] as string);
  }
}
