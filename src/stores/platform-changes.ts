import type { Database } from './database.ts';

/** The channel the platform store's triggers notify on (migration 202612030100). */
export const platformChangesChannel = 'kith_platform_changes';
/** The channel the hr store's triggers notify on (migration 202612040100): staff sessions and accounts. */
export const hrChangesChannel = 'kith_hr_changes';

/**
 * What changed in the platform store: one account's sessions, state or
 * memberships, or something every account may see (a Space's registry entry).
 */
export type PlatformChange = { readonly userId: string } | { readonly everyone: true };

/** How long after a failed attempt to listen the next request may try again. */
const relistenDelayMs = 1_000;

/**
 * The change feed that keeps the in-memory caches of authenticated reads
 * honest (one per store that has them: the platform store for users, the hr
 * store for staff, on its own `channel`; an hr change names a staff id). Every change goes through `changed()`: the writes of this instance
 * right after they commit, and the notifications of the platform store's
 * triggers (any instance, or a change made by hand in the database). Caches
 * serve entries only while the feed listens; when it drops (or the store
 * closes), they are emptied and bypassed until a later request has it listening
 * again.
 */
export class PlatformChanges {
  private readonly subscribers = new Set<(change: PlatformChange) => void>();
  private generationValue = 0;
  private listening = false;
  private starting: Promise<void> | undefined;
  private retryAt = 0;

  constructor(
    private readonly platform: () => Promise<Database>,
    private readonly channel: string = platformChangesChannel,
  ) {}

  /** Moves on every change: a cache keeps what it read only if no change came during the read. */
  get generation(): number {
    return this.generationValue;
  }

  /** Whether caches may serve what they hold; starts the feed on first ask (answering false until it listens). */
  isLive(): boolean {
    if (!this.listening && !this.starting && performance.now() >= this.retryAt) {
      this.starting = this.start().finally(() => {
        this.starting = undefined;
      });
    }
    return this.listening;
  }

  subscribe(subscriber: (change: PlatformChange) => void): void {
    this.subscribers.add(subscriber);
  }

  /** Drops what a change makes stale, in every cache; call it after the change commits. */
  changed(change: PlatformChange): void {
    this.generationValue += 1;
    for (const subscriber of this.subscribers) {
      subscriber(change);
    }
  }

  private async start(): Promise<void> {
    try {
      const db = await this.platform();
      // Stopped by the store's `close()`, which reports it as lost.
      await db.listen(
        this.channel,
        (payload) => this.changed(parseChange(payload)),
        () => this.lost(),
      );
      // Whatever changed before the feed listened was never cached: caches fill
      // only while it listens.
      this.listening = true;
    } catch {
      this.retryAt = performance.now() + relistenDelayMs;
    }
  }

  private lost(): void {
    this.listening = false;
    this.changed({ everyone: true });
  }
}

/**
 * A trigger's payload: `user:<uuid>` (platform) or `staff:<uuid>` (hr), or `all`
 * (anything else is taken as `all`).
 */
export function parseChange(payload: string): PlatformChange {
  const match = /^(?:user|staff):([0-9a-f-]{36})$/i.exec(payload);
  return match?.[1] ? { userId: match[1].toLowerCase() } : { everyone: true };
}

/**
 * Entries of one kind (sessions, a user's Spaces), each belonging to an
 * account, kept for `ttlMs` at most (a safety net: the feed is what keeps them
 * right) and dropped by every change that names their account.
 */
export class ChangeAwareCache<Value> {
  private readonly entries = new Map<
    string,
    { readonly value: Value; readonly userId: string; readonly until: number }
  >();

  constructor(
    private readonly changes: PlatformChanges,
    private readonly options: { readonly ttlMs: number; readonly maxEntries: number },
  ) {
    changes.subscribe((change) => this.drop(change));
  }

  /** The entry, when the feed is live and the entry fresh. */
  get(key: string): Value | undefined {
    if (!this.changes.isLive()) {
      return undefined;
    }
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (performance.now() >= entry.until) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Reads through `load` and keeps what it found, unless a change arrived during
   * the read (it may be stale already) or the feed is not listening.
   */
  async load(
    key: string,
    load: () => Promise<{ value: Value; userId: string } | undefined>,
  ): Promise<Value | undefined> {
    const generation = this.changes.generation;
    const live = this.changes.isLive();
    const found = await load();
    if (!found) {
      return undefined;
    }
    if (live && this.changes.isLive() && this.changes.generation === generation) {
      if (this.entries.size >= this.options.maxEntries) {
        // The oldest entry goes first (a Map iterates in insertion order).
        const oldest = this.entries.keys().next();
        if (!oldest.done) {
          this.entries.delete(oldest.value);
        }
      }
      this.entries.set(key, {
        value: found.value,
        userId: found.userId,
        until: performance.now() + this.options.ttlMs,
      });
    }
    return found.value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private drop(change: PlatformChange): void {
    if ('everyone' in change) {
      this.entries.clear();
      return;
    }
    for (const [key, entry] of this.entries) {
      if (entry.userId === change.userId) {
        this.entries.delete(key);
      }
    }
  }
}
