import { readSpaceTables } from '../../stores/space-tables.ts';
import type { Stores } from '../../stores/stores.ts';
import { historyTables } from './backup-tables.ts';
import { deleteSpaceRows, purgeSpace } from './backups.repository.ts';
import { deleteDataKey } from './data-key.repository.ts';
import { deleteRegisteredSpace } from './space-registry.repository.ts';

/**
 * Deletes a Space everywhere it lives: its data key first (every backup of it
 * becomes unreadable at once), its customer data and history from the region
 * store, then its registry row and memberships from the platform store. The
 * region transaction commits inside the platform one, so a region failure
 * leaves the registry as it was; if the platform commit itself fails, running
 * the deletion again finishes it (the region part finds nothing left).
 */
export async function deleteSpaceEverywhere(
  stores: Stores,
  space: { id: string; region: string },
): Promise<void> {
  const region = await stores.region(space.region);
  const platform = await stores.platform();
  await platform.transaction(async (ptx) => {
    await deleteRegisteredSpace(ptx, space.id);
    await region.transaction(async (tx) => {
      await deleteDataKey(tx, space.id);
      const tables = (await readSpaceTables(tx)).filter(
        (t) => t.name !== 'spaces' && !historyTables.has(t.name),
      );
      for (const table of [...tables].reverse()) {
        await deleteSpaceRows(tx, table.name, space.id);
      }
      await purgeSpace(tx, space.id);
    });
  });
}
