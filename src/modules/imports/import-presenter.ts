import type { ImportRecord } from './import.repository.ts';
import type { ImportView } from './imports.schemas.ts';

/** What leaves the server about an import: no row content, only lines and reasons. */
export function toImportView(
  record: ImportRecord,
  rejectedRows: readonly { line: number; reason: string }[],
  nextRejectedAfter: number | null,
  committedRows: number,
): ImportView {
  const total = record.counts.totalRows;
  const validating = record.status === 'queued' || record.status === 'validating';
  const committing = record.status === 'committing';
  const done = validating
    ? record.counts.processedRows
    : committing
      ? committedRows
      : record.status === 'committed'
        ? record.counts.validRows
        : record.counts.processedRows;
  const phaseTotal = validating || record.dryRun ? total : record.counts.validRows;
  // Validation is the first half of a real import's work, the commit the second.
  const share = phaseTotal === 0 ? 1 : done / phaseTotal;
  const fraction = record.dryRun
    ? validating
      ? share
      : 1
    : validating
      ? share / 2
      : committing
        ? 0.5 + share / 2
        : 1;
  return {
    id: record.id,
    status: record.status,
    dryRun: record.dryRun,
    fileName: record.fileName,
    format: record.fileFormat,
    size: record.fileSize,
    sha256: record.fileSha256,
    options: record.options,
    progress: {
      phase: validating ? 'validating' : committing ? 'committing' : 'done',
      done,
      total: phaseTotal,
      fraction: Math.min(1, Math.round(fraction * 1000) / 1000),
    },
    counts: { ...record.counts },
    rejectedRows: [...rejectedRows],
    nextRejectedAfter,
    error: record.error,
    createdAt: record.createdAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
  };
}
