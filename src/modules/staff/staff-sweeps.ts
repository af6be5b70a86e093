import type { Clock } from '../../context.ts';
import type { Stores } from '../../stores/stores.ts';
import { sweepEndedContracts } from '../hr/contract-sweep.ts';
import { deliverAllStaffAccesses } from './staff-access-relay.ts';
import { endGrantsOf, sweepCaller } from './staff-grants.service.ts';

/**
 * Ended contracts (SPEC 4.7), when the end date passes without anyone editing
 * the directory: the staff member's open sessions end, and so do their pending
 * and live grants, each with a `staff.access` entry the customer reads.
 */
export async function sweepStaffContracts(deps: {
  stores: Stores;
  clock: Clock;
}): Promise<{ sessionsEnded: number; grantsEnded: number }> {
  const hr = await deps.stores.department('hr');
  const { sessionsEnded, recentlyEnded } = await sweepEndedContracts(hr, deps.clock());
  const grantsEnded = await endGrantsOf(deps, sweepCaller, recentlyEnded, 'contract_ended');
  return { sessionsEnded, grantsEnded };
}

/** The relay's scheduled run: uses of grants an instance recorded but did not deliver. */
export async function relayStaffAccesses(stores: Stores): Promise<{ delivered: number }> {
  const run = await deliverAllStaffAccesses(stores);
  if (run.failed.length > 0) {
    throw new Error(
      `${run.failed.length} Space(s) still have staff accesses pending (${run.delivered} delivered); first: ${run.failed[0]?.spaceId}: ${run.failed[0]?.reason}`,
    );
  }
  return { delivered: run.delivered };
}
