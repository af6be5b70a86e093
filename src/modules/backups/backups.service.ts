import type { Caller } from '../../context.ts';
import type { ServiceDeps } from '../../services.ts';
import { SpaceAccess } from '../spaces/space-access.ts';
import { listBackups } from './backup-operations.ts';
import { type BackupView, toBackupView } from './backup-presenter.ts';
import { restoreSpace } from './backup-restore.ts';
import type { RestoreOutcome } from './restore.ts';
import { deleteSpaceEverywhere } from './space-deletion.ts';

/**
 * A Space's backups as its superadmins see them (SPEC 4.1: "backups of the Space
 * (list, restore): superadmin"), and the deletion of a Space, which destroys its
 * data key and so every backup of it.
 */
export class BackupsService {
  private readonly access: SpaceAccess;

  constructor(private readonly deps: ServiceDeps) {
    this.access = new SpaceAccess(deps);
  }

  /** The Space's kept backups, oldest first (at most one a day for 35 days: one page). */
  async list(caller: Caller, spaceId: string): Promise<{ items: BackupView[]; nextCursor: null }> {
    const { space } = await this.access.require(caller, spaceId, 'backups.read');
    const manifests = await listBackups(this.deps.config, {
      spaceId: space.id,
      region: space.region,
    });
    return { items: manifests.map(toBackupView), nextCursor: null };
  }

  /**
   * Restores the Space from one of its kept backups (SPEC 4.1: superadmin): in
   * place, or as a new Space owned by the caller. Recorded in the history as
   * `backup.restore` with the caller as actor.
   */
  async restore(
    caller: Caller,
    spaceId: string,
    backupId: string,
    options: { readonly asNew?: boolean | undefined; readonly name?: string | undefined },
  ): Promise<RestoreOutcome> {
    const { space } = await this.access.require(caller, spaceId, 'backups.restore');
    return restoreSpace(
      { config: this.deps.config, stores: this.deps.stores, now: this.deps.clock },
      caller,
      {
        spaceId: space.id,
        backupId,
        asNew: options.asNew ? { ownerUserId: caller.actor.id, name: options.name } : undefined,
      },
    );
  }

  /** Deletes the Space, its data and its data key; its backups become unreadable. */
  async deleteSpace(caller: Caller, spaceId: string): Promise<void> {
    const { space } = await this.access.require(caller, spaceId, 'space.delete');
    await deleteSpaceEverywhere(this.deps.stores, space);
  }
}
