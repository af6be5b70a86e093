import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Queryable } from '../../stores/database.ts';
import type { GrantRole } from '../staff/staff-policy.ts';
import { requireStaffGrant } from '../staff/staff-space-access.ts';
import { findSpaceOfMember } from './space.repository.ts';
import {
  type Permission,
  permissionFor,
  type SpaceAction,
  type SpaceRole,
} from './space-policy.ts';
import { type SpaceView, toSpaceView } from './space-presenter.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SpaceGrant {
  readonly space: SpaceView;
  /** The member's role, or the staff role of a staff caller under a grant. */
  readonly role: SpaceRole | GrantRole;
  readonly permission: Permission;
  /** The staff grant this access rides on, for staff callers. */
  readonly staffGrantId?: string;
}

/**
 * The one gate every Space service goes through: membership decides whether the
 * Space exists for the caller, `permissionFor` decides what the role may do.
 */
export class SpaceAccess {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Member's role and the Space, or not_found when the caller is not a member
   * (same as a Space that does not exist); forbidden when the role's permission
   * for `action` is 'none'. Pass `db` to read the membership inside a transaction
   * (member management re-checks under its lock).
   */
  async require(
    caller: Caller,
    spaceId: string,
    action: SpaceAction,
    db?: Queryable,
  ): Promise<SpaceGrant> {
    if (!uuidPattern.test(spaceId)) {
      throw notFound('space');
    }
    // Staff reach a Space's data through time-boxed grants (staff-space-access.ts).
    if (caller.actor.type === 'staff') {
      return requireStaffGrant(this.deps, caller, spaceId, action);
    }
    // The CLI acts as a named member: the operator is not a member here.
    if (caller.actor.type !== 'user') {
      throw notFound('space');
    }
    const row = await findSpaceOfMember(
      db ?? (await this.deps.stores.platform()),
      spaceId,
      caller.actor.id,
    );
    if (!row) {
      throw notFound('space');
    }
    const permission = permissionFor(row.role, action);
    if (permission === 'none') {
      throw new AppError(
        'forbidden',
        `your role in this Space (${row.role}) does not allow ${action}`,
      );
    }
    return { space: toSpaceView(row), role: row.role, permission };
  }
}

/** Whether `value` is a UUID in its textual form (what the uuid column accepts, and nothing more). */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
