import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { ensureCheckpointKeys } from '../history/checkpoint-keys.ts';
import { type BackupDeps, runBackups } from './backup-operations.ts';
import { ensureMasterKeys } from './master-key-files.ts';

/** `POST /spaces/:spaceId/backups/:backupId/restore`: SPEC 4.1 gives restores to the superadmin only. */
forEachEngine('backup restore route', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let other: TestUser;
  let spaceA: string;
  let spaceB: string;
  let backupA = '';
  let backupB = '';
  const deps = (): BackupDeps => ({
    config: env().config,
    stores: env().stores,
    now: () => new Date(),
  });

  before(async () => {
    await ensureMasterKeys(env().config);
    await ensureCheckpointKeys(env().config);
    t = await createTestApp(env());
    owner = await t.user('Owner');
    admin = await t.user('Admin');
    other = await t.user('Other');
    spaceA = await t.space(owner, { members: [[admin, 'admin']] });
    spaceB = await t.space(other);
    await add(owner, spaceA, 'Ada');
    await add(other, spaceB, 'Bob');
    backupA = (await runBackups(deps(), { spaceId: spaceA })).made[0]?.backupId ?? '';
    backupB = (await runBackups(deps(), { spaceId: spaceB })).made[0]?.backupId ?? '';
    assert.ok(backupA && backupB);
    await add(owner, spaceA, 'Later');
    await add(other, spaceB, 'LaterB');
  });
  after(() => t.close());

  async function add(user: TestUser, space: string, firstName: string): Promise<void> {
    const response = await t.request(user, 'POST', `/api/v1/spaces/${space}/contacts`, {
      firstName,
    });
    assert.equal(response.statusCode, 201, response.body);
  }
  async function names(user: TestUser, space: string): Promise<string[]> {
    const response = await t.request(user, 'GET', `/api/v1/spaces/${space}/contacts?limit=200`);
    assert.equal(response.statusCode, 200, response.body);
    return (response.json() as { items: { firstName: string }[] }).items
      .map((c) => c.firstName)
      .sort();
  }
  const restorePath = (space: string, backup: string) =>
    `/api/v1/spaces/${space}/backups/${backup}/restore`;

  test('an admin is refused; a user of another Space, or another Space’s backup, is not found', async () => {
    const byAdmin = await t.request(admin, 'POST', restorePath(spaceA, backupA), {});
    assert.equal(byAdmin.statusCode, 403, byAdmin.body);
    const byOther = await t.request(other, 'POST', restorePath(spaceA, backupA), {});
    assert.equal(byOther.statusCode, 404, byOther.body);
    // Space B's backup named under Space A, where the caller is superadmin.
    const crossed = await t.request(owner, 'POST', restorePath(spaceA, backupB), {});
    assert.equal(crossed.statusCode, 404, crossed.body);
    const malformed = await t.request(owner, 'POST', restorePath(spaceA, 'not-a-backup'), {});
    assert.equal(malformed.statusCode, 400, malformed.body);
    assert.deepEqual(await names(owner, spaceA), ['Ada', 'Later']);
    assert.deepEqual(await names(other, spaceB), ['Bob', 'LaterB']);
  });

  test('the superadmin restores in place: recorded as theirs, the other Space untouched', async () => {
    const response = await t.request(owner, 'POST', restorePath(spaceA, backupA), {});
    assert.equal(response.statusCode, 200, response.body);
    const outcome = response.json() as {
      spaceId: string;
      asNew: boolean;
      rows: { contacts: number };
    };
    assert.equal(outcome.spaceId, spaceA);
    assert.equal(outcome.asNew, false);
    assert.equal(outcome.rows.contacts, 1);
    assert.deepEqual(await names(owner, spaceA), ['Ada']);
    assert.deepEqual(await names(other, spaceB), ['Bob', 'LaterB']);
    const history = await t.request(
      owner,
      'GET',
      `/api/v1/spaces/${spaceA}/history?action=backup.restore`,
    );
    const entry = (history.json() as { items: { actor: { id: string } }[] }).items[0];
    assert.equal(entry?.actor.id, owner.id);
    const verify = await t.request(owner, 'GET', `/api/v1/spaces/${spaceA}/history/verify`);
    assert.equal((verify.json() as { ok: boolean }).ok, true);
  });

  test('as new: a Space owned by the caller, the original untouched', async () => {
    await add(owner, spaceA, 'Kept');
    const response = await t.request(owner, 'POST', restorePath(spaceA, backupA), {
      asNew: true,
      name: 'Copy of A',
    });
    assert.equal(response.statusCode, 200, response.body);
    const outcome = response.json() as { spaceId: string; asNew: boolean };
    assert.equal(outcome.asNew, true);
    assert.notEqual(outcome.spaceId, spaceA);
    assert.deepEqual(await names(owner, outcome.spaceId), ['Ada']);
    assert.deepEqual(await names(owner, spaceA), ['Ada', 'Kept']);
    const space = await t.request(owner, 'GET', `/api/v1/spaces/${outcome.spaceId}`);
    assert.equal(space.statusCode, 200, space.body);
    assert.equal((space.json() as { name: string }).name, 'Copy of A');
    const stranger = await t.request(other, 'GET', `/api/v1/spaces/${outcome.spaceId}/contacts`);
    assert.equal(stranger.statusCode, 404);
  });
});
