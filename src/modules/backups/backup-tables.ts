import { AppError } from '../../errors.ts';
import type { CopyOut, Engine, Queryable } from '../../stores/database.ts';
import { readSpaceTables, type SpaceTable } from '../../stores/space-tables.ts';

/**
 * Which of a region store's Space tables a backup holds and a restore writes.
 * The data key is never in a backup (a backup would carry its own key), and the
 * erasure ledger is not taken back from one (it must only ever grow). History
 * tables are in every backup; a restore appends from them, never rewrites
 * (see restore-history.ts).
 */
const notBackedUp = new Set(['space_data_keys', 'erasure_ledger']);
export const historyTables = new Set([
  'history_heads',
  'history_entries',
  'history_values',
  'history_checkpoints',
]);

/** The tables a backup holds, parents first. */
export async function backedUpTables(db: Queryable): Promise<SpaceTable[]> {
  return (await readSpaceTables(db)).filter((table) => !notBackedUp.has(table.name));
}

/** The store's applied migrations: a backup's schema version. */
export async function appliedMigrations(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT name FROM kith_schema_migrations ORDER BY name',
  );
  return rows.map((row) => row.name);
}

/** A SQL identifier, quoted. Names come from the catalogue, never from input. */
export function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const pageRows = 2000;

/**
 * Every row of the Space in `table` as its `row_to_json` text, in primary-key
 * order, one keyset page at a time: memory stays flat whatever the Space's size.
 */
export async function* spaceRows(
  db: Queryable,
  table: SpaceTable,
  spaceId: string,
): AsyncGenerator<string> {
  const rest = table.primaryKey.filter((column) => column !== 'space_id');
  const typeOf = new Map(table.columns.map((column) => [column.name, column.type]));
  const keyColumns = rest.map((column, i) => `t.${quoted(column)}::text AS k${i}`);
  const order = ['space_id', ...rest].map((column) => `t.${quoted(column)}`).join(', ');
  const select = `SELECT row_to_json(t)::text AS j${keyColumns.map((c) => `, ${c}`).join('')}
    FROM ${quoted(table.name)} t WHERE t.space_id = $1`;
  const after =
    rest.length === 0
      ? ''
      : ` AND (${rest.map((c) => `t.${quoted(c)}`).join(', ')}) > (${rest
          .map((c, i) => `$${i + 2}::${typeOf.get(c) ?? 'text'}`)
          .join(', ')})`;
  let last: string[] | undefined;
  for (;;) {
    const sql = `${select}${last ? after : ''} ORDER BY ${order} LIMIT ${pageRows}`;
    const { rows } = await db.query<Record<string, string>>(sql, [spaceId, ...(last ?? [])]);
    for (const row of rows) {
      yield row.j as string;
    }
    const tail = rows.at(-1);
    if (!tail || rows.length < pageRows || rest.length === 0) {
      return;
    }
    last = rest.map((_, i) => tail[`k${i}`] as string);
  }
}

/** A value inlined into SQL as a typed literal (COPY takes no parameters). */
export function literal(value: string, type: string): string {
  return `'${value.replaceAll("'", "''")}'::${type}`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A Space id checked to be a UUID before it is inlined into a COPY statement. */
export function spaceLiteral(spaceId: string): string {
  if (!uuidPattern.test(spaceId)) {
    throw new AppError('invalid_input', `"${spaceId}" is not a Space id`);
  }
  return `'${spaceId}'::uuid`;
}

/** Rows of one COPY page on PGlite, which produces a COPY's whole output at once. */
const copyPageRows = 50_000;

/**
 * Every row of the Space in `table` as COPY text (one line per row, the table's
 * columns in order), in chunks cut at arbitrary byte boundaries. PostgreSQL
 * streams one COPY; PGlite, which materialises a COPY's output, is read in
 * primary-key ranges of 50,000 rows, so memory stays bounded on both.
 */
export async function* copySpaceRows(
  tx: Queryable & CopyOut,
  engine: Engine,
  table: SpaceTable,
  spaceId: string,
): AsyncGenerator<Buffer> {
  const columns = table.columns.map((column) => `t.${quoted(column.name)}`).join(', ');
  const select = `SELECT ${columns} FROM ${quoted(table.name)} t WHERE t.space_id = ${spaceLiteral(spaceId)}`;
  const rest = table.primaryKey.filter((column) => column !== 'space_id');
  if (engine === 'postgres' || rest.length === 0) {
    yield* tx.copyOutChunks(select);
    return;
  }
  const typeOf = new Map(table.columns.map((column) => [column.name, column.type]));
  const key = rest.map((column) => `t.${quoted(column)}`).join(', ');
  // Every 50,000th key of the Space, in key order: the upper bounds of the pages.
  const { rows } = await tx.query<Record<string, string>>(
    `SELECT ${rest.map((_, i) => `k${i}`).join(', ')} FROM (
       SELECT ${rest.map((column, i) => `t.${quoted(column)}::text AS k${i}`).join(', ')},
              row_number() OVER (ORDER BY ${key}) AS n
         FROM ${quoted(table.name)} t WHERE t.space_id = $1) s
      WHERE n % ${copyPageRows} = 0 ORDER BY n`,
    [spaceId],
  );
  const tuple = (row: Record<string, string>) =>
    `(${rest.map((column, i) => literal(row[`k${i}`] as string, typeOf.get(column) ?? 'text')).join(', ')})`;
  let lower: Record<string, string> | undefined;
  for (const upper of [...rows, undefined]) {
    const range = [
      lower ? `(${key}) > ${tuple(lower)}` : '',
      upper ? `(${key}) <= ${tuple(upper)}` : '',
    ].filter((condition) => condition !== '');
    yield* tx.copyOutChunks(`${select}${range.map((condition) => ` AND ${condition}`).join('')}`);
    lower = upper;
  }
}

/** How many rows a piece of COPY text holds (its line feeds: COPY escapes those in values). */
export function countLines(chunk: Buffer): number {
  let count = 0;
  let at = chunk.indexOf(10);
  while (at !== -1) {
    count += 1;
    at = chunk.indexOf(10, at + 1);
  }
  return count;
}
