import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Permission,
  permissionFor,
  type SpaceAction,
  spaceActions,
  spaceRoles,
} from './space-policy.ts';

/**
 * SPEC 4.1's role table, written out again cell by cell from the specification
 * (not derived from `spacePolicy`), so that a change to either shows here.
 * Columns: superadmin, admin, organizer, volunteer.
 */
const expected: Record<string, [Permission, Permission, Permission, Permission]> = {
  // Not a row of the table: every role of SPEC 4.1 is a member and sees its Space.
  'space.read': ['all', 'all', 'all', 'all'],
  // "read, create, edit contacts: all | all | all | those they created"
  'contacts.read': ['all', 'all', 'all', 'own'],
  'contacts.create': ['all', 'all', 'all', 'all'],
  'contacts.edit': ['all', 'all', 'all', 'own'],
  // "delete and restore contacts: yes | yes | no | no"
  'contacts.delete': ['all', 'all', 'none', 'none'],
  'contacts.restore': ['all', 'all', 'none', 'none'],
  // "import contacts: yes | yes | no | no"
  'contacts.import': ['all', 'all', 'none', 'none'],
  // "export the Space's data: yes | yes | no | no"
  'space.export': ['all', 'all', 'none', 'none'],
  // "read the complete history, verify it, download checkpoints: yes | no | no | no"
  'history.read': ['all', 'none', 'none', 'none'],
  'history.verify': ['all', 'none', 'none', 'none'],
  'history.checkpoints': ['all', 'none', 'none', 'none'],
  // "read the staff-access log: yes | no | no | no"
  'accessLog.read': ['all', 'none', 'none', 'none'],
  // "manage members and roles: yes | yes (not superadmins) | no | no"; seeing the
  // members goes with managing them.
  'members.read': ['all', 'all', 'none', 'none'],
  'members.manage': ['all', 'notSuperadmins', 'none', 'none'],
  // "privacy requests (access, erasure, ...): yes | yes | no | no"
  'privacy.manage': ['all', 'all', 'none', 'none'],
  // "backups of the Space (list, restore): yes | no | no | no"
  'backups.read': ['all', 'none', 'none', 'none'],
  'backups.restore': ['all', 'none', 'none', 'none'],
  // "territorial insights: yes | yes | yes | no"
  'insights.read': ['all', 'all', 'all', 'none'],
  // Not a row of the table: deleting the Space (and with its data key, every
  // backup of it, SPEC 4.6) is for its superadmins only.
  'space.delete': ['all', 'none', 'none', 'none'],
  // SPEC 4.7: "a Space can require its superadmin's approval before any grant".
  'staffAccess.approve': ['all', 'none', 'none', 'none'],
};

const columns = ['superadmin', 'admin', 'organizer', 'volunteer'] as const;

test('the role columns are the four roles of SPEC 4.1, in order', () => {
  assert.deepEqual([...spaceRoles], [...columns]);
});

for (const [action, cells] of Object.entries(expected)) {
  columns.forEach((role, index) => {
    test(`${role} × ${action} is ${cells[index]}`, () => {
      assert.ok(
        (spaceActions as readonly string[]).includes(action),
        `${action} is not a policy action`,
      );
      assert.equal(
        permissionFor(role, action as SpaceAction),
        cells[index],
        `cell (${role}, ${action}) differs from SPEC 4.1`,
      );
    });
  });
}

test('every policy action has a row in the expected table, and no action is listed twice', () => {
  const missing = spaceActions.filter((action) => !(action in expected));
  assert.deepEqual(missing, [], `actions without an expected row: ${missing.join(', ')}`);
  assert.equal(new Set(spaceActions).size, spaceActions.length);
});
