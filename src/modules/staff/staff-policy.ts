import type { Permission, SpaceAction } from '../spaces/space-policy.ts';

/**
 * What operator staff may do in a Space under a live grant (SPEC 4.7). Only the
 * `cto` and the Space's assigned `account_manager` ever hold a grant, and both
 * get this one column: enough to help a customer with their contacts (read,
 * create, edit), nothing that changes who holds the Space or moves its data out.
 *
 * - read the Space and its contacts, create and edit contacts: yes (all);
 * - delete, restore, import, export, privacy requests, backups: no — they
 *   destroy, bulk-change or copy out customers' data, which the customer does;
 * - history, checkpoints, the access log: no — the customer's record of what
 *   staff did is theirs to read, not staff's;
 * - members and roles: never (read or manage);
 * - insights: no; approving grants: never (staff would approve themselves).
 *
 * `staff-policy.test.ts` checks every cell against this list.
 */
export const staffSpacePolicy: Readonly<Record<SpaceAction, Permission>> = {
  'space.read': 'all',
  'contacts.read': 'all',
  'contacts.create': 'all',
  'contacts.edit': 'all',
  'contacts.delete': 'none',
  'contacts.restore': 'none',
  'contacts.import': 'none',
  'space.export': 'none',
  'history.read': 'none',
  'history.verify': 'none',
  'history.checkpoints': 'none',
  'accessLog.read': 'none',
  'members.read': 'none',
  'members.manage': 'none',
  'privacy.manage': 'none',
  'backups.read': 'none',
  'backups.restore': 'none',
  'insights.read': 'none',
  'staffAccess.approve': 'none',
  // Deleting a Space destroys it and every backup: never staff.
  'space.delete': 'none',
};

/** The staff roles that can hold a grant to a Space. */
export const grantRoles = ['cto', 'account_manager'] as const;
export type GrantRole = (typeof grantRoles)[number];

export function isGrantRole(value: string | undefined): value is GrantRole {
  return value === 'cto' || value === 'account_manager';
}
