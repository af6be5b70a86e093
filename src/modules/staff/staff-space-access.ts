import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import { findSpaceById } from '../spaces/space.repository.ts';
import type { SpaceGrant } from '../spaces/space-access.ts';
import type { SpaceAction } from '../spaces/space-policy.ts';
import { toSpaceView } from '../spaces/space-presenter.ts';
import { staffAccessEntry } from './staff-access-entry.ts';
import { type DenialReason, logDenial } from './staff-denials.ts';
import { findDecidingGrant, type GrantRow } from './staff-grant.repository.ts';
import { isGrantRole, staffSpacePolicy } from './staff-policy.ts';

/**
 * The staff branch of `SpaceAccess.require` (SPEC 4.7): a `cto` or
 * `account_manager` with a live grant to the Space gets `staffSpacePolicy`;
 * anyone else, or without a live grant, gets the same 404 as a Space that does
 * not exist. Every use of a grant is a `staff.access` history entry, committed
 * before the service reads or writes anything.
 */
export async function requireStaffGrant(
  deps: ServiceDeps,
  caller: Caller,
  spaceId: string,
  action: SpaceAction,
): Promise<SpaceGrant> {
  const checked = await checkStaffGrant(deps, caller, spaceId, action);
  await recordStaffUse(deps, caller, checked, action);
  return checked.access;
}

export interface CheckedStaffGrant {
  readonly access: SpaceGrant;
  readonly grant: GrantRow;
}

/** The check alone (no history write): the Space, a live grant, the staff policy. */
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
  const space = await findSpaceById(await deps.stores.platform(), spaceId);
  if (!space) {
    throw notFound('space');
  }
  const now = deps.clock();
  const db = await deps.stores.region(space.region);
  const grant = await findDecidingGrant(db, space.id, caller.actor.id, now);
  if (!grant || grant.status === 'denied') {
    throw deny('no_grant');
  }
  if (grant.status === 'pending') {
    throw deny('grant_pending');
  }
  if (!grant.expires_at || grant.expires_at.getTime() <= now.getTime()) {
    throw deny('grant_expired');
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

/** Writes the `staff.access` entry of one use of a grant, committed before the service goes on. */
export async function recordStaffUse(
  deps: ServiceDeps,
  caller: Caller,
  checked: CheckedStaffGrant,
  action: SpaceAction,
): Promise<void> {
  const db = await deps.stores.region(checked.access.space.region);
  await db.transaction((tx) =>
    appendHistoryEntries(tx, checked.access.space.id, [
      staffAccessEntry(caller, checked.grant, { event: 'use', action, at: deps.clock() }),
    ]),
  );
}
