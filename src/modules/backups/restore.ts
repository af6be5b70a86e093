import { join } from 'node:path';
import type { Source } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { Database, Transaction } from '../../stores/database.ts';
import type { HistoryActor } from '../history/history-writer.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import type { BackupManifest } from './backup-manifest.ts';
import { type BackupEvent, readBackupFile } from './backup-reader.ts';
import {
  appliedMigrations,
  backedUpTables,
  historyTables,
  keptThroughRestore,
} from './backup-tables.ts';
import { deleteSpaceRows, insertBackedUpRows, replayErasureLedger } from './backups.repository.ts';
import { CopyLoader } from './restore-copy.ts';
import {
  advanceHead,
  assertSameChain,
  hexOfJsonBytea,
  type LiveHead,
  lockLiveHead,
} from './restore-history.ts';

export interface RestoreRequest {
  readonly manifest: BackupManifest;
  readonly directory: string;
  readonly dataKey: Buffer;
  /** The Space written to: the backup's own (in place) or a new id (as new). */
  readonly targetSpaceId: string;
  readonly actor: HistoryActor;
  readonly source: Source;
  readonly now: Date;
  readonly onProgress?: ((rows: number) => void) | undefined;
}

export interface RestoreOutcome {
  readonly spaceId: string;
  readonly backupId: string;
  readonly asNew: boolean;
  readonly rows: Record<string, number>;
  /** Contacts the erasure ledger removed again. */
  readonly erasedAgain: number;
  /** Entries the restore appended from the backup (a history that had lost them). */
  readonly historyAppended: number;
}

const batchRows = 2000;
const batchChars = 4 * 1024 * 1024;

/**
 * Restores one backup (data version 1 or 2) into the region store in ONE transaction: in place (the
 * Space's current rows are replaced) or into a new Space id. The erasure ledger
 * is replayed and a `backup.restore` entry appended before it commits; any
 * failure (a bad chunk, a constraint) rolls everything back.
 */
export async function restoreBackup(
  db: Database,
  request: RestoreRequest,
): Promise<RestoreOutcome> {
  const { manifest, targetSpaceId } = request;
  const asNew = targetSpaceId !== manifest.spaceId;
  return db.transaction(async (tx) => {
    const applied = new Set(await appliedMigrations(tx));
    const unknown = manifest.schema.filter((name) => !applied.has(name));
    if (unknown.length > 0) {
      throw new AppError(
        'conflict',
        `backup ${manifest.backupId} was taken at a newer schema (${unknown[0]}): run kith migrate with this version of Kith first`,
      );
    }
    const live = await lockLiveHead(tx, targetSpaceId);
    const liveTables = await backedUpTables(tx);
    const liveColumns = new Map(
      liveTables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]),
    );
    const replaced = liveTables.filter(
      (t) => t.name !== 'spaces' && !historyTables.has(t.name) && !keptThroughRestore.has(t.name),
    );
    for (const table of [...replaced].reverse()) {
      await deleteSpaceRows(tx, table.name, targetSpaceId);
    }
    const loader = new RowLoader(tx, request, asNew, live);
    const copier = new CopyLoader(tx, db.engine, request, asNew, live, liveColumns);
    const events = readBackupFile(
      join(request.directory, manifest.file),
      manifest.backupId,
      () => request.dataKey,
    )[Symbol.asyncIterator]();
    let version = 1;
    let next: BackupEvent | undefined;
    for (;;) {
      const event: BackupEvent | undefined = next ?? ((await events.next()).value || undefined);
      next = undefined;
      if (!event) {
        break;
      }
      if (event.kind === 'backup') {
        version = event.record.version;
      } else if (event.kind === 'table' && version >= 2) {
        // The table's COPY pieces, pulled from the same reader until its `end`.
        async function* pieces(): AsyncGenerator<Buffer> {
          for (;;) {
            const piece: BackupEvent | undefined = (await events.next()).value || undefined;
            if (piece?.kind !== 'copy') {
              next = piece;
              return;
            }
            yield piece.data;
          }
        }
        await copier.load(event.record, pieces());
      } else if (event.kind === 'table') {
        await loader.startTable(
          event.record.name,
          event.record.columns
            .map((c) => c.name)
            .filter((c) => liveColumns.get(event.record.name)?.has(c)),
          liveColumns.has(event.record.name),
        );
      } else if (event.kind === 'row') {
        await loader.add(event.json);
      } else if (event.kind === 'end') {
        await loader.flush();
      }
    }
    if (version >= 2) {
      loader.takeFrom(copier);
    }
    const backupHead = loader.backupHead;
    if (!asNew) {
      await assertSameChain(tx, targetSpaceId, live, backupHead, loader.backupHashAtLiveSeq);
      if (backupHead.seq > live.seq) {
        await advanceHead(tx, targetSpaceId, backupHead);
      }
    }
    const erasedAgain = await replayErasureLedger(tx, targetSpaceId, manifest.spaceId);
    await appendHistoryEntries(tx, targetSpaceId, [
      {
        actor: request.actor,
        action: 'backup.restore',
        target: { type: 'space', id: targetSpaceId },
        changes: [
          { field: 'backup', from: null, to: manifest.backupId },
          { field: 'backupTakenAt', from: null, to: manifest.createdAt },
          ...(asNew ? [{ field: 'restoredFromSpace', from: null, to: manifest.spaceId }] : []),
          // What the restore undid: entries after the backup's head stay on record,
          // their effects are gone.
          ...(!asNew && live.seq > backupHead.seq
            ? [
                {
                  field: 'undoneEntries',
                  from: null,
                  to: { fromSeq: backupHead.seq + 1, toSeq: live.seq },
                },
              ]
            : []),
          { field: 'rows', from: null, to: loader.rows },
          ...(erasedAgain > 0 ? [{ field: 'erasedAgain', from: null, to: erasedAgain }] : []),
        ],
        source: request.source,
        at: request.now,
      },
    ]);
    return {
      spaceId: targetSpaceId,
      backupId: manifest.backupId,
      asNew,
      rows: loader.rows,
      erasedAgain,
      historyAppended: asNew ? 0 : Math.max(0, backupHead.seq - live.seq),
    };
  });
}

/** Batches a table's rows into multi-row INSERTs, applying the history rule per table. */
class RowLoader {
  readonly rows: Record<string, number> = {};
  backupHead: LiveHead = { seq: 0, hash: '0'.repeat(64) };
  backupHashAtLiveSeq: string | undefined;
  private table = '';
  private columns: string[] = [];
  private skip = false;
  private batch: string[] = [];
  private chars = 0;
  private total = 0;

  constructor(
    private readonly tx: Transaction,
    private readonly request: RestoreRequest,
    private readonly asNew: boolean,
    private readonly live: LiveHead,
  ) {}

  /** What a version 2 restore found: its rows and the backup's history head. */
  takeFrom(copier: CopyLoader): void {
    Object.assign(this.rows, copier.rows);
    this.backupHead = copier.backupHead;
    this.backupHashAtLiveSeq = copier.backupHashAtLiveSeq;
  }

  async startTable(name: string, columns: string[], known: boolean): Promise<void> {
    this.table = name;
    this.columns = columns;
    this.rows[name] = 0;
    // A table the store no longer has, and the history of an as-new Space (its
    // entries hash the old Space's id), are not written.
    this.skip = !known || keptThroughRestore.has(name) || (this.asNew && historyTables.has(name));
  }

  async add(json: string): Promise<void> {
    if (historyTables.has(this.table)) {
      const row = JSON.parse(json) as { seq: number; hash?: string };
      if (this.table === 'history_heads') {
        this.backupHead = { seq: Number(row.seq), hash: hexOfJsonBytea(row.hash) };
        return;
      }
      if (this.table === 'history_entries' && Number(row.seq) === this.live.seq) {
        this.backupHashAtLiveSeq = hexOfJsonBytea(row.hash);
      }
      // Only what the live chain lacks is appended.
      if (Number(row.seq) <= this.live.seq) {
        return;
      }
    }
    this.rows[this.table] = (this.rows[this.table] ?? 0) + 1;
    if (this.skip) {
      return;
    }
    this.batch.push(json);
    this.chars += json.length;
    if (this.batch.length >= batchRows || this.chars >= batchChars) {
      await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) {
      return;
    }
    const json = `[${this.batch.join(',')}]`;
    this.total += this.batch.length;
    this.batch = [];
    this.chars = 0;
    await insertBackedUpRows(this.tx, this.table, this.columns, this.request.targetSpaceId, json, {
      upsertKey: this.table === 'spaces' ? ['space_id'] : undefined,
    });
    this.request.onProgress?.(this.total);
  }
}
