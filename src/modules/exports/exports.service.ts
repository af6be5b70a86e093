import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import { isUuid, SpaceAccess, type SpaceGrant } from '../spaces/space-access.ts';
import { downloadName } from './download-name.ts';
import { type ExportRecord, findExport, insertExport } from './export.repository.ts';
import { type ExportFormat, formatFiles, isExportFormat } from './export-formats.ts';
import { type ExportView, toExportView } from './export-presenter.ts';
import { type ExportJob, runExportJob } from './export-runner.ts';
import { exportPath } from './export-storage.ts';
import { type LoadResult, loadJsonExport } from './json-export-loader.ts';

const dayMs = 24 * 60 * 60 * 1000;

export interface ExportDownload {
  readonly stream: Readable;
  readonly sizeBytes: number;
  readonly contentType: string;
  /** What the browser should save it as (the Space's name, the date, the format). */
  readonly fileName: string;
}

/**
 * A Space's exports (SPEC 4.5), for the members allowed `space.export`. A job
 * runs in this process, one at a time (exports are heavy; the API stays
 * responsive), and records its progress, file digest and history entry.
 */
export class ExportsService {
  private readonly access: SpaceAccess;
  private readonly jobs = new Map<string, Promise<void>>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ServiceDeps) {
    this.access = new SpaceAccess(deps);
  }

  /** Starts an export of the whole Space in `format`; resolves once the job is queued. */
  async create(caller: Caller, spaceId: string, input: { format: string }): Promise<ExportView> {
    const grant = await this.access.require(caller, spaceId, 'space.export');
    if (!isExportFormat(input.format)) {
      throw new AppError(
        'invalid_input',
        `unknown export format "${input.format}": use csv, xlsx, json, ndjson or parquet`,
      );
    }
    const format: ExportFormat = input.format;
    const id = randomUUID();
    const at = this.deps.clock();
    const fileName = `kith-export-${id}.${formatFiles[format].extension}`;
    const db = await this.deps.stores.region(grant.space.region);
    await insertExport(db, grant.space.id, {
      id,
      format,
      fileName,
      createdBy: caller.actor.id,
      at,
      expiresAt: new Date(at.getTime() + this.deps.config.exports.ttlDays * dayMs),
    });
    this.start(jobOf(caller, grant, { id, format, fileName, at }));
    const record = await findExport(db, grant.space.id, id);
    return toExportView(record as ExportRecord);
  }

  /** The job's status, progress, size and SHA-256. */
  async get(caller: Caller, spaceId: string, exportId: string): Promise<ExportView> {
    const { record } = await this.visible(caller, spaceId, exportId);
    return toExportView(record);
  }

  /** The completed export's file, as a stream. */
  async download(caller: Caller, spaceId: string, exportId: string): Promise<ExportDownload> {
    const { grant, record } = await this.visible(caller, spaceId, exportId);
    if (record.status === 'expired') {
      throw new AppError(
        'not_found',
        'this export has expired and its file is deleted: start a new export',
      );
    }
    if (record.status !== 'completed') {
      throw new AppError(
        'conflict',
        `this export is ${record.status}: download it once its status is completed`,
      );
    }
    const path = exportPath(this.deps.config, grant.space.region, record.fileName);
    const size = await stat(path).then(
      (s) => s.size,
      () => null,
    );
    if (size === null) {
      throw new AppError('not_found', 'this export’s file is gone: start a new export');
    }
    return {
      stream: createReadStream(path),
      sizeBytes: size,
      contentType: formatFiles[record.format].contentType,
      fileName: downloadName(grant.space.name, record),
    };
  }

  /**
   * Loads a Kith JSON export (a file at `path`) into an empty Space: its contacts,
   * tags, consents and custom field definitions. The Space's history records the
   * load; the export's own history is not replayed.
   */
  async loadJson(caller: Caller, spaceId: string, path: string): Promise<LoadResult> {
    const grant = await this.access.require(caller, spaceId, 'contacts.import');
    const db = await this.deps.stores.region(grant.space.region);
    return loadJsonExport(db, grant, caller, path, this.deps.clock());
  }

  /** Resolves when the job `exportId` started by this process has ended (at once for others). */
  async settled(exportId: string): Promise<void> {
    await this.jobs.get(exportId);
  }

  /** Resolves when every job started by this process has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.jobs.values()]);
  }

  private start(job: ExportJob): void {
    const run = this.queue.then(() => runExportJob(this.deps, job));
    this.queue = run;
    this.jobs.set(job.id, run);
    void run.finally(() => this.jobs.delete(job.id));
  }

  private async visible(caller: Caller, spaceId: string, exportId: string) {
    const grant = await this.access.require(caller, spaceId, 'space.export');
    if (!isUuid(exportId)) {
      throw notFound('export');
    }
    const db = await this.deps.stores.region(grant.space.region);
    const record = await findExport(db, grant.space.id, exportId.toLowerCase());
    if (!record) {
      throw notFound('export');
    }
    return { grant, record };
  }
}

function jobOf(
  caller: Caller,
  grant: SpaceGrant,
  job: { id: string; format: ExportFormat; fileName: string; at: Date },
): ExportJob {
  return {
    id: job.id,
    spaceId: grant.space.id,
    region: grant.space.region,
    format: job.format,
    fileName: job.fileName,
    createdAt: job.at,
    actor: {
      type: caller.actor.type,
      id: caller.actor.id,
      name: caller.actor.name,
      role: grant.role,
    },
    source: caller.source === 'import' ? 'system' : caller.source,
    device: caller.device ?? null,
    ip: caller.ip ?? null,
  };
}
