import { copyField } from '../../stores/copy-text.ts';
import type { CopyIn, Database, Queryable } from '../../stores/database.ts';

/** SQL of import jobs, their staged rows and their rejections. Every statement names the Space. */

export type ImportStatus =
  | 'queued'
  | 'validating'
  | 'committing'
  | 'committed'
  | 'validated'
  | 'failed'
  | 'interrupted';

export interface ImportCounts {
  totalRows: number;
  processedRows: number;
  validRows: number;
  rejectedRows: number;
  created: number;
  updated: number;
  skipped: number;
}

export interface ImportRecord {
  id: string;
  status: ImportStatus;
  dryRun: boolean;
  createdBy: string;
  fileName: string;
  fileFormat: 'csv' | 'xlsx' | 'json';
  fileSize: number;
  fileSha256: string;
  options: Record<string, unknown>;
  counts: ImportCounts;
  error: { code: string; message: string } | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

interface ImportRow {
  id: string;
  status: ImportStatus;
  dry_run: boolean;
  created_by: string;
  file_name: string;
  file_format: 'csv' | 'xlsx' | 'json';
  file_size: string | number;
  file_sha256: string;
  options: Record<string, unknown>;
  total_rows: number;
  processed_rows: number;
  valid_rows: number;
  rejected_rows: number;
  created_count: number;
  updated_count: number;
  skipped_count: number;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

function toRecord(row: ImportRow): ImportRecord {
  return {
    id: row.id,
    status: row.status,
    dryRun: row.dry_run,
    createdBy: row.created_by,
    fileName: row.file_name,
    fileFormat: row.file_format,
    fileSize: Number(row.file_size),
    fileSha256: row.file_sha256,
    options: row.options,
    counts: {
      totalRows: row.total_rows,
      processedRows: row.processed_rows,
      validRows: row.valid_rows,
      rejectedRows: row.rejected_rows,
      created: row.created_count,
      updated: row.updated_count,
      skipped: row.skipped_count,
    },
    error:
      row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export async function insertImport(db: Queryable, spaceId: string, record: ImportRecord) {
  await db.query(
    `INSERT INTO imports (space_id, id, status, dry_run, created_by, file_name, file_format, file_size,
                          file_sha256, options, total_rows, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $12)`,
    [
      spaceId,
      record.id,
      record.status,
      record.dryRun,
      record.createdBy,
      record.fileName,
      record.fileFormat,
      record.fileSize,
      record.fileSha256,
      JSON.stringify(record.options),
      record.counts.totalRows,
      record.createdAt,
    ],
  );
}

export async function findImport(
  db: Queryable,
  spaceId: string,
  id: string,
): Promise<ImportRecord | undefined> {
  const { rows } = await db.query<ImportRow>(
    'SELECT * FROM imports WHERE space_id = $1 AND id = $2',
    [spaceId, id],
  );
  return rows[0] && toRecord(rows[0]);
}

/** The committed import of the file with this SHA-256, if any. */
export async function findCommittedImportOfFile(
  db: Queryable,
  spaceId: string,
  sha256: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM imports WHERE space_id = $1 AND file_sha256 = $2 AND status = 'committed' LIMIT 1`,
    [spaceId, sha256],
  );
  return rows[0]?.id;
}

/** Writes the job's status, counts and (when it ends) its error and end time. */
export async function saveImportState(
  db: Queryable,
  spaceId: string,
  id: string,
  state: {
    status: ImportStatus;
    counts: ImportCounts;
    error?: { code: string; message: string } | null;
    at: Date;
    finished?: boolean;
  },
): Promise<void> {
  const c = state.counts;
  await db.query(
    `UPDATE imports
        SET status = $3, processed_rows = $4, valid_rows = $5, rejected_rows = $6, created_count = $7,
            updated_count = $8, skipped_count = $9, error_code = $10, error_message = $11,
            updated_at = $12, finished_at = CASE WHEN $13 THEN $12 ELSE finished_at END
      WHERE space_id = $1 AND id = $2`,
    [
      spaceId,
      id,
      state.status,
      c.processedRows,
      c.validRows,
      c.rejectedRows,
      c.created,
      c.updated,
      c.skipped,
      state.error?.code ?? null,
      state.error?.message ?? null,
      state.at,
      state.finished === true,
    ],
  );
}

export async function insertRejections(
  db: CopyIn,
  spaceId: string,
  importId: string,
  rows: readonly { line: number; reason: string }[],
): Promise<void> {
  if (rows.length === 0) {
    return;
  }
  const prefix = `${spaceId}\t${importId}\t`;
  const text = rows.map((row) => `${prefix}${row.line}\t${copyField(row.reason)}\n`);
  await db.copyIn(
    'import_rejections (space_id, import_id, line, reason)',
    Buffer.from(text.join('')),
  );
}

/** Rejected rows after `afterLine`, in line order. */
export async function listRejections(
  db: Queryable,
  spaceId: string,
  importId: string,
  afterLine: number,
  limit: number,
): Promise<{ line: number; reason: string }[]> {
  const { rows } = await db.query<{ line: number; reason: string }>(
    `SELECT line, reason FROM import_rejections
      WHERE space_id = $1 AND import_id = $2 AND line > $3 ORDER BY line LIMIT $4`,
    [spaceId, importId, afterLine, limit],
  );
  return rows;
}

/** Takes the job's row lock until the transaction ends: a committing job holds it throughout. */
export async function lockImport(db: Queryable, spaceId: string, id: string): Promise<void> {
  await db.query('SELECT 1 FROM imports WHERE space_id = $1 AND id = $2 FOR UPDATE', [spaceId, id]);
}

/** Whether no transaction holds the job's row lock (PostgreSQL: its committing process is gone). */
export async function isImportUnlocked(
  db: Database,
  spaceId: string,
  id: string,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query(
      'SELECT 1 FROM imports WHERE space_id = $1 AND id = $2 FOR UPDATE SKIP LOCKED',
      [spaceId, id],
    );
    return rows.length > 0;
  });
}

/** Marks a job whose process stopped as interrupted (if it still has `status`). */
export async function markInterrupted(
  db: Database,
  spaceId: string,
  id: string,
  status: ImportStatus,
  at: Date,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE imports SET status = 'interrupted', updated_at = $4, finished_at = $4,
              error_code = 'unavailable', error_message = 'the process running this import stopped before it committed: nothing was imported'
        WHERE space_id = $1 AND id = $2 AND status = $3`,
      [spaceId, id, status, at],
    );
    return rowCount > 0;
  });
}
