import type { Caller } from '../../context.ts';
import type { ServiceDeps } from '../../services.ts';
import { SpaceAccess } from '../spaces/space-access.ts';
import { listBackups } from './backup-operations.ts';
import { type BackupView, toBackupView } from './backup-presenter.ts';
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

  /** Deletes the Space, its data and its data key; its backups become unreadable. */
  async deleteSpace(caller: Caller, spaceId: string): Promise<void> {
    const { space } = await this.access.require(caller, spaceId, 'space.delete');
    await deleteSpaceEverywhere(this.deps.stores, space);
  }
}
