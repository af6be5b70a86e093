import { AppError } from '../../errors.ts';
import type { CopyOut, Engine, Queryable } from '../../stores/database.ts';
import { readSpaceTables, type SpaceTable } from '../../stores/space-tables.ts';

/**
 * Which of a region store's Space tables a backup holds and a restore writes.
 * The data key is never in a backup (a backup would carry its own key), and the
 * erasure ledger is not taken back from one (it must only ever grow). Uses of
 * staff grants waiting for the history relay stay where they are through a
 * restore, so that none is lost: they reach the restored chain after it. History
 * tables are in every backup; a restore appends from them, never rewrites
 * (see restore-history.ts).
 */
const notBackedUp = new Set(['space_data_keys', 'erasure_ledger', 'staff_access_pending']);
/**
 * Tables a backup holds (they are the customer's record, in exports too) but a
 * restore never writes: staff grants are access control, not data to roll back.
 * A grant ended or revoked after a backup must stay ended after restoring it,
 * and a Space restored as new starts with no grant at all.
 */
export const keptThroughRestore = new Set(['staff_grants']);
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

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A Space id checked to be a UUID before it is inlined into a COPY statement. */
export function spaceLiteral(spaceId: string): string {
  if (!uuidPattern.test(spaceId)) {
    throw new AppError('invalid_input', `"${spaceId}" is not a Space id`);
  }
  return `'${spaceId}'::uuid`;
}

/** A Space's rows in a table that PGlite copies in one COPY (its output is held whole). */
const copyWholeRows = 50_000;
/** Heap blocks of one COPY page on PGlite beyond that: 8 MiB of table, in physical order. */
const copyPageBlocks = 1024;

/**
 * Every row of the Space in `table` as COPY text (one line per row, the table's
 * columns in order), in chunks cut at arbitrary byte boundaries. PostgreSQL
 * streams one COPY. PGlite materialises a COPY's output, so a Space with many
 * rows in the table is read in ranges of heap blocks (`ctid`, a TID range scan:
 * sequential reads, unlike key ranges, whose index order scatters over the
 * heap); memory stays bounded on both. Inside the backup's repeatable-read
 * snapshot every visible row lies below the table's current size.
 */
export async function* copySpaceRows(
  tx: Queryable & CopyOut,
  engine: Engine,
  table: SpaceTable,
  spaceId: string,
): AsyncGenerator<Buffer> {
  const columns = table.columns.map((column) => `t.${quoted(column.name)}`).join(', ');
  const select = `SELECT ${columns} FROM ${quoted(table.name)} t WHERE t.space_id = ${spaceLiteral(spaceId)}`;
  if (engine === 'postgres') {
    yield* tx.copyOutChunks(select);
    return;
  }
  const { rows } = await tx.query<{ n: number; blocks: number }>(
    `SELECT (SELECT count(*) FROM ${quoted(table.name)} WHERE space_id = $1)::int AS n,
            (pg_relation_size($2::regclass) / current_setting('block_size')::int)::int AS blocks`,
    [spaceId, quoted(table.name)],
  );
  const { n = 0, blocks = 0 } = rows[0] ?? {};
  if (n <= copyWholeRows) {
    if (n > 0) {
      yield* tx.copyOutChunks(select);
    }
    return;
  }
  for (let start = 0; start < blocks; start += copyPageBlocks) {
    const end = start + copyPageBlocks;
    // The last range is open: nothing visible to this snapshot lies beyond it.
    const range =
      end >= blocks
        ? ` AND t.ctid >= '(${start},0)'::tid`
        : ` AND t.ctid >= '(${start},0)'::tid AND t.ctid < '(${end},0)'::tid`;
    yield* tx.copyOutChunks(`${select}${range}`);
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
