/**
 * Persisted contract: a backup's manifest, version 1 (docs/backup-format.md).
 * `<location>/<spaceId>/<backupId>.json` beside `<backupId>.kbk`. A backup
 * exists only once its manifest does: the manifest is written last, through a
 * temporary name, fsynced and renamed.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';

export const manifestFormatVersion = 1;

export interface BackupManifest {
  readonly format: 'kith-backup-manifest';
  readonly version: number;
  readonly backupId: string;
  readonly spaceId: string;
  readonly region: string;
  /** ISO 8601 UTC: when the snapshot was taken. */
  readonly createdAt: string;
  /** The encrypted file, beside the manifest. */
  readonly file: string;
  /** Bytes of the encrypted file. */
  readonly size: number;
  /** SHA-256 of the encrypted file, hex. */
  readonly sha256: string;
  /** Rows per table. */
  readonly rows: Readonly<Record<string, number>>;
  /** Migrations applied to the region store when the backup was taken. */
  readonly schema: readonly string[];
}

const backupIdPattern = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A new backup id: its UTC time (sortable) and 32 random bits. */
export function newBackupId(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

export function isBackupId(value: string): boolean {
  return backupIdPattern.test(value);
}

/** The region's backup location (`KITH_REGION_<R>_BACKUPS`). */
export function backupLocation(config: Config, region: string): string {
  const location = config.backups.locations[region];
  if (!location) {
    throw new AppError('unavailable', `region ${region} is not configured (KITH_REGIONS)`);
  }
  return location;
}

export function spaceBackupDirectory(config: Config, region: string, spaceId: string): string {
  if (!uuidPattern.test(spaceId)) {
    throw new AppError('invalid_input', 'a Space id is a UUID');
  }
  return join(backupLocation(config, region), spaceId);
}

/** Writes `content` to `file` durably: temporary name, fsync, rename, fsync of the directory. */
export async function writeFileDurably(
  directory: string,
  name: string,
  content: string,
): Promise<void> {
  const temporary = join(directory, `.tmp-${name}`);
  await writeFile(temporary, content, { mode: 0o600 });
  await syncFile(temporary);
  await rename(temporary, join(directory, name));
  await syncFile(directory);
}

export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The kept backups of one Space, oldest first; files without a manifest are not backups. */
export async function readManifests(directory: string): Promise<BackupManifest[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw error;
  }
  const manifests: BackupManifest[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json') || !isBackupId(name.slice(0, -5))) {
      continue;
    }
    const manifest = JSON.parse(await readFile(join(directory, name), 'utf8')) as BackupManifest;
    if (manifest.format === 'kith-backup-manifest') {
      manifests.push(manifest);
    }
  }
  return manifests;
}

/** The Space ids that have a backup directory in the region's location. */
export async function spacesWithBackups(config: Config, region: string): Promise<string[]> {
  try {
    const names = await readdir(backupLocation(config, region));
    return names.filter((name) => uuidPattern.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw error;
  }
}

/** Removes a backup: its manifest first, so it stops being listed before its file goes. */
export async function removeBackup(directory: string, backupId: string): Promise<void> {
  await rm(join(directory, `${backupId}.json`), { force: true });
  await rm(join(directory, `${backupId}.kbk`), { force: true });
}

/**
 * Leftovers of killed runs: temporary files and encrypted files without a
 * manifest, untouched for an hour (a run in progress elsewhere keeps writing its own).
 */
export async function removeLeftovers(
  directory: string,
  keep: ReadonlySet<string>,
  now: Date,
): Promise<number> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const id = name.replace(/^\.tmp-/, '').replace(/\.(kbk|json)$/, '');
    if (name.startsWith('.tmp-') || (name.endsWith('.kbk') && !keep.has(id))) {
      const modified = await stat(join(directory, name)).then(
        (s) => s.mtimeMs,
        () => now.getTime(),
      );
      if (now.getTime() - modified < 3_600_000) {
        continue;
      }
      await rm(join(directory, name), { force: true });
      removed += 1;
    }
  }
  return removed;
}
