import type { CopyOut, Queryable } from '../../stores/database.ts';
import type { SpaceTable } from '../../stores/space-tables.ts';
import { dollarQuote, parseCopyText } from './copy-text.ts';
import { type ExportRow, presentationSql, quoteIdentifier } from './export-columns.ts';

/**
 * SQL that reads one Space's rows of any region table, whatever its columns, in
 * primary-key order by keyset pages: memory holds one page, however many rows the
 * Space has, and each page is an index range scan. Pages come through the
 * engine's COPY (text format), its bulk output path: on PGlite a query's rows
 * cost about ten times more. COPY takes no parameters, so the Space id (a
 * checked UUID) and the keyset values are inlined as dollar-quoted literals.
 */

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
  db: CopyOut,
  spaceId: string,
  table: SpaceTable,
  pageSize: number,
): AsyncGenerator<ExportRow[]> {
  if (!uuidPattern.test(spaceId)) {
    throw new Error('readSpaceRowPages: the Space id must be a lower-case UUID');
  }
  if (!table.primaryKey.includes('space_id')) {
    throw new Error(`table ${table.name} has no primary key with space_id: it cannot be exported`);
  }
  const typeOf = new Map(table.columns.map((column) => [column.name, column.type]));
  // space_id is fixed by the WHERE clause; the rest of the key orders the pages,
  // and its values (as text) end each row of the page, for the next page's keyset.
  const key = table.primaryKey.filter((name) => name !== 'space_id');
  const width = table.columns.length;
  // Output columns are aliased and the key is qualified: ORDER BY must sort by the
  // table's key (its index order), never by an output column of the same name.
  const select = [
    ...table.columns.map(
      (column, i) => `${presentationSql(column.name, column.type, 'r')} AS v${i}`,
    ),
    ...key.map((name, i) => `r.${quoteIdentifier(name)}::text AS k${i}`),
  ].join(', ');
  const from = `FROM ${quoteIdentifier(table.name)} AS r WHERE r.space_id = '${spaceId}'`;
  const order = key.map((name) => `r.${quoteIdentifier(name)}`).join(', ');
  let cursor: string[] | undefined;
  for (;;) {
    const after = cursor
      ? ` AND (${order}) > (${key.map((name, i) => `${dollarQuote(cursor?.[i] ?? '')}::${typeOf.get(name)}`).join(', ')})`
      : '';
    const sql =
      key.length === 0
        ? `SELECT ${select} ${from}`
        : `SELECT ${select} ${from}${after} ORDER BY ${order} LIMIT ${pageSize}`;
    const rows = parseCopyText((await db.copyOut(sql)).toString('utf8'), width + key.length);
    if (rows.length > 0) {
      yield key.length === 0 ? rows : rows.map((row) => row.slice(0, width));
    }
    const last = rows.at(-1);
    if (key.length === 0 || rows.length < pageSize || !last) {
      return;
    }
    cursor = last.slice(width) as string[];
  }
}
