import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import type { Caller } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { SpaceAccess } from './space-access.ts';
import { permissionFor, type SpaceRole, spaceActions, spaceRoles } from './space-policy.ts';

const userCaller = (user: TestUser): Caller => ({
  actor: { type: 'user', id: user.id, name: user.name },
  source: 'api',
});

const refusedWith = (code: string) => (error: unknown) =>
  error instanceof AppError && error.code === code;

forEachEngine('SpaceAccess: every role × every action', (env) => {
  let t: TestApp;
  let access: SpaceAccess;
  let spaceId = '';
  let outsider: TestUser;
  const members = new Map<SpaceRole, TestUser>();

  before(async () => {
    t = await createTestApp(env());
    access = new SpaceAccess({
      config: env().config,
      stores: env().stores,
      clock: t.clock.now,
      mailer: t.mailer,
    });
    for (const role of spaceRoles) {
      members.set(role, await t.user(`${role} member`));
    }
    outsider = await t.user('Outsider');
    const owner = members.get('superadmin') as TestUser;
    spaceId = await t.space(owner, {
      members: (['admin', 'organizer', 'volunteer'] as const).map((r) => [
        members.get(r) as TestUser,
        r,
      ]),
    });
    await t.space(outsider);
  });
  after(() => t.close());

  for (const role of spaceRoles) {
    for (const action of spaceActions) {
      const permission = permissionFor(role, action);
      test(`${role} × ${action}: ${permission === 'none' ? 'forbidden' : permission}`, async () => {
        const caller = userCaller(members.get(role) as TestUser);
        if (permission === 'none') {
          await assert.rejects(access.require(caller, spaceId, action), refusedWith('forbidden'));
          return;
        }
        const grant = await access.require(caller, spaceId, action);
        assert.equal(grant.role, role);
        assert.equal(grant.permission, permission);
        assert.equal(grant.space.id, spaceId);
        assert.equal(grant.space.region, 'eu');
      });
    }
  }

  test('a non-member gets not_found for every action, even with a Space of their own', async () => {
    for (const action of spaceActions) {
      await assert.rejects(
        access.require(userCaller(outsider), spaceId, action),
        refusedWith('not_found'),
        action,
      );
    }
  });

  test('a Space that does not exist, and an id that is not a UUID, are not_found', async () => {
    const owner = userCaller(members.get('superadmin') as TestUser);
    for (const id of [
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-4fff-bfff-ffffffffffff',
      'not-a-uuid',
      '',
    ]) {
      await assert.rejects(access.require(owner, id, 'space.read'), refusedWith('not_found'), id);
    }
  });

  test('staff and the system are not members: not_found', async () => {
    const owner = members.get('superadmin') as TestUser;
    for (const type of ['staff', 'system'] as const) {
      const caller: Caller = { actor: { type, id: owner.id, name: 'not a member' }, source: 'api' };
      await assert.rejects(
        access.require(caller, spaceId, 'space.read'),
        refusedWith('not_found'),
        type,
      );
    }
  });
});
