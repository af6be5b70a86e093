/**
 * SPEC 4.1's role matrix as one table: every service asks `permissionFor` and
 * nothing else decides what a Space role may do. `space-policy.test.ts` checks
 * every cell against the specification.
 */
export const spaceRoles = ['superadmin', 'admin', 'organizer', 'volunteer'] as const;
export type SpaceRole = (typeof spaceRoles)[number];

export const spaceActions = [
  'space.read',
  'contacts.read',
  'contacts.create',
  'contacts.edit',
  'contacts.delete',
  'contacts.restore',
  'contacts.import',
  'space.export',
  'history.read',
  'history.verify',
  'history.checkpoints',
  'accessLog.read',
  'members.read',
  'members.manage',
  'privacy.manage',
  'backups.read',
  'backups.restore',
  'insights.read',
  'space.delete',
  'staffAccess.approve',
] as const;
export type SpaceAction = (typeof spaceActions)[number];

/**
 * `all`: allowed on every object of the Space; `own`: only on objects the member
 * created; `notSuperadmins`: allowed, but not on superadmins; `none`: refused.
 */
export type Permission = 'all' | 'own' | 'notSuperadmins' | 'none';

const row = (
  superadmin: Permission,
  admin: Permission,
  organizer: Permission,
  volunteer: Permission,
) => ({ superadmin, admin, organizer, volunteer }) as const satisfies Record<SpaceRole, Permission>;

export const spacePolicy: Readonly<Record<SpaceAction, Readonly<Record<SpaceRole, Permission>>>> = {
  // Every member sees the Space itself (name, country, region, their own role):
  // SPEC 4.1 gives each of the four roles a place in it.
  'space.read': row('all', 'all', 'all', 'all'),
  'contacts.read': row('all', 'all', 'all', 'own'),
  'contacts.create': row('all', 'all', 'all', 'all'),
  'contacts.edit': row('all', 'all', 'all', 'own'),
  'contacts.delete': row('all', 'all', 'none', 'none'),
  'contacts.restore': row('all', 'all', 'none', 'none'),
  'contacts.import': row('all', 'all', 'none', 'none'),
  'space.export': row('all', 'all', 'none', 'none'),
  'history.read': row('all', 'none', 'none', 'none'),
  'history.verify': row('all', 'none', 'none', 'none'),
  'history.checkpoints': row('all', 'none', 'none', 'none'),
  'accessLog.read': row('all', 'none', 'none', 'none'),
  // Seeing who else is in the Space goes with managing it.
  'members.read': row('all', 'all', 'none', 'none'),
  'members.manage': row('all', 'notSuperadmins', 'none', 'none'),
  'privacy.manage': row('all', 'all', 'none', 'none'),
  'backups.read': row('all', 'none', 'none', 'none'),
  'backups.restore': row('all', 'none', 'none', 'none'),
  'insights.read': row('all', 'all', 'all', 'none'),
  // Deleting the Space destroys its data and every backup of it: its owner's call.
  'space.delete': row('all', 'none', 'none', 'none'),
  // Approving (or refusing) a staff grant the Space asked to approve: the
  // superadmin, who also reads the staff-access log.
  'staffAccess.approve': row('all', 'none', 'none', 'none'),
};

export function permissionFor(role: SpaceRole, action: SpaceAction): Permission {
  return spacePolicy[action][role];
}

export function isSpaceRole(value: string): value is SpaceRole {
  return (spaceRoles as readonly string[]).includes(value);
}
