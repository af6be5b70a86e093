import { AppError } from '../../errors.ts';
import type { Engine, Transaction } from '../../stores/database.ts';
import { bytes } from '../history/history.repository.ts';
import type { TableStartRecord } from './backup-records.ts';
import { historyTables, keptThroughRestore, quoted, spaceLiteral } from './backup-tables.ts';
import type { RestoreRequest } from './restore.ts';
import type { LiveHead } from './restore-history.ts';

/** What PGlite takes in one COPY FROM (it reads its input as one blob, held whole). */
const pgliteCopyBytes = 8 * 1024 * 1024;

/** A column type as the backup's table record names it (format_type's output), checked before DDL. */
const typePattern = /^[a-z_][a-z0-9_ ."]*(\([0-9, ]+\))?(\[\])*$/i;

/**
 * Loads version 2 tables (COPY text) into the region store, inside the restore's
 * transaction. A table restored in place whose columns all still exist is
 * copied straight into the table (the engine's bulk path, indexes maintained
 * as it goes). Everything else goes through a temporary staging table first:
 * the history (only what the live chain lacks is appended), the Space's home
 * row (updated, not inserted), an as-new restore (rows take the new Space id)
 * and a backup with a column the store no longer has.
 */
export class CopyLoader {
  readonly rows: Record<string, number> = {};
  backupHead: LiveHead = { seq: 0, hash: '0'.repeat(64) };
  backupHashAtLiveSeq: string | undefined;
  private total = 0;

  constructor(
    private readonly tx: Transaction,
    private readonly engine: Engine,
    private readonly request: RestoreRequest,
    private readonly asNew: boolean,
    private readonly live: LiveHead,
    private readonly liveColumns: ReadonlyMap<string, ReadonlySet<string>>,
  ) {}

  /** Loads one table from its COPY pieces (each holding whole rows); consumes them all. */
  async load(table: TableStartRecord, pieces: AsyncIterable<Buffer>): Promise<void> {
    const name = table.name;
    const live = this.liveColumns.get(name);
    const history = historyTables.has(name);
    this.rows[name] = 0;
    if (!live || keptThroughRestore.has(name) || (this.asNew && history)) {
      // A table the store no longer has; grants (kept as they are now); the
      // history of an as-new Space (its entries hash the old Space's id): read,
      // counted, not written.
      for await (const piece of counted(pieces, (rows) => this.count(name, rows))) {
        void piece;
      }
      return;
    }
    const columns = table.columns.map((column) => column.name);
    const direct =
      !this.asNew && !history && name !== 'spaces' && columns.every((c) => live.has(c));
    if (direct) {
      await this.copy(
        `${quoted(name)} (${columns.map(quoted).join(', ')})`,
        counted(pieces, (rows) => this.count(name, rows)),
      );
      return;
    }
    const stage = `kith_restore_${name}`.slice(0, 60);
    for (const column of table.columns) {
      if (!typePattern.test(column.type)) {
        throw new AppError(
          'integrity_failure',
          `backup ${this.request.manifest.backupId}: column ${name}.${column.name} has an unexpected type`,
        );
      }
    }
    await this.tx.query(
      `CREATE TEMPORARY TABLE ${quoted(stage)} (${table.columns
        .map((column) => `${quoted(column.name)} ${column.type}`)
        .join(', ')}) ON COMMIT DROP`,
    );
    let staged = 0;
    await this.copy(
      `${quoted(stage)} (${columns.map(quoted).join(', ')})`,
      counted(pieces, (rows) => {
        staged += rows;
      }),
    );
    await this.fromStage(
      name,
      stage,
      staged,
      columns.filter((c) => live.has(c)),
    );
    await this.tx.query(`DROP TABLE ${quoted(stage)}`);
  }

  private async fromStage(
    name: string,
    stage: string,
    staged: number,
    columns: readonly string[],
  ): Promise<void> {
    const target = spaceLiteral(this.request.targetSpaceId);
    const list = columns.map(quoted).join(', ');
    const values = columns.map((c) => (c === 'space_id' ? target : quoted(c))).join(', ');
    if (name === 'history_heads') {
      const { rows } = await this.tx.query<{ seq: number | string; hash: Uint8Array }>(
        `SELECT seq, hash FROM ${quoted(stage)} LIMIT 1`,
      );
      const head = rows[0];
      if (head) {
        this.backupHead = { seq: Number(head.seq), hash: bytes(head.hash).toString('hex') };
      }
      return;
    }
    if (historyTables.has(name)) {
      if (name === 'history_entries') {
        const { rows } = await this.tx.query<{ hash: Uint8Array }>(
          `SELECT hash FROM ${quoted(stage)} WHERE seq = $1`,
          [this.live.seq],
        );
        this.backupHashAtLiveSeq = rows[0] && bytes(rows[0].hash).toString('hex');
      }
      // Only what the live chain lacks is appended.
      const appended = await this.tx.query(
        `INSERT INTO ${quoted(name)} (${list}) SELECT ${values} FROM ${quoted(stage)} WHERE seq > $1 ORDER BY seq`,
        [this.live.seq],
      );
      this.count(name, appended.rowCount);
      return;
    }
    let conflict = '';
    if (name === 'spaces') {
      const sets = columns
        .filter((c) => c !== 'space_id')
        .map((c) => `${quoted(c)} = EXCLUDED.${quoted(c)}`);
      conflict = ` ON CONFLICT (space_id) DO ${sets.length > 0 ? `UPDATE SET ${sets.join(', ')}` : 'NOTHING'}`;
    }
    await this.tx.query(
      `INSERT INTO ${quoted(name)} (${list}) SELECT ${values} FROM ${quoted(stage)}${conflict}`,
    );
    this.count(name, staged);
  }

  /**
   * COPY FROM: PostgreSQL streams the pieces in one statement while the next
   * ones are decrypted; PGlite takes them in blobs of at most 8 MiB (plus one piece).
   */
  private async copy(target: string, pieces: AsyncIterable<Buffer>): Promise<void> {
    if (this.engine === 'postgres') {
      await this.tx.copyIn(target, pieces);
      return;
    }
    let batch: Buffer[] = [];
    let size = 0;
    for await (const piece of pieces) {
      batch.push(piece);
      size += piece.length;
      if (size >= pgliteCopyBytes) {
        await this.tx.copyIn(target, Buffer.concat(batch));
        batch = [];
        size = 0;
      }
    }
    if (size > 0) {
      await this.tx.copyIn(target, Buffer.concat(batch));
    }
  }

  private count(name: string, rows: number): void {
    this.rows[name] = (this.rows[name] ?? 0) + rows;
    this.total += rows;
    this.request.onProgress?.(this.total);
  }
}

/** The pieces, reporting each one's rows (line feeds) as it passes. */
async function* counted(
  pieces: AsyncIterable<Buffer>,
  report: (rows: number) => void,
): AsyncGenerator<Buffer> {
  for await (const piece of pieces) {
    let rows = 0;
    for (let at = piece.indexOf(10); at !== -1; at = piece.indexOf(10, at + 1)) {
      rows += 1;
    }
    report(rows);
    yield piece;
  }
}
