import { randomUUID } from 'node:crypto';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import { ChangeAwareCache, type PlatformChanges } from '../../stores/platform-changes.ts';
import { findSpaceById, type SpaceRow } from '../spaces/space.repository.ts';
import type { SpaceGrant } from '../spaces/space-access.ts';
import type { SpaceAction } from '../spaces/space-policy.ts';
import { toSpaceView } from '../spaces/space-presenter.ts';
import { staffAccessEntry } from './staff-access-entry.ts';
import { staffAccessRuntime } from './staff-access-relay.ts';
import { type DenialReason, logDenial } from './staff-denials.ts';
import {
  findDecidingGrant,
  type GrantRow,
  insertPendingAccess,
  isLive,
} from './staff-grant.repository.ts';
import { isGrantRole, staffSpacePolicy } from './staff-policy.ts';

/**
 * The staff branch of `SpaceAccess.require` (SPEC 4.7): a `cto` or
 * `account_manager` with a live grant to the Space gets `staffSpacePolicy`;
 * anyone else, or without a live grant, gets the same 404 as a Space that does
 * not exist. Every use of a grant is recorded durably before the service reads
 * or writes anything, by one statement that also proves the grant still live
 * (ended, refused or expired on any instance: nothing is recorded and the
 * request is denied); the relay makes it a `staff.access` history entry.
 */
export async function requireStaffGrant(
  deps: ServiceDeps,
  caller: Caller,
  spaceId: string,
  action: SpaceAction,
): Promise<SpaceGrant> {
  const checked = await checkStaffGrant(deps, caller, spaceId, action);
  if (await recordStaffUse(deps, caller, checked, action)) {
    return checked.access;
  }
  // The grant this instance knew ended meanwhile: decide again from the store
  // (a newer grant may be live; if none is, this throws the denial).
  staffAccessRuntime(deps.stores).grants.forget(checked.access.space.id, caller.actor.id);
  const again = await checkStaffGrant(deps, caller, spaceId, action);
  if (await recordStaffUse(deps, caller, again, action)) {
    return again.access;
  }
  logDenial(deps, { staffId: caller.actor.id, action, spaceId, reason: 'grant_ended' });
  throw notFound('space');
}

/**
 * Registry entries of the Spaces staff reach under grants, by Space id, per
 * instance (one cache per platform change feed). A Space's entry changes only
 * by an update or delete of its registry row, which the platform store's trigger
 * announces to every instance (`all`): the entry is dropped then, and whenever
 * the feed is down; the TTL is a safety net.
 */
const spaceCacheTtlMs = 30_000;
const maxCachedSpaces = 10_000;
const spaceCaches = new WeakMap<PlatformChanges, ChangeAwareCache<SpaceRow>>();

async function findSpace(deps: ServiceDeps, spaceId: string): Promise<SpaceRow | undefined> {
  const changes = deps.platformChanges;
  if (!changes) {
    return findSpaceById(await deps.stores.platform(), spaceId);
  }
  let cache = spaceCaches.get(changes);
  if (!cache) {
    cache = new ChangeAwareCache(changes, { ttlMs: spaceCacheTtlMs, maxEntries: maxCachedSpaces });
    spaceCaches.set(changes, cache);
  }
  const cached = cache.get(spaceId);
  if (cached) {
    return cached;
  }
  const db = await deps.stores.platform();
  // No account owns a registry entry: only a change for everyone drops it.
  return cache.load(spaceId, async () => {
    const row = await findSpaceById(db, spaceId);
    return row && { value: row, userId: '' };
  });
}

export interface CheckedStaffGrant {
  readonly access: SpaceGrant;
  readonly grant: GrantRow;
}

/**
 * The check alone (nothing recorded): the Space and a live grant (each from
 * this instance's cache when it has it), the staff policy.
 */
export async function checkStaffGrant(
  deps: ServiceDeps,
  caller: Caller,
  spaceId: string,
  action: SpaceAction,
): Promise<CheckedStaffGrant> {
  const deny = (reason: DenialReason, error: AppError = notFound('space')) => {
    logDenial(deps, { staffId: caller.actor.id, action, spaceId, reason });
    return error;
  };
  if (!isGrantRole(caller.actor.staffRole)) {
    throw deny('wrong_role');
  }
  const space = await findSpace(deps, spaceId);
  if (!space) {
    throw notFound('space');
  }
  const now = deps.clock();
  const cache = staffAccessRuntime(deps.stores).grants;
  let grant = cache.get(space.id, caller.actor.id, now);
  if (!grant) {
    const db = await deps.stores.region(space.region);
    grant = await findDecidingGrant(db, space.id, caller.actor.id, now);
    if (!grant || grant.status === 'denied') {
      throw deny('no_grant');
    }
    if (grant.status === 'pending') {
      throw deny('grant_pending');
    }
    if (grant.status === 'ended') {
      throw deny(grant.end_reason === 'unassigned' ? 'not_assigned' : 'grant_ended');
    }
    if (!isLive(grant, now)) {
      throw deny('grant_expired');
    }
    cache.put(grant);
  }
  const permission = staffSpacePolicy[action];
  if (permission === 'none') {
    throw deny('action_not_allowed', new AppError('forbidden', 'not allowed'));
  }
  return {
    access: {
      space: toSpaceView(space),
      role: grant.staff_role,
      permission,
      staffGrantId: grant.id,
    },
    grant,
  };
}

/**
 * Records one use of a grant (its future `staff.access` entry), committed before
 * the service goes on; false, with nothing recorded, when the grant is no
 * longer live.
 */
export async function recordStaffUse(
  deps: ServiceDeps,
  caller: Caller,
  checked: CheckedStaffGrant,
  action: SpaceAction,
): Promise<boolean> {
  const space = checked.access.space;
  const db = await deps.stores.region(space.region);
  const now = deps.clock();
  const entry = staffAccessEntry(caller, checked.grant, { event: 'use', action, at: now });
  const recorded = await insertPendingAccess(db, {
    spaceId: space.id,
    grantId: checked.grant.id,
    id: randomUUID(),
    entry: { ...entry, at: now.toISOString() },
    now,
  });
  if (recorded) {
    staffAccessRuntime(deps.stores).relay.kick(db, space.id);
  }
  return recorded;
}
