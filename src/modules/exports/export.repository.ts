import type { Queryable } from '../../stores/database.ts';
import type { ExportFormat } from './export-formats.ts';

/** SQL of export jobs (region store). Every statement names the Space, but the expiry sweep. */

export type ExportStatus = 'pending' | 'running' | 'completed' | 'failed' | 'expired';

export interface ExportRecord {
  id: string;
  spaceId: string;
  format: ExportFormat;
  status: ExportStatus;
  rowsDone: number;
  rowsTotal: number;
  rowCounts: Record<string, number>;
  sizeBytes: number | null;
  sha256: string | null;
  fileName: string;
  error: string | null;
  createdBy: string;
  createdAt: Date;
  completedAt: Date | null;
  expiresAt: Date;
}

interface ExportRow {
  id: string;
  space_id: string;
  format: ExportFormat;
  status: ExportStatus;
  rows_done: number | string;
  rows_total: number | string;
  row_counts: Record<string, number>;
  size_bytes: number | string | null;
  sha256: string | null;
  file_name: string;
  error: string | null;
  created_by: string;
  created_at: Date;
  completed_at: Date | null;
  expires_at: Date;
}

const columns =
  'id, space_id, format, status, rows_done, rows_total, row_counts, size_bytes, sha256, file_name, error, created_by, created_at, completed_at, expires_at';

function toRecord(row: ExportRow): ExportRecord {
  return {
    id: row.id,
    spaceId: row.space_id,
    format: row.format,
    status: row.status,
    rowsDone: Number(row.rows_done),
    rowsTotal: Number(row.rows_total),
    rowCounts: row.row_counts,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    sha256: row.sha256,
    fileName: row.file_name,
    error: row.error,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at),
    expiresAt: new Date(row.expires_at),
  };
}

export async function insertExport(
  db: Queryable,
  spaceId: string,
  job: {
    id: string;
    format: ExportFormat;
    fileName: string;
    createdBy: string;
    at: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO exports (space_id, id, format, status, file_name, created_by, created_at, heartbeat_at, expires_at)
     VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6, $7)`,
    [spaceId, job.id, job.format, job.fileName, job.createdBy, job.at, job.expiresAt],
  );
}

export async function findExport(
  db: Queryable,
  spaceId: string,
  id: string,
): Promise<ExportRecord | undefined> {
  const { rows } = await db.query<ExportRow>(
    `SELECT ${columns} FROM exports WHERE space_id = $1 AND id = $2`,
    [spaceId, id],
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Marks the job running (or moves its progress) and renews its heartbeat. */
export async function recordExportProgress(
  db: Queryable,
  spaceId: string,
  id: string,
  progress: { rowsDone: number; rowsTotal: number; at: Date },
): Promise<void> {
  await db.query(
    `UPDATE exports SET status = 'running', rows_done = $3, rows_total = $4, heartbeat_at = $5
      WHERE space_id = $1 AND id = $2 AND status IN ('pending', 'running')`,
    [spaceId, id, progress.rowsDone, progress.rowsTotal, progress.at],
  );
}

/** Completes a job still pending or running; false when the sweep gave it up meanwhile. */
export async function completeExport(
  db: Queryable,
  spaceId: string,
  id: string,
  result: { rowCounts: Record<string, number>; sizeBytes: number; sha256: string; at: Date },
): Promise<boolean> {
  const rows = Object.values(result.rowCounts).reduce((sum, n) => sum + n, 0);
  const { rowCount } = await db.query(
    `UPDATE exports SET status = 'completed', rows_done = $3, rows_total = $3, row_counts = $4,
            size_bytes = $5, sha256 = $6, completed_at = $7, heartbeat_at = $7
      WHERE space_id = $1 AND id = $2 AND status IN ('pending', 'running')`,
    [
      spaceId,
      id,
      rows,
      JSON.stringify(result.rowCounts),
      result.sizeBytes,
      result.sha256,
      result.at,
    ],
  );
  return rowCount > 0;
}

export async function failExport(
  db: Queryable,
  spaceId: string,
  id: string,
  failure: { error: string; at: Date },
): Promise<void> {
  await db.query(
    `UPDATE exports SET status = 'failed', error = $3, completed_at = $4, heartbeat_at = $4
      WHERE space_id = $1 AND id = $2 AND status IN ('pending', 'running')`,
    [spaceId, id, failure.error, failure.at],
  );
}

/**
 * Jobs whose file is due for deletion (completed or failed, past `expires_at`) and
 * jobs that stopped moving (killed with their server), across every Space of the
 * region store: the scheduled sweep's work list.
 */
export async function findExportsToSweep(
  db: Queryable,
  due: { now: Date; runningStaleBefore: Date; pendingStaleBefore: Date },
  limit: number,
): Promise<ExportRecord[]> {
  const { rows } = await db.query<ExportRow>(
    `SELECT ${columns} FROM exports
      WHERE (status IN ('completed', 'failed') AND expires_at <= $1)
         OR (status = 'running' AND heartbeat_at < $2)
         OR (status = 'pending' AND heartbeat_at < $3)
      ORDER BY expires_at LIMIT $4`,
    [due.now, due.runningStaleBefore, due.pendingStaleBefore, limit],
  );
  return rows.map(toRecord);
}

/** The job's file is gone: it stays listed as expired (its digest and counts remain). */
export async function markExportExpired(db: Queryable, spaceId: string, id: string): Promise<void> {
  await db.query(`UPDATE exports SET status = 'expired' WHERE space_id = $1 AND id = $2`, [
    spaceId,
    id,
  ]);
}
