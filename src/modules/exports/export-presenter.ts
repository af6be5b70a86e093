import type { ExportRecord, ExportStatus } from './export.repository.ts';
import type { ExportFormat } from './export-formats.ts';

/** What leaves the server about an export job (never its path on disk). */
export interface ExportView {
  id: string;
  format: ExportFormat;
  status: ExportStatus;
  progress: { rowsDone: number; rowsTotal: number; percent: number };
  rowCounts: Record<string, number>;
  size: number | null;
  sha256: string | null;
  error: string | null;
  createdBy: string;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string;
}

export function toExportView(record: ExportRecord): ExportView {
  const percent =
    record.status === 'completed'
      ? 100
      : record.rowsTotal === 0
        ? 0
        : Math.min(99, Math.floor((record.rowsDone * 100) / record.rowsTotal));
  return {
    id: record.id,
    format: record.format,
    status: record.status,
    progress: { rowsDone: record.rowsDone, rowsTotal: record.rowsTotal, percent },
    rowCounts: record.rowCounts,
    size: record.sizeBytes,
    sha256: record.sha256,
    error: record.error,
    createdBy: record.createdBy,
    createdAt: record.createdAt.toISOString(),
    completedAt: record.completedAt?.toISOString() ?? null,
    expiresAt: record.expiresAt.toISOString(),
  };
}
