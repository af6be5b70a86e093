/*
 * ============================================================================
 *  PERSISTED CONTRACT — export format version 1 (docs/export-format.md).
 *
 *  Customers keep export files and scripts read them: the tables, columns,
 *  value texts and packaging of version 1 never change meaning. A change a
 *  reader would notice is version 2, written beside it.
 * ============================================================================
 */
import type { Queryable } from '../../stores/database.ts';
import { readSpaceTables } from '../../stores/space-tables.ts';
import { listMembers } from '../spaces/member.repository.ts';
import { type CopyLayout, copyPlan } from './copy-layouts.ts';
import { type ExportColumn, type ExportRow, isoMicros, kindOf } from './export-columns.ts';
import type { ExportFormat } from './export-formats.ts';
import {
  type CopyPage,
  type CopySource,
  copySpaceRowPages,
  copySpaceRowsScan,
} from './space-copy.repository.ts';
import { countSpaceRows, readSpaceRowPages } from './space-rows.repository.ts';

/** Version of the export layout (docs/export-format.md): a persisted contract. */
export const exportFormatVersion = 1;

/** One table of an export: its columns and its rows, read page by page when asked. */
export interface ExportTable {
  readonly name: string;
  readonly columns: readonly ExportColumn[];
  /** Rows when the export started (progress); the file holds what was read. */
  readonly expectedRows: number;
  pages(): AsyncIterable<ExportRow[]>;
  /**
   * The same rows as the engine's COPY writes them in `layout` (copy-layouts.ts),
   * in pages of the engine's size or of `maxRows()` rows if fewer; absent when the
   * table cannot be (members, read from the platform store, or a column type the
   * SQL cannot match).
   */
  copy?(layout: CopyLayout, maxRows?: () => number): AsyncIterable<CopyPage> | undefined;
}

/** What every format writes: who and what the export is, and the Space's tables in order. */
export interface ExportContent {
  readonly header: {
    readonly exportId: string;
    readonly spaceId: string;
    readonly region: string;
    /** ISO 8601 UTC. */
    readonly createdAt: string;
    readonly format: ExportFormat;
  };
  readonly tables: readonly ExportTable[];
  /** Writers call it after each page they have written. */
  readonly onRows: (table: string, rows: number) => void;
}

/** Rows per keyset page: large enough to amortise a statement, small enough to stay constant. */
export const exportPageSize = 10_000;

/** Rows per COPY page: its bytes are all a page holds in memory (PGlite: ~10 MB of CSV). */
export const copyPageSize = 25_000;

const memberColumns: ExportColumn[] = [
  { name: 'user_id', type: 'uuid', kind: 'string' },
  { name: 'name', type: 'text', kind: 'string' },
  { name: 'email', type: 'text', kind: 'string' },
  { name: 'role', type: 'text', kind: 'string' },
  { name: 'added_at', type: 'timestamp with time zone', kind: 'string' },
];

/**
 * The Space's members (platform store) as the export's first table, `members`:
 * the Space's users with their role, never their credentials.
 */
export async function membersTable(platform: Queryable, spaceId: string): Promise<ExportTable> {
  const pageSize = 1000;
  let expected = 0;
  for (let after: { addedAt: Date; userId: string } | undefined, more = true; more; ) {
    const page = await listMembers(platform, spaceId, { limit: pageSize, after });
    expected += page.length;
    const last = page.at(-1);
    more = page.length === pageSize && last !== undefined;
    after = last ? { addedAt: last.created_at, userId: last.user_id } : undefined;
  }
  return {
    name: 'members',
    columns: memberColumns,
    expectedRows: expected,
    async *pages() {
      let after: { addedAt: Date; userId: string } | undefined;
      for (;;) {
        const page = await listMembers(platform, spaceId, { limit: pageSize, after });
        if (page.length > 0) {
          yield page.map((m) => [m.user_id, m.name, m.email, m.role, isoMicros(m.created_at)]);
        }
        const last = page.at(-1);
        if (page.length < pageSize || !last) {
          return;
        }
        after = { addedAt: last.created_at, userId: last.user_id };
      }
    },
  };
}

/**
 * Key material is not the customer's data: the Space's wrapped data key (what
 * its backups are encrypted under) never leaves the server in an export.
 */
const keyMaterialTables = new Set(['space_data_keys']);

/** Every customer-data table of the region store, parents first, restricted to the Space. */
export async function regionTables(region: CopySource, spaceId: string): Promise<ExportTable[]> {
  const tables: ExportTable[] = [];
  for (const table of await readSpaceTables(region)) {
    if (keyMaterialTables.has(table.name)) {
      continue;
    }
    const columns = table.columns.map((column) => ({ ...column, kind: kindOf(column.type) }));
    const expectedRows = await countSpaceRows(region, spaceId, table);
    tables.push({
      name: table.name,
      columns,
      expectedRows,
      pages: () => readSpaceRowPages(region, spaceId, table, exportPageSize),
      // PostgreSQL streams a page: larger pages there cost no memory, fewer key scans.
      copy: (layout, maxRows) => {
        const plan = copyPlan(layout, table.name, columns);
        if (plan && !region.transaction && (!maxRows || maxRows() >= expectedRows)) {
          // PostgreSQL, in the export's snapshot: one streamed COPY in storage order,
          // whose rows are exactly those counted above.
          // CSV rows end with CR LF: PostgreSQL writes them so as it frames each row.
          const lineEnd = layout === 'csv' ? '\r\n' : '\n';
          return copySpaceRowsScan(region, spaceId, table, plan, expectedRows, lineEnd);
        }
        const pageRows = copyPageSize * (region.transaction ? 1 : 4);
        const rows = maxRows ? () => Math.min(pageRows, maxRows()) : () => pageRows;
        return plan && copySpaceRowPages(region, spaceId, table, plan, rows);
      },
    });
  }
  return tables;
}
