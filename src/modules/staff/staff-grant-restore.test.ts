import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { type BackupDeps, runBackups } from '../backups/backup-operations.ts';
import { ensureMasterKeys } from '../backups/master-key-files.ts';
import { ensureCheckpointKeys } from '../history/checkpoint-keys.ts';

/**
 * Grants are access control, not data to roll back: restoring a backup taken
 * while a grant was live must not bring back a grant ended since, and a Space
 * restored as new starts with no grant at all.
 */
forEachEngine('staff grants through a restore', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let cto: TestUser;
  let spaceId = '';
  let contactId = '';
  let grantId = '';
  let backupId = '';
  const deps = (): BackupDeps => ({
    config: env().config,
    stores: env().stores,
    now: () => new Date(),
  });
  const read = (space: string) =>
    t.request(cto, 'GET', `/api/v1/spaces/${space}/contacts/${contactId}`);

  before(async () => {
    await ensureMasterKeys(env().config);
    await ensureCheckpointKeys(env().config);
    t = await createTestApp(env());
    owner = await t.user('Olga Owner');
    spaceId = await t.space(owner);
    const created = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
      firstName: 'Ada',
    });
    contactId = created.json().id;
    cto = await t.staff('cto', { name: 'Carl CTO' });
    const opened = await t.request(cto, 'POST', '/api/v1/staff/access', {
      spaceId,
      reason: 'customer ticket 77: restore check',
    });
    assert.equal(opened.statusCode, 201, opened.body);
    grantId = opened.json().id;
    assert.equal((await read(spaceId)).statusCode, 200);
    backupId = (await runBackups(deps(), { spaceId })).made[0]?.backupId ?? '';
    assert.ok(backupId);
  });
  after(() => t.close());

  test('a grant revoked after the backup stays revoked after restoring it in place', async () => {
    const revoked = await t.request(
      owner,
      'POST',
      `/api/v1/spaces/${spaceId}/staff-grants/${grantId}/end`,
    );
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal((await read(spaceId)).statusCode, 404);
    const restored = await t.request(
      owner,
      'POST',
      `/api/v1/spaces/${spaceId}/backups/${backupId}/restore`,
      {},
    );
    assert.equal(restored.statusCode, 200, restored.body);
    assert.equal((await read(spaceId)).statusCode, 404, 'the ended grant did not come back');
    const db = await env().stores.region('eu');
    const { rows } = await db.query<{ status: string }>(
      'SELECT status FROM staff_grants WHERE space_id = $1 AND id = $2',
      [spaceId, grantId],
    );
    assert.deepEqual(rows, [{ status: 'ended' }]);
  });

  test('a Space restored as new carries no grant of the original', async () => {
    const restored = await t.request(
      owner,
      'POST',
      `/api/v1/spaces/${spaceId}/backups/${backupId}/restore`,
      { asNew: true, name: 'Copy' },
    );
    assert.equal(restored.statusCode, 200, restored.body);
    const copy = restored.json().spaceId as string;
    assert.equal((await read(copy)).statusCode, 404);
    const db = await env().stores.region('eu');
    const { rows } = await db.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM staff_grants WHERE space_id = $1',
      [copy],
    );
    assert.deepEqual(rows, [{ count: 0 }]);
  });
});
