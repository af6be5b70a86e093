import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import type { Stores } from '../../stores/stores.ts';
import {
  type BackupManifest,
  backupLocation,
  readManifests,
  removeBackup,
  removeLeftovers,
  spaceBackupDirectory,
  spacesWithBackups,
} from './backup-manifest.ts';
import { readBackupFile } from './backup-reader.ts';
import type { BackupWriteOptions } from './backup-writer.ts';
import { writeSpaceBackup } from './backup-writer.ts';
import { readRegionSpaceIds } from './backups.repository.ts';
import { dataKeyForReading } from './data-keys.ts';
import { loadMasterKeyRing } from './master-key-files.ts';

/** What the operator's backup use cases work with. */
export interface BackupDeps {
  readonly config: Config;
  readonly stores: Stores;
  readonly now: () => Date;
  /** Tests inject a failing output (a full disk). */
  readonly createOutput?: BackupWriteOptions['createOutput'];
}

export interface BackupRun {
  readonly made: BackupManifest[];
  readonly failed: { region: string; spaceId: string | null; reason: string }[];
  readonly pruned: number;
}

/**
 * Backs up every Space of the given regions (or one Space), then prunes what
 * retention no longer keeps. One Space's failure does not stop the others; it
 * is reported. `onProgress` hears each Space as it completes.
 */
export async function runBackups(
  deps: BackupDeps,
  scope: { region?: string | undefined; spaceId?: string | undefined },
  onProgress?: (done: BackupManifest) => void,
): Promise<BackupRun> {
  const run: BackupRun = { made: [], failed: [], pruned: 0 };
  const regions = scope.region ? [scope.region] : [...deps.config.regions];
  let pruned = 0;
  for (const region of regions) {
    const db = await deps.stores.region(region);
    const ring = await loadMasterKeyRing(deps.config, region);
    const spaces = await readRegionSpaceIds(db);
    const selected = scope.spaceId ? spaces.filter((id) => id === scope.spaceId) : spaces;
    for (const spaceId of selected) {
      try {
        const options = { config: deps.config, db, ring, now: deps.now() };
        const manifest = await writeSpaceBackup(
          deps.createOutput ? { ...options, createOutput: deps.createOutput } : options,
          spaceId,
          region,
        );
        run.made.push(manifest);
        onProgress?.(manifest);
      } catch (error) {
        run.failed.push({ region, spaceId, reason: String((error as Error).message) });
      }
    }
    pruned += await pruneRegion(deps.config, region, deps.now());
  }
  if (scope.spaceId && run.made.length === 0 && run.failed.length === 0) {
    throw new AppError(
      'not_found',
      `no Space ${scope.spaceId} in ${scope.region ? `region ${scope.region}` : 'any region'}`,
    );
  }
  return { ...run, pruned };
}

/** Removes backups older than the retention period and leftovers of killed runs. */
export async function pruneRegion(config: Config, region: string, now: Date): Promise<number> {
  const oldest = now.getTime() - config.backups.retentionDays * 86_400_000;
  let removed = 0;
  for (const spaceId of await spacesWithBackups(config, region)) {
    const directory = spaceBackupDirectory(config, region, spaceId);
    const kept = new Set<string>();
    for (const manifest of await readManifests(directory)) {
      if (Date.parse(manifest.createdAt) < oldest) {
        await removeBackup(directory, manifest.backupId);
        removed += 1;
      } else {
        kept.add(manifest.backupId);
      }
    }
    await removeLeftovers(directory, kept, now);
  }
  return removed;
}

/** Every kept backup, in every region (or of one Space), oldest first. */
export async function listBackups(
  config: Config,
  scope: { spaceId?: string | undefined; region?: string | undefined } = {},
): Promise<BackupManifest[]> {
  const all: BackupManifest[] = [];
  for (const region of scope.region ? [scope.region] : config.regions) {
    const spaces = scope.spaceId ? [scope.spaceId] : await spacesWithBackups(config, region);
    for (const spaceId of spaces) {
      all.push(...(await readManifests(spaceBackupDirectory(config, region, spaceId))));
    }
  }
  return all.sort(
    (a, b) => a.createdAt.localeCompare(b.createdAt) || a.backupId.localeCompare(b.backupId),
  );
}

export interface BackupCheck {
  readonly backupId: string;
  readonly spaceId: string;
  readonly region: string;
  readonly ok: boolean;
  readonly reason: string | null;
}

/** Checks one backup end to end: file digest and size, every chunk, every table's row count. */
export async function verifyBackup(
  deps: BackupDeps,
  manifest: BackupManifest,
): Promise<BackupCheck> {
  const result = {
    backupId: manifest.backupId,
    spaceId: manifest.spaceId,
    region: manifest.region,
  };
  try {
    const directory = spaceBackupDirectory(deps.config, manifest.region, manifest.spaceId);
    const path = join(directory, manifest.file);
    const { size, sha256 } = await digestOf(path);
    if (size !== manifest.size || sha256 !== manifest.sha256) {
      throw new AppError(
        'integrity_failure',
        `backup ${manifest.backupId}: the file does not match its manifest digest (altered or incomplete)`,
      );
    }
    const dataKey = await readingKey(deps, manifest.region, manifest.spaceId);
    const counted: Record<string, number> = {};
    for await (const event of readBackupFile(path, manifest.backupId, (header) => {
      if (header.spaceId !== manifest.spaceId || header.backupId !== manifest.backupId) {
        throw new AppError(
          'integrity_failure',
          `backup ${manifest.backupId}: the file's header names another backup`,
        );
      }
      return dataKey;
    })) {
      if (event.kind === 'end') {
        counted[event.record.name] = event.record.rows;
      }
    }
    for (const [table, rows] of Object.entries(manifest.rows)) {
      if (counted[table] !== rows) {
        throw new AppError(
          'integrity_failure',
          `backup ${manifest.backupId}: table ${table} has ${counted[table] ?? 0} rows, the manifest says ${rows}`,
        );
      }
    }
    return { ...result, ok: true, reason: null };
  } catch (error) {
    return { ...result, ok: false, reason: String((error as Error).message) };
  }
}

/** The Space's data key, unwrapped with its region's master key. */
export async function readingKey(
  deps: BackupDeps,
  region: string,
  spaceId: string,
): Promise<Buffer> {
  const ring = await loadMasterKeyRing(deps.config, region);
  return dataKeyForReading(await deps.stores.region(region), ring, spaceId);
}

async function digestOf(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError('integrity_failure', `the backup file ${path} is missing`);
    }
    throw error;
  }
  return { size, sha256: hash.digest('hex') };
}

/** The region's backup location, for messages. */
export function locationOf(config: Config, region: string): string {
  return backupLocation(config, region);
}
