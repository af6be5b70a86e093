import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliRun, runKith } from '../../test/harness/cli-process.ts';

const password = 'correct horse battery staple';

function json<T>(run: CliRun): T {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

/** `kith staff create|assign` on an embedded installation (CONTRACT.md). */
describe('kith staff', () => {
  let root = '';
  let env: Record<string, string> = {};
  const kith = (args: string[], input?: string) =>
    runKith(args, { env, ...(input === undefined ? {} : { input }) });
  let spaceId = '';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kith-staff-cli-'));
    env = { KITH_DATA: join(root, 'data'), KITH_REGIONS: 'eu' };
    json(
      await kith(
        [
          'users',
          'create',
          '--email',
          'owner@example.org',
          '--name',
          'O',
          '--password-stdin',
          '--json',
        ],
        `${password}\n`,
      ),
    );
    spaceId = json<{ id: string }>(
      await kith([
        'spaces',
        'create',
        '--name',
        'S',
        '--country',
        'FR',
        '--owner',
        'owner@example.org',
        '--json',
      ]),
    ).id;
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('creates staff accounts with a role, and assigns an account manager to a Space', async () => {
    const manager = json<{ id: string; role: string }>(
      await kith(
        [
          'staff',
          'create',
          '--email',
          'am@operator.example',
          '--name',
          'Mia',
          '--role',
          'account_manager',
          '--password-stdin',
          '--json',
        ],
        `${password}\n`,
      ),
    );
    assert.equal(manager.role, 'account_manager');
    const assigned = json<{ staffId: string; spaceId: string }>(
      await kith([
        'staff',
        'assign',
        '--email',
        'am@operator.example',
        '--space',
        spaceId,
        '--json',
      ]),
    );
    assert.deepEqual(assigned, { staffId: manager.id, spaceId });
    const unassigned = json<{ staffId: string; wasAssigned: boolean; grantsEnded: number }>(
      await kith([
        'staff',
        'unassign',
        '--email',
        'am@operator.example',
        '--space',
        spaceId,
        '--json',
      ]),
    );
    assert.deepEqual(unassigned, {
      spaceId,
      staffId: manager.id,
      wasAssigned: true,
      grantsEnded: 0,
    });
    const again = await kith([
      'staff',
      'unassign',
      '--email',
      'am@operator.example',
      '--space',
      spaceId,
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /was not assigned/);
  });

  test('refuses an unknown role (6), a user’s email, an unknown Space (3)', async () => {
    const role = await kith(
      [
        'staff',
        'create',
        '--email',
        'x@operator.example',
        '--name',
        'X',
        '--role',
        'janitor',
        '--password-stdin',
      ],
      `${password}\n`,
    );
    assert.equal(role.code, 6, role.stderr);
    assert.match(role.stderr, /cto, account_manager, support, sales, hr/);
    const user = await kith(
      [
        'staff',
        'create',
        '--email',
        'owner@example.org',
        '--name',
        'O',
        '--role',
        'cto',
        '--password-stdin',
      ],
      `${password}\n`,
    );
    assert.notEqual(user.code, 0);
    assert.match(user.stderr, /already a user account/);
    const space = await kith([
      'staff',
      'assign',
      '--email',
      'am@operator.example',
      '--space',
      '00000000-0000-4000-8000-000000000000',
    ]);
    assert.equal(space.code, 3, space.stderr);
  });
});
