import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../stores/database.ts';
import type { Stores } from '../../stores/stores.ts';
import { readSpaceRegion } from './history.repository.ts';
import {
  deleteOutboxEntries,
  insertOutboxEntry,
  readPendingEntries,
  spacesWithPendingEntries,
} from './history-outbox.repository.ts';
import { appendHistoryEntries, type HistoryEntryInput } from './history-writer.ts';

/**
 * History of changes made in the platform store (members and roles). No
 * transaction spans two stores, so the entry is written to the platform store's
 * outbox in the change's own transaction, then appended to the Space's chain in
 * its region store. Each entry carries its outbox id into the chain, so a
 * delivery repeated after a crash appends nothing twice: every committed change
 * gets exactly one entry, and no entry exists for a change that rolled back.
 */
const batchSize = 500;

/** Queues `entry` inside the caller's platform transaction; returns its outbox id. */
export async function enqueueHistoryEntry(
  tx: Queryable,
  spaceId: string,
  entry: HistoryEntryInput,
): Promise<string> {
  const id = randomUUID();
  const at = entry.at ?? new Date();
  await insertOutboxEntry(tx, { id, spaceId, entry: { ...entry, at }, createdAt: at });
  return id;
}

/** Appends the Space's pending entries to its chain, oldest first; returns how many were pending. */
export async function deliverHistoryOutbox(stores: Stores, spaceId: string): Promise<number> {
  const platform = await stores.platform();
  const region = await readSpaceRegion(platform, spaceId);
  if (!region) {
    return 0;
  }
  const regionDb = await stores.region(region);
  let delivered = 0;
  for (;;) {
    const pending = await readPendingEntries(platform, spaceId, batchSize);
    if (pending.length === 0) {
      return delivered;
    }
    await regionDb.transaction((tx) =>
      appendHistoryEntries(
        tx,
        spaceId,
        pending.map((row) => ({
          ...(row.entry as unknown as HistoryEntryInput),
          at: new Date(String(row.entry.at)),
          originId: row.id,
        })),
      ),
    );
    await deleteOutboxEntries(
      platform,
      spaceId,
      pending.map((row) => row.id),
    );
    delivered += pending.length;
    if (pending.length < batchSize) {
      return delivered;
    }
  }
}

/** The relay (a scheduled job): delivers every Space's pending entries; one Space's failure does not stop the rest. */
export async function deliverAllHistoryOutboxes(
  stores: Stores,
): Promise<{ delivered: number; failed: { spaceId: string; reason: string }[] }> {
  const spaces = await spacesWithPendingEntries(await stores.platform(), 10_000);
  let delivered = 0;
  const failed: { spaceId: string; reason: string }[] = [];
  for (const spaceId of spaces) {
    try {
      delivered += await deliverHistoryOutbox(stores, spaceId);
    } catch (error) {
      failed.push({ spaceId, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { delivered, failed };
}
