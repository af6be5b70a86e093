import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import type { Database, Engine, Transaction } from '../../stores/database.ts';
import type { SpaceTable } from '../../stores/space-tables.ts';
import { BackupEncryptor, backupFormatVersion, defaultChunkBytes } from './backup-cipher.ts';
import {
  type BackupManifest,
  manifestFormatVersion,
  newBackupId,
  spaceBackupDirectory,
  syncFile,
  writeFileDurably,
} from './backup-manifest.ts';
import { controlLine, copyEndLine, dataRecordVersion } from './backup-records.ts';
import {
  appliedMigrations,
  backedUpTables,
  copySpaceRows,
  countLines,
  spaceRows,
} from './backup-tables.ts';
import { dataKeyForBackup } from './data-keys.ts';
import type { MasterKeyRing } from './master-key-files.ts';

export interface BackupWriteOptions {
  readonly config: Config;
  readonly db: Database;
  readonly ring: MasterKeyRing;
  readonly now: Date;
  /** Where the encrypted bytes go; tests inject a failing stream (a full disk). */
  readonly createOutput?: (path: string) => Writable;
  /** The plaintext version to write: the current one by default; 1 only to test that old backups still restore. */
  readonly dataVersion?: 1 | 2;
}

/**
 * Takes one Space's backup: a consistent snapshot (one repeatable-read
 * transaction), each table's rows streamed by the engine's COPY straight through
 * gzip and the chunked cipher to a temporary file (no per-row work in
 * JavaScript), fsynced and renamed, then its manifest. A failure or a kill at
 * any point leaves no manifest, so nothing that is listed as a backup.
 */
export async function writeSpaceBackup(
  options: BackupWriteOptions,
  spaceId: string,
  region: string,
): Promise<BackupManifest> {
  const { config, db, ring, now } = options;
  const directory = spaceBackupDirectory(config, region, spaceId);
  const backupId = newBackupId(now);
  const file = `${backupId}.kbk`;
  const temporary = join(directory, `.tmp-${file}`);
  const rows: Record<string, number> = {};
  let schema: string[] = [];
  let size = 0;
  const digest = createHash('sha256');
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const dataKey = await db.transaction((tx) => dataKeyForBackup(tx, ring, spaceId, now));
    await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      schema = await appliedMigrations(tx);
      const tables = await backedUpTables(tx);
      const version = options.dataVersion ?? dataRecordVersion;
      const start = controlLine('backup', {
        version,
        spaceId,
        backupId,
        region,
        createdAt: now.toISOString(),
        schema,
      });
      const records =
        version === 1
          ? jsonRecords(tx, tables, spaceId, start, rows)
          : copyRecords(tx, db.engine, tables, spaceId, start, rows);
      const encryptor = new BackupEncryptor(dataKey, {
        format: 'kith-backup',
        version: version === 1 ? 1 : backupFormatVersion,
        spaceId,
        backupId,
        region,
        createdAt: now.toISOString(),
        salt: randomBytes(32).toString('hex'),
        chunkBytes: version === 1 ? 256 * 1024 : defaultChunkBytes,
        compression: 'gzip',
        cipher: 'aes-256-gcm',
      });
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          digest.update(chunk);
          done(null, chunk);
        },
      });
      const output = (options.createOutput ?? ((path) => createWriteStream(path, { mode: 0o600 })))(
        temporary,
      );
      await pipeline(
        Readable.from(records),
        // A deep buffer lets the engine's COPY keep flowing while zlib (on the
        // thread pool) compresses the previous megabytes: the two overlap.
        new PassThrough({ highWaterMark: 8 * 1024 * 1024 }),
        createGzip({ level: 1, chunkSize: 256 * 1024 }),
        encryptor,
        measure,
        output,
      );
    });
    await syncFile(temporary);
    await rename(temporary, join(directory, file));
    await syncFile(directory);
    const manifest: BackupManifest = {
      format: 'kith-backup-manifest',
      version: manifestFormatVersion,
      backupId,
      spaceId,
      region,
      createdAt: now.toISOString(),
      file,
      size,
      sha256: digest.digest('hex'),
      rows,
      schema,
    };
    await writeFileDurably(directory, `${backupId}.json`, `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    await rm(join(directory, file), { force: true }).catch(() => undefined);
    throw writeFailure(error, spaceId, directory);
  }
}

function writeFailure(error: unknown, spaceId: string, directory: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new AppError(
      'unavailable',
      `backup of Space ${spaceId} failed: the backup location ${directory} is full (${code}); free space there and run it again (earlier backups are intact)`,
    );
  }
  if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
    return new AppError(
      'unavailable',
      `backup of Space ${spaceId} failed: cannot write to ${directory} (${code}); check the backup location (KITH_REGION_<R>_BACKUPS)`,
    );
  }
  return error;
}

/** Version 2: each table's rows as the engine's COPY text, ended by `\\.`. */
async function* copyRecords(
  tx: Transaction,
  engine: Engine,
  tables: readonly SpaceTable[],
  spaceId: string,
  start: string,
  rows: Record<string, number>,
): AsyncGenerator<Buffer> {
  yield Buffer.from(start);
  for (const table of tables) {
    yield Buffer.from(controlLine('table', { name: table.name, columns: table.columns }));
    let count = 0;
    for await (const chunk of copySpaceRows(tx, engine, table, spaceId)) {
      count += countLines(chunk);
      yield chunk;
    }
    rows[table.name] = count;
    yield Buffer.concat([
      copyEndLine,
      Buffer.from(controlLine('end', { name: table.name, rows: count })),
    ]);
  }
  yield Buffer.from(controlLine('complete', { rows }));
}

/** Version 1: one row_to_json line per row (kept to test that such backups still restore). */
async function* jsonRecords(
  tx: Transaction,
  tables: readonly SpaceTable[],
  spaceId: string,
  start: string,
  rows: Record<string, number>,
): AsyncGenerator<string> {
  yield start;
  for (const table of tables) {
    yield controlLine('table', { name: table.name, columns: table.columns });
    let count = 0;
    let batch = '';
    for await (const row of spaceRows(tx, table, spaceId)) {
      // A json (not jsonb) column keeps its own line breaks: one line per row.
      batch += `${row.includes('\n') ? JSON.stringify(JSON.parse(row)) : row}\n`;
      count += 1;
      if (batch.length >= 65_536) {
        yield batch;
        batch = '';
      }
    }
    rows[table.name] = count;
    yield `${batch}${controlLine('end', { name: table.name, rows: count })}`;
  }
  yield controlLine('complete', { rows });
}
