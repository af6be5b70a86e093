import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Caller } from '../../context.ts';
import { AppError, isAppError, notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Database } from '../../stores/database.ts';
import { parseInput } from '../contacts/contact-input.ts';
import { definitionsOf } from '../contacts/custom-field.repository.ts';
import { spaceHoldsCustomerData } from '../exports/space-load.repository.ts';
import { entryFor } from '../history/entry-for.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import { isUuid, SpaceAccess, type SpaceGrant } from '../spaces/space-access.ts';
import { checkHeaders, guessMapping, resolveMapping } from './column-mapping.ts';
import { readExportFileEnds } from './export-file.ts';
import { runExportLoad } from './export-load.ts';
import {
  findCommittedImportOfFile,
  findImport,
  type ImportRecord,
  insertImport,
  isImportUnlocked,
  listRejections,
  lockImport,
  markInterrupted,
  saveImportState,
} from './import.repository.ts';
import { commitRows } from './import-commit.ts';
import { badFile } from './import-limits.ts';
import { toImportView } from './import-presenter.ts';
import { validateRows, validRowsAgain } from './import-validation.ts';
import { type ImportOptions, type ImportView, importOptions } from './imports.schemas.ts';
import type { SheetFile } from './sheet-source.ts';
import { readSheet } from './sheet-source.ts';
import { extractXlsxRows, isZipFile } from './xlsx-extract.ts';

/** How long a validating job may go without writing its progress before it counts as stopped. */
const staleAfterMs = 10 * 60 * 1000;

/** An uploaded file, already on disk with its size and SHA-256. */
export interface ImportUpload {
  readonly path: string;
  readonly fileName: string;
  readonly size: number;
  readonly sha256: string;
}

/** A running import, as its progress is read while the region store is busy committing it. */
interface LiveImport {
  record: ImportRecord;
  committedRows: number;
  done: Promise<void>;
}

/**
 * Contact imports (SPEC 4.4). `start` checks the whole file's shape (encoding,
 * limits, headers, mapping) before answering, so a bad file is a 4xx and
 * nothing is created; the job then validates every row (rejections by line and
 * reason), and commits the valid ones in ONE region transaction, reading the
 * file again: an import that fails or is killed leaves no contact behind.
 */
export class ImportsService {
  private readonly access: SpaceAccess;
  private readonly live = new Map<string, LiveImport>();

  constructor(private readonly deps: ServiceDeps) {
    this.access = new SpaceAccess(deps);
  }

  /** The access check alone: the route runs it before reading an upload. */
  authorize(caller: Caller, spaceId: string): Promise<SpaceGrant> {
    return this.access.require(caller, spaceId, 'contacts.import');
  }

  /**
   * Checks the file and starts the job; resolves once it is queued, with the
   * job's end as `done` (the CLI waits on it). The upload file is removed when
   * the job ends, or now if the file is refused.
   */
  async start(
    caller: Caller,
    spaceId: string,
    upload: ImportUpload,
    rawOptions: unknown,
    onProgress?: (view: ImportView) => void,
  ): Promise<{ id: string; done: Promise<void> }> {
    const rowsPath = `${upload.path}.rows`;
    const cleanup = () =>
      Promise.all([rm(upload.path, { force: true }), rm(rowsPath, { force: true })]);
    try {
      const grant = await this.authorize(caller, spaceId);
      const options = parseInput(importOptions, rawOptions);
      const db = await this.regionOf(grant);
      const exported = await readExportFileEnds(upload.path);
      if (exported) {
        const job = { upload, options, rowCounts: exported.rowCounts, onProgress, cleanup };
        return await this.startExportLoad(db, caller, grant, job);
      }
      const format = (await isZipFile(upload.path)) ? 'xlsx' : 'csv';
      if (format === 'csv' && /\.xlsx$/i.test(upload.fileName)) {
        throw badFile('the file is named .xlsx but is not an XLSX (zip) file');
      }
      let sheet: SheetFile = {
        kind: 'csv',
        path: upload.path,
        encoding: options.encoding,
        delimiter: options.delimiter,
      };
      if (format === 'xlsx') {
        await extractXlsxRows(upload.path, rowsPath, this.deps.config.imports);
        sheet = { kind: 'rows', path: rowsPath };
      }
      const shape = await this.shapeOf(db, grant, sheet, options);
      if (!options.dryRun) {
        const earlier = await findCommittedImportOfFile(db, grant.space.id, upload.sha256);
        if (earlier) {
          throw new AppError(
            'conflict',
            `this file (same SHA-256) was already imported as import ${earlier}: nothing was imported again`,
          );
        }
      }
      const now = this.deps.clock();
      const record: ImportRecord = {
        id: randomUUID(),
        status: 'queued',
        dryRun: options.dryRun,
        createdBy: caller.actor.id,
        fileName: safeFileName(upload.fileName),
        fileFormat: format,
        fileSize: upload.size,
        fileSha256: upload.sha256,
        options: {
          mapping: shape.mapping,
          mode: options.mode,
          dedupBy: options.dedupBy,
          encoding: options.encoding,
          ...(options.delimiter ? { delimiter: options.delimiter } : {}),
        },
        counts: {
          totalRows: shape.totalRows,
          processedRows: 0,
          validRows: 0,
          rejectedRows: 0,
          created: 0,
          updated: 0,
          skipped: 0,
        },
        error: null,
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
      };
      await insertImport(db, grant.space.id, record);
      const live: LiveImport = { record, committedRows: 0, done: Promise.resolve() };
      this.live.set(record.id, live);
      const report = () => onProgress?.(toImportView(live.record, [], null, live.committedRows));
      live.done = this.run(db, caller, grant, live, sheet, options, shape.mapping, {
        report,
        release: cleanup,
      }).finally(() => {
        this.live.delete(record.id);
      });
      return { id: record.id, done: live.done };
    } catch (error) {
      await cleanup();
      throw error;
    }
  }

  /** `start` for a Kith JSON export: into an empty Space only, its rows as they were exported. */
  private async startExportLoad(
    db: Database,
    caller: Caller,
    grant: SpaceGrant,
    job: {
      upload: ImportUpload;
      options: ImportOptions;
      rowCounts: Record<string, number>;
      onProgress?: (view: ImportView) => void;
      cleanup: () => Promise<unknown>;
    },
  ): Promise<{ id: string; done: Promise<void> }> {
    const { upload, options } = job;
    if (options.mapping) {
      throw badFile('a Kith JSON export is loaded as it is: send it without a mapping');
    }
    if (await spaceHoldsCustomerData(db, grant.space.id)) {
      throw new AppError(
        'conflict',
        'the Space already holds contacts or custom fields: a Kith JSON export loads into an empty Space',
      );
    }
    const now = this.deps.clock();
    const record: ImportRecord = {
      id: randomUUID(),
      status: 'queued',
      dryRun: options.dryRun,
      createdBy: caller.actor.id,
      fileName: safeFileName(upload.fileName),
      fileFormat: 'json',
      fileSize: upload.size,
      fileSha256: upload.sha256,
      options: { mapping: {}, mode: options.mode, dedupBy: options.dedupBy, encoding: 'auto' },
      counts: {
        totalRows: job.rowCounts.contacts ?? 0,
        processedRows: 0,
        validRows: 0,
        rejectedRows: 0,
        created: 0,
        updated: 0,
        skipped: 0,
      },
      error: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await insertImport(db, grant.space.id, record);
    const live: LiveImport = { record, committedRows: 0, done: Promise.resolve() };
    this.live.set(record.id, live);
    const report = () => job.onProgress?.(toImportView(record, [], null, live.committedRows));
    live.done = runExportLoad(db, caller, grant, record, upload.path, {
      clock: this.deps.clock,
      report,
      committed: (rows) => {
        live.committedRows = rows;
      },
    }).finally(async () => {
      this.live.delete(record.id);
      await job.cleanup();
    });
    return { id: record.id, done: live.done };
  }

  /** The import's status, progress, counts and a page of its rejected rows. */
  async get(
    caller: Caller,
    spaceId: string,
    importId: string,
    query: { rejectedAfter?: number; rejectedLimit?: number } = {},
  ): Promise<ImportView> {
    const grant = await this.authorize(caller, spaceId);
    if (!isUuid(importId)) {
      throw notFound('import');
    }
    const live = this.live.get(importId.toLowerCase());
    if (live && live.record.status === 'committing') {
      // The region store may be held by the commit (PGlite has one connection): answer from memory.
      return toImportView(live.record, [], null, live.committedRows);
    }
    const db = await this.regionOf(grant);
    const found = await findImport(db, grant.space.id, importId);
    if (!found) {
      throw notFound('import');
    }
    const record = live ? found : await this.settleAbandoned(db, grant.space.id, found);
    const limit = query.rejectedLimit ?? 1000;
    const rejected = await listRejections(
      db,
      grant.space.id,
      record.id,
      query.rejectedAfter ?? 0,
      limit + 1,
    );
    const page = rejected.slice(0, limit);
    const next = rejected.length > limit ? (page.at(-1)?.line ?? null) : null;
    return toImportView(live?.record ?? record, page, next, live?.committedRows ?? 0);
  }

  /**
   * A job that says it runs but has no process: on PGlite only this process can
   * run it (the data directory is locked); on PostgreSQL a committing job holds
   * its row lock, and a validating one writes its progress at least every
   * `staleAfterMs`. Such a job is marked interrupted; it never committed.
   */
  private async settleAbandoned(
    db: Database,
    spaceId: string,
    record: ImportRecord,
  ): Promise<ImportRecord> {
    const running = ['queued', 'validating', 'committing'].includes(record.status);
    if (!running) {
      return record;
    }
    const now = this.deps.clock();
    const abandoned =
      db.engine === 'pglite' ||
      (record.status === 'committing'
        ? await isImportUnlocked(db, spaceId, record.id)
        : now.getTime() - record.updatedAt.getTime() > staleAfterMs);
    if (!abandoned || !(await markInterrupted(db, spaceId, record.id, record.status, now))) {
      return record;
    }
    return (await findImport(db, spaceId, record.id)) ?? record;
  }

  /** Header checks, the mapping (given or guessed) and the row count: one streaming pass. */
  private async shapeOf(
    db: Database,
    grant: SpaceGrant,
    sheet: SheetFile,
    options: ImportOptions,
  ): Promise<{ mapping: Record<string, string>; totalRows: number }> {
    const definitions = await definitionsOf(db, grant.space.id);
    let headers: string[] | undefined;
    let totalRows = 0;
    for await (const rows of readSheet(sheet, this.deps.config.imports)) {
      if (!headers) {
        headers = rows[0]?.cells ?? [];
        totalRows -= 1;
      }
      totalRows += rows.length;
    }
    if (!headers) {
      throw badFile('the file is empty: it needs a header line naming its columns');
    }
    checkHeaders(headers);
    const mapping = options.mapping ?? guessMapping(headers, definitions);
    resolveMapping(headers, mapping, definitions);
    return { mapping: { ...mapping }, totalRows };
  }

  private async run(
    db: Database,
    caller: Caller,
    grant: SpaceGrant,
    live: LiveImport,
    sheet: SheetFile,
    options: ImportOptions,
    mapping: Record<string, string>,
    hooks: { report: () => void; release: () => Promise<unknown> },
  ): Promise<void> {
    const { report } = hooks;
    const record = live.record;
    const spaceId = grant.space.id;
    const save = (finished = false) =>
      saveImportState(db, spaceId, record.id, {
        status: record.status,
        counts: record.counts,
        error: record.error,
        at: this.deps.clock(),
        finished,
      });
    try {
      record.status = 'validating';
      await save();
      const limits = this.deps.config.imports;
      const rejectedLines = await validateRows(db, spaceId, record, sheet, mapping, limits, {
        at: this.deps.clock(),
        onBatch: async () => {
          await save();
          report();
        },
      });
      if (options.dryRun) {
        await hooks.release();
        record.status = 'validated';
        await save(true);
        report();
        return;
      }
      record.status = 'committing';
      await save();
      report();
      await db.transaction(async (tx) => {
        await lockImport(tx, spaceId, record.id);
        const at = this.deps.clock();
        // The file is read and checked again rather than staged: no copy of every row to write and read back.
        const batches = validRowsAgain(tx, spaceId, sheet, mapping, limits, rejectedLines, {
          at,
          batchRows: commitBatchRows(record.counts.validRows),
        });
        const counts = await commitRows(
          tx,
          caller,
          grant,
          {
            importId: record.id,
            mode: options.mode,
            dedupBy: options.dedupBy,
            overlap: db.engine === 'postgres',
          },
          batches,
          at,
          (done) => {
            live.committedRows = done;
            report();
          },
        );
        Object.assign(record.counts, counts);
        await appendHistoryEntries(tx, spaceId, [
          {
            ...entryFor(caller, grant, {
              action: 'import.commit',
              target: { type: 'import', id: record.id },
              changes: [
                { field: 'file', from: null, to: record.fileSha256 },
                { field: 'created', from: null, to: counts.created },
                { field: 'updated', from: null, to: counts.updated },
                { field: 'skipped', from: null, to: counts.skipped },
                { field: 'rejected', from: null, to: record.counts.rejectedRows },
              ],
              at,
            }),
            importId: record.id,
          },
        ]);
        await saveImportState(tx, spaceId, record.id, {
          status: 'committed',
          counts: record.counts,
          at: this.deps.clock(),
          finished: true,
        });
      });
      await hooks.release();
      // Only now: a status read from memory must not say committed before the transaction is.
      record.status = 'committed';
      report();
    } catch (error) {
      await hooks.release();
      Object.assign(record.counts, { created: 0, updated: 0, skipped: 0 });
      record.status = 'failed';
      record.error = isAppError(error)
        ? { code: error.code, message: error.message }
        : { code: 'internal', message: 'the import failed unexpectedly: nothing was imported' };
      await save(true).catch(() => undefined);
      report();
    }
  }

  private regionOf(grant: SpaceGrant): Promise<Database> {
    return this.deps.stores.region(grant.space.region);
  }
}

/**
 * A quarter of the rows per batch, between 1,000 and 5,000: a small file's
 * progress still moves, and a large one's memory stays a few thousand contacts
 * and their history wide (20,000-row batches peaked at 357 MiB above idle on a
 * 100k-row import on PostgreSQL; issue #4 allows 300 for a million).
 */
function commitBatchRows(validRows: number): number {
  return Math.min(5000, Math.max(1000, Math.ceil(validRows / 4)));
}

/** The name shown for the file: its last path segment, printable, at most 255 characters. */
function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).at(-1) ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255);
  return clean === '' ? 'upload' : clean;
}
