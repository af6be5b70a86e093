import type { Writable } from 'node:stream';
import type { ServiceDeps } from '../../services.ts';
import type { Queryable } from '../../stores/database.ts';
import type { HistoryActor } from '../history/history-writer.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import { writeCsvExport } from './csv-writer.ts';
import { completeExport, failExport, recordExportProgress } from './export.repository.ts';
import { isoMicros } from './export-columns.ts';
import { type ExportContent, membersTable, regionTables } from './export-content.ts';
import type { ExportFormat } from './export-formats.ts';
import { deleteExportFiles, writeExportFile } from './export-storage.ts';
import { writeJsonExport, writeNdjsonExport } from './json-writers.ts';
import { writeParquetExport } from './parquet-writer.ts';
import type { CopySource } from './space-copy.repository.ts';
import { writeXlsxExport } from './xlsx-writer.ts';

const writers: Record<ExportFormat, (out: Writable, content: ExportContent) => Promise<void>> = {
  csv: writeCsvExport,
  xlsx: writeXlsxExport,
  json: writeJsonExport,
  ndjson: writeNdjsonExport,
  parquet: writeParquetExport,
};

/** How often a running job writes its progress (and heartbeat). */
const progressIntervalMs = 1000;

export interface ExportJob {
  readonly id: string;
  readonly spaceId: string;
  readonly region: string;
  readonly format: ExportFormat;
  readonly fileName: string;
  readonly createdAt: Date;
  /** Who asked, as they were: the history entry names them. */
  readonly actor: HistoryActor;
  readonly source: 'api' | 'cli' | 'console' | 'system';
  readonly device: string | null;
  readonly ip: string | null;
}

/**
 * Runs one export job to its end: reads the whole Space, writes the file, and
 * marks the job completed together with its `export.create` history entry (one
 * transaction), or failed. Never throws: the job's row says how it ended.
 */
export async function runExportJob(deps: ServiceDeps, job: ExportJob): Promise<void> {
  const db = await deps.stores.region(job.region);
  try {
    const platform = await deps.stores.platform();
    const members = await membersTable(platform, job.spaceId);
    const read = (source: CopySource) => writeWith(deps, job, source, db, members);
    // On PostgreSQL the Space is read in one REPEATABLE READ snapshot, so the
    // tables agree with each other. PGlite has one connection: a transaction held
    // for the whole export would stall every other request, so it reads live.
    const result =
      db.engine === 'postgres'
        ? await db.transaction(async (tx) => {
            await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
            // The COPY selects are long expressions (copy-layouts.ts) over many rows:
            // JIT would compile them again for every page, for far longer than they run.
            await tx.query('SET LOCAL jit = off');
            return read(tx);
          })
        : await read(db);
    const at = deps.clock();
    const completed = await db.transaction(async (tx) => {
      if (!(await completeExport(tx, job.spaceId, job.id, { ...result, at }))) {
        return false;
      }
      await appendHistoryEntries(tx, job.spaceId, [
        {
          actor: job.actor,
          action: 'export.create',
          target: { type: 'export', id: job.id },
          changes: [
            { field: 'format', from: null, to: job.format },
            { field: 'rowCounts', from: null, to: result.rowCounts },
            { field: 'sizeBytes', from: null, to: result.sizeBytes },
            { field: 'sha256', from: null, to: result.sha256 },
          ],
          source: job.source,
          device: job.device,
          ip: job.ip,
          at,
        },
      ]);
      return true;
    });
    if (!completed) {
      // The sweep gave the job up while it waited: its file must not outlive it.
      await deleteExportFiles(deps.config, job.region, job.fileName);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await deleteExportFiles(deps.config, job.region, job.fileName).catch(() => undefined);
    await failExport(db, job.spaceId, job.id, {
      error: `the export failed: ${reason.slice(0, 500)}`,
      at: deps.clock(),
    }).catch(() => undefined);
  }
}

async function writeWith(
  deps: ServiceDeps,
  job: ExportJob,
  source: CopySource,
  progressDb: Queryable,
  members: Awaited<ReturnType<typeof membersTable>>,
) {
  const tables = [members, ...(await regionTables(source, job.spaceId))];
  const rowsTotal = tables.reduce((sum, table) => sum + table.expectedRows, 0);
  const rowCounts: Record<string, number> = Object.fromEntries(tables.map((t) => [t.name, 0]));
  let rowsDone = 0;
  let reportedAt = 0;
  let reporting: Promise<void> = Promise.resolve();
  const report = () => {
    reportedAt = Date.now();
    const progress = { rowsDone, rowsTotal: Math.max(rowsTotal, rowsDone), at: deps.clock() };
    reporting = reporting
      .then(() => recordExportProgress(progressDb, job.spaceId, job.id, progress))
      .catch(() => undefined);
  };
  report();
  const content: ExportContent = {
    header: {
      exportId: job.id,
      spaceId: job.spaceId,
      region: job.region,
      createdAt: isoMicros(job.createdAt),
      format: job.format,
    },
    tables,
    onRows: (table, rows) => {
      rowCounts[table] = (rowCounts[table] ?? 0) + rows;
      rowsDone += rows;
      if (Date.now() - reportedAt >= progressIntervalMs) {
        report();
      }
    },
  };
  const file = await writeExportFile(deps.config, job.region, job.fileName, (out) =>
    writers[job.format](out, content),
  );
  await reporting;
  return { ...file, rowCounts };
}
