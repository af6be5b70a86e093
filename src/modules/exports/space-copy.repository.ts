import type { CopyOut, Database, Queryable } from '../../stores/database.ts';
import type { SpaceTable } from '../../stores/space-tables.ts';
import { type CopyPlan, planSelect } from './copy-layouts.ts';
import { dollarQuote } from './copy-text.ts';
import { quoteIdentifier } from './export-columns.ts';

/**
 * A Space's rows of one table as the engine's own COPY output: page by page in
 * primary-key order (copySpaceRowPages), or on PostgreSQL one COPY in storage
 * order (copySpaceRowsScan): the bytes a format writes, produced by the database (see
 * copy-layouts.ts). Each page is a key range, so memory holds one page on PGlite
 * (whose COPY returns its whole output at once); on PostgreSQL the page streams.
 * A page first finds its last key (an index scan), so its row count is known
 * before its bytes: progress and row counts need no pass over them.
 */
export interface CopyPage {
  readonly rows: number;
  readonly chunks: AsyncIterable<Buffer> | readonly Buffer[];
  /** Rows end with CR LF already (PostgreSQL frames its rows: copyOutCrlfChunks); else with `\n`. */
  readonly crlf?: boolean;
}

/**
 * Where pages are read: a transaction (PostgreSQL, the export's snapshot), or a
 * database whose `transaction` keeps each page's two statements together
 * (PGlite, which reads live: its one connection cannot be held for a whole export).
 */
export type CopySource = Queryable & CopyOut & Partial<Pick<Database, 'transaction'>>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The pages of `table`'s rows of the Space under `plan`; `pageRows()` is each next page's size. */
export async function* copySpaceRowPages(
  source: CopySource,
  spaceId: string,
  table: SpaceTable,
  plan: CopyPlan,
  pageRows: () => number,
): AsyncGenerator<CopyPage> {
  if (!uuidPattern.test(spaceId)) {
    throw new Error('copySpaceRowPages: the Space id must be a lower-case UUID');
  }
  if (!table.primaryKey.includes('space_id')) {
    throw new Error(`table ${table.name} has no primary key with space_id: it cannot be exported`);
  }
  const typeOf = new Map(table.columns.map((column) => [column.name, column.type]));
  const key = table.primaryKey.filter((name) => name !== 'space_id');
  const order = key.map((name) => `r.${quoteIdentifier(name)}`).join(', ');
  const tuple = (values: readonly string[]) =>
    `(${key.map((name, i) => `${dollarQuote(values[i] ?? '')}::${typeOf.get(name)}`).join(', ')})`;
  const from = `FROM ${quoteIdentifier(table.name)} AS r WHERE r.space_id = '${spaceId}'`;
  const buffered = source.transaction !== undefined;
  let cursor: string[] | undefined;
  for (;;) {
    const limit = Math.max(1, pageRows());
    const after = cursor ? ` AND (${order}) > ${tuple(cursor)}` : '';
    const read = async (db: Queryable & CopyOut) => {
      const last =
        key.length === 0
          ? undefined
          : (
              await db.query<Record<string, string>>(
                `SELECT ${key.map((name, i) => `r.${quoteIdentifier(name)}::text AS k${i}`).join(', ')} ${from}${after} ORDER BY ${order} OFFSET ${limit - 1} LIMIT 1`,
              )
            ).rows[0];
      const bound = last ? key.map((_, i) => last[`k${i}`] as string) : undefined;
      const rows = bound
        ? limit
        : ((await db.query<{ count: number }>(`SELECT count(*)::int AS count ${from}${after}`))
            .rows[0]?.count ?? 0);
      if (rows === 0) {
        return { rows, bound, chunks: [] as Buffer[] };
      }
      const upTo = bound ? ` AND (${order}) <= ${tuple(bound)}` : '';
      const ordered = key.length === 0 ? '' : ` ORDER BY ${order}`;
      const select = planSelect(plan, from, `${after}${upTo}${ordered}`);
      const chunks = db.copyOutChunks(select, plan.options);
      return { rows, bound, chunks: buffered ? await collect(chunks) : chunks };
    };
    const page =
      source.transaction !== undefined
        ? await source.transaction((tx) => read(tx))
        : await read(source);
    if (page.rows > 0) {
      yield { rows: page.rows, chunks: page.chunks };
    }
    if (!page.bound) {
      return;
    }
    cursor = page.bound;
  }
}

/**
 * All of `table`'s rows of the Space under `plan` as ONE page: one COPY streamed
 * in storage order, with no ORDER BY, so PostgreSQL reads the heap in a plain
 * scan rather than jumping around it in (random UUID) key order: the key-ordered
 * pages ran at half the scan's pace. Only for a PostgreSQL transaction holding a
 * snapshot (REPEATABLE READ): the rows are then exactly `rows`, counted in that
 * snapshot, and memory holds what the stream's backpressure lets in (the reader
 * pulls each chunk; the socket is read only then). With `lineEnd` CR LF, rows
 * end as a CSV file's do, framed by the protocol (the page says so: `crlf`).
 */
export function copySpaceRowsScan(
  source: Queryable & CopyOut,
  spaceId: string,
  table: SpaceTable,
  plan: CopyPlan,
  rows: number,
  lineEnd: '\n' | '\r\n' = '\n',
): AsyncIterable<CopyPage> {
  if (!uuidPattern.test(spaceId)) {
    throw new Error('copySpaceRowsScan: the Space id must be a lower-case UUID');
  }
  const from = `FROM ${quoteIdentifier(table.name)} AS r WHERE r.space_id = '${spaceId}'`;
  const select = planSelect(plan, from, '');
  return (async function* () {
    if (rows > 0) {
      if (lineEnd === '\r\n' && source.copyOutCrlfChunks) {
        yield { rows, chunks: source.copyOutCrlfChunks(select, plan.options), crlf: true };
      } else {
        yield { rows, chunks: source.copyOutChunks(select, plan.options) };
      }
    }
  })();
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) {
    all.push(chunk);
  }
  return all;
}
