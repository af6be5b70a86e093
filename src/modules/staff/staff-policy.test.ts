import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Permission, spaceActions } from '../spaces/space-policy.ts';
import { staffSpacePolicy } from './staff-policy.ts';

/** Written out again from the policy's documentation, cell by cell, so a change to either shows. */
const expected: Record<string, Permission> = {
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

for (const [action, permission] of Object.entries(expected)) {
  test(`staff under a grant × ${action} is ${permission}`, () => {
    assert.equal(staffSpacePolicy[action as keyof typeof staffSpacePolicy], permission);
  });
}

test('every Space action has a staff cell, and staff never manage members', () => {
  assert.deepEqual(
    spaceActions.filter((action) => !(action in expected)),
    [],
  );
  assert.equal(staffSpacePolicy['members.manage'], 'none');
  assert.equal(staffSpacePolicy['members.read'], 'none');
});
