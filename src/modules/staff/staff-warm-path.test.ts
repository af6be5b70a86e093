import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import {
  eventually,
  hrQueriesDuring,
  platformQueriesDuring,
} from '../../../test/harness/platform-queries.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';

/**
 * The hot path of a staff request under a grant (issue #6): the staff session,
 * the Space's registry entry and the live grant come from this instance's
 * memory, so the durable record of the use is the only statement it adds to
 * the route; and what those caches hold is dropped when it changes, from any
 * instance or by hand.
 */
forEachEngine('staff requests under a warm grant', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let cto: TestUser;
  let spaceId = '';
  let url = '';

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Olga Owner');
    spaceId = await t.space(owner);
    const created = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.org',
    });
    assert.equal(created.statusCode, 201, created.body);
    url = `/api/v1/spaces/${spaceId}/contacts/${created.json().id}`;
    cto = await t.staff('cto');
    const opened = await t.request(cto, 'POST', '/api/v1/staff/access', {
      spaceId,
      reason: 'customer ticket 4512: import fails',
    });
    assert.equal(opened.statusCode, 201, opened.body);
  });
  after(() => t.close());

  /** Uses recorded for the Space: still pending, or delivered to its history. */
  async function usesRecorded(): Promise<number> {
    const region = await env().stores.region('eu');
    const { rows } = await region.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM staff_access_pending WHERE space_id = $1)::int
            + (SELECT count(*) FROM history_entries
                WHERE space_id = $1 AND action = 'staff.access')::int AS n`,
      [spaceId],
    );
    return rows[0]?.n ?? 0;
  }

  test('a warm staff read asks nothing of the platform and hr stores, and each one is recorded', async () => {
    await eventually(async () => {
      let hr = 0;
      const platform = await platformQueriesDuring(env(), async () => {
        hr = await hrQueriesDuring(env(), async () => {
          assert.equal((await t.request(cto, 'GET', url)).statusCode, 200);
        });
      });
      assert.equal(platform, 0, 'no platform query');
      assert.equal(hr, 0, 'no hr query');
    }, 10_000);
    const before = await usesRecorded();
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await t.request(cto, 'GET', url)).statusCode, 200);
    }
    assert.equal((await usesRecorded()) - before, 5, 'every read is recorded before its answer');
  });

  test('a Space removed from the registry by hand is not found at once under a cached grant', async () => {
    const other = await t.space(owner);
    const opened = await t.request(cto, 'POST', '/api/v1/staff/access', {
      spaceId: other,
      reason: 'customer ticket 4513: export is empty',
    });
    assert.equal(opened.statusCode, 201, opened.body);
    const contacts = `/api/v1/spaces/${other}/contacts`;
    await eventually(async () => {
      const platform = await platformQueriesDuring(env(), async () => {
        assert.equal((await t.request(cto, 'GET', contacts)).statusCode, 200);
      });
      assert.equal(platform, 0, 'the registry entry is served from memory');
    }, 10_000);
    const platformOwner = await env().owner('platform');
    await platformOwner.query('DELETE FROM spaces WHERE id = $1', [other]);
    await eventually(async () => {
      assert.equal((await t.request(cto, 'GET', contacts)).statusCode, 404);
    });
  });
});
