import type { Database } from '../../stores/database.ts';
import type { Stores } from '../../stores/stores.ts';
import { lockHead, readRegionsInUse } from '../history/history.repository.ts';
import { genesisHash } from '../history/history-format.ts';
import { appendHistoryEntries, type HistoryEntryInput } from '../history/history-writer.ts';
import {
  type GrantRow,
  hasPendingAccesses,
  isLive,
  spacesWithPendingAccesses,
  takePendingAccesses,
} from './staff-grant.repository.ts';

/**
 * Uses of staff grants, recorded cheaply and delivered soon after (SPEC 4.7).
 *
 * A request under a grant writes one row to `staff_access_pending` (region
 * store, autocommit, before the service reads or writes anything): the access
 * is durable before the response. The relay turns those rows into `staff.access`
 * history entries in batches, in `seq` order: each batch deletes its rows and
 * appends their entries in one transaction under the Space's head lock, the
 * entries carrying the rows' ids as origins. A crash between two batches loses
 * nothing (the rows are still there) and repeats nothing.
 *
 * Delivery runs in-process a moment after a use (`kick`), before the access log
 * is read, and every minute from the scheduler for what a stopped instance left.
 */
const batchSize = 500;
/**
 * How long a kick waits, so that a burst of requests is one batch. A batch has
 * a fixed cost (the head lock, the origin check, its commit: several ms on
 * PGlite, where it holds the one connection every request waits on) that a
 * longer wait spreads over more uses; nobody waits on it (the access log
 * delivers before it reads, and the record was durable at the request).
 */
const kickDelayMs = 1_000;
const maxCachedGrants = 10_000;

/** Appends the Space's recorded uses to its history, oldest first; returns how many. */
export async function deliverStaffAccesses(db: Database, spaceId: string): Promise<number> {
  let delivered = 0;
  if (!(await hasPendingAccesses(db, spaceId))) {
    return 0;
  }
  for (;;) {
    const count = await db.transaction(async (tx) => {
      // The head lock first: two relays of one Space take their batches in turn,
      // so the entries go into the chain in the order the uses were recorded.
      await lockHead(tx, spaceId, genesisHash);
      const rows = await takePendingAccesses(tx, spaceId, batchSize);
      await appendHistoryEntries(
        tx,
        spaceId,
        rows.map((row) => ({
          ...(row.entry as unknown as HistoryEntryInput),
          at: new Date(String(row.entry.at)),
          originId: row.id,
        })),
      );
      return rows.length;
    });
    delivered += count;
    if (count < batchSize) {
      return delivered;
    }
  }
}

/** The scheduled relay: every region in use, every Space with recorded uses waiting. */
export async function deliverAllStaffAccesses(
  stores: Stores,
): Promise<{ delivered: number; failed: { spaceId: string; reason: string }[] }> {
  let delivered = 0;
  const failed: { spaceId: string; reason: string }[] = [];
  for (const region of await readRegionsInUse(await stores.platform())) {
    const db = await stores.region(region);
    for (const spaceId of await spacesWithPendingAccesses(db, 10_000)) {
      try {
        delivered += await deliverStaffAccesses(db, spaceId);
      } catch (error) {
        failed.push({ spaceId, reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return { delivered, failed };
}

/**
 * Live grants this instance has seen, by Space and staff member. A hit saves the
 * grant look-up only: every use still proves the grant live in the region store
 * when it is recorded (`insertPendingAccess`), so a grant ended or refused on
 * another instance stops working at once, and an expired one by its time.
 */
export class LiveGrantCache {
  private readonly grants = new Map<string, GrantRow>();

  get(spaceId: string, staffId: string, now: Date): GrantRow | undefined {
    const key = `${spaceId}/${staffId}`;
    const grant = this.grants.get(key);
    if (grant && !isLive(grant, now)) {
      this.grants.delete(key);
      return undefined;
    }
    return grant;
  }

  put(grant: GrantRow): void {
    if (this.grants.size >= maxCachedGrants) {
      this.grants.clear();
    }
    this.grants.set(`${grant.space_id}/${grant.staff_id}`, grant);
  }

  forget(spaceId: string, staffId: string): void {
    this.grants.delete(`${spaceId}/${staffId}`);
  }
}

/** Delivers recorded uses shortly after they are recorded, one run per Space at a time. */
export class StaffAccessRelay {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; db: Database }>();
  private readonly running = new Map<string, Promise<void>>();

  /** Asks for the Space's uses to be delivered in a moment (a burst is one batch). */
  kick(db: Database, spaceId: string): void {
    if (this.timers.has(spaceId)) {
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(spaceId);
      void this.run(db, spaceId);
    }, kickDelayMs);
    timer.unref();
    this.timers.set(spaceId, { timer, db });
  }

  /** Delivers the Space's uses now (after any run in progress); the access log reads after it. */
  async deliver(db: Database, spaceId: string): Promise<void> {
    await this.running.get(spaceId);
    await deliverStaffAccesses(db, spaceId);
  }

  /** Delivers everything kicked, and waits for runs in progress (the server is closing). */
  async settle(): Promise<void> {
    const waiting = [...this.timers.entries()];
    this.timers.clear();
    for (const [spaceId, { timer, db }] of waiting) {
      clearTimeout(timer);
      void this.run(db, spaceId);
    }
    await Promise.all(this.running.values());
  }

  private run(db: Database, spaceId: string): Promise<void> {
    const previous = this.running.get(spaceId) ?? Promise.resolve();
    const next = previous
      .then(() => deliverStaffAccesses(db, spaceId))
      .then(
        () => undefined,
        (error: unknown) => {
          // Nothing is lost: the rows stay, and the scheduled relay delivers them.
          process.stderr.write(
            `${JSON.stringify({
              level: 'warn',
              event: 'staff.access.relay_failed',
              spaceId,
              error: error instanceof Error ? error.message : String(error),
            })}\n`,
          );
        },
      )
      .finally(() => {
        if (this.running.get(spaceId) === next) {
          this.running.delete(spaceId);
        }
      });
    this.running.set(spaceId, next);
    return next;
  }
}

/** One cache and one relay per installation (its stores), shared by every service. */
const runtimes = new WeakMap<Stores, { grants: LiveGrantCache; relay: StaffAccessRelay }>();

export function staffAccessRuntime(stores: Stores): {
  grants: LiveGrantCache;
  relay: StaffAccessRelay;
} {
  let runtime = runtimes.get(stores);
  if (!runtime) {
    runtime = { grants: new LiveGrantCache(), relay: new StaffAccessRelay() };
    runtimes.set(stores, runtime);
  }
  return runtime;
}
