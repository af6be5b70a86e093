import type { Caller, StaffRole } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import { logDenial } from './staff-denials.ts';

/**
 * The gate of a department's routes: only staff of `role` pass. Anyone who is
 * not staff gets a 404 (the route is not there for them); staff of another role
 * get a bare 403, and the operator's log gets the denial (ids and a code only).
 */
export function requireStaffRole(
  deps: ServiceDeps,
  caller: Caller,
  role: StaffRole,
  action: string,
): { staffId: string } {
  if (caller.actor.type !== 'staff') {
    throw notFound('route');
  }
  if (caller.actor.staffRole !== role) {
    logDenial(deps, { staffId: caller.actor.id, action, spaceId: null, reason: 'wrong_role' });
    throw new AppError('forbidden', 'not allowed');
  }
  return { staffId: caller.actor.id };
}
