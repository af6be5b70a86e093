import { randomUUID } from 'node:crypto';
import type { Caller } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { HistoryActor } from '../history/history-writer.ts';
import { insertMembership } from '../spaces/member.repository.ts';
import { insertSpace } from '../spaces/space.repository.ts';
import { isBackupId, spaceBackupDirectory } from './backup-manifest.ts';
import { type BackupDeps, listBackups, readingKey } from './backup-operations.ts';
import { type RestoreOutcome, restoreBackup } from './restore.ts';
import { findRegisteredSpace } from './space-registry.repository.ts';

export interface RestoreOptions {
  readonly spaceId: string;
  /** Default: the latest kept backup of the Space. */
  readonly backupId?: string | undefined;
  /** Restore into a new Space, owned by `ownerUserId` as superadmin. */
  readonly asNew?: { readonly ownerUserId: string; readonly name?: string | undefined } | undefined;
  readonly onProgress?: ((rows: number) => void) | undefined;
}

/**
 * Restores one Space from one of its kept backups (the operator's use case,
 * `kith backup restore`). In place, the Space must still be registered; as new,
 * a Space is registered with the same country and region, owned by the named
 * account. Either way the region store changes in one transaction.
 */
export async function restoreSpace(
  deps: BackupDeps,
  caller: Caller,
  options: RestoreOptions,
): Promise<RestoreOutcome> {
  if (options.backupId !== undefined && !isBackupId(options.backupId)) {
    throw new AppError(
      'invalid_input',
      `"${options.backupId}" is not a backup id: see kith backup list`,
    );
  }
  const kept = await listBackups(deps.config, { spaceId: options.spaceId });
  const manifest = options.backupId
    ? kept.find((m) => m.backupId === options.backupId)
    : kept.at(-1);
  if (!manifest) {
    throw new AppError(
      'not_found',
      options.backupId
        ? `Space ${options.spaceId} has no kept backup ${options.backupId}: see kith backup list --space ${options.spaceId}`
        : `Space ${options.spaceId} has no kept backup`,
    );
  }
  const platform = await deps.stores.platform();
  const registered = await findRegisteredSpace(platform, options.spaceId);
  if (!registered) {
    throw new AppError(
      'not_found',
      `Space ${options.spaceId} is not registered (deleted?): a deleted Space's backups cannot be read`,
    );
  }
  const dataKey = await readingKey(deps, manifest.region, manifest.spaceId);
  const region = await deps.stores.region(manifest.region);
  const now = deps.now();
  const request = {
    manifest,
    directory: spaceBackupDirectory(deps.config, manifest.region, manifest.spaceId),
    dataKey,
    actor: actorOf(caller),
    source: caller.source,
    now,
    onProgress: options.onProgress,
  };
  const asNew = options.asNew;
  if (!asNew) {
    return restoreBackup(region, { ...request, targetSpaceId: manifest.spaceId });
  }
  const id = randomUUID();
  return platform.transaction(async (ptx) => {
    await insertSpace(ptx, {
      id,
      name:
        asNew.name ??
        `${registered.name} (restored ${manifest.createdAt.slice(0, 10)})`.slice(0, 200),
      country: registered.country,
      region: manifest.region,
      createdBy: asNew.ownerUserId,
      createdAt: now,
    });
    await insertMembership(ptx, {
      spaceId: id,
      userId: asNew.ownerUserId,
      role: 'superadmin',
      at: now,
    });
    return restoreBackup(region, { ...request, targetSpaceId: id });
  });
}

function actorOf(caller: Caller): HistoryActor {
  return { type: caller.actor.type, id: caller.actor.id, name: caller.actor.name, role: null };
}
