import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { eventually, platformQueriesDuring } from '../../../test/harness/platform-queries.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';

interface Page {
  items: { id: string; name: string; role: string }[];
  nextCursor: string | null;
}

/**
 * A user's Spaces served from memory (see `SpacesService.listForCaller`): a warm
 * GET /spaces asks nothing of the platform store, and a membership, role or
 * Space changed anywhere — this instance, another one, or by hand in the
 * database — shows in the next list (another instance: within the store's
 * NOTIFY round trip).
 */
forEachEngine('the Spaces of a user served from memory', (env) => {
  let t: TestApp;
  let other: TestApp;

  before(async () => {
    t = await createTestApp(env());
    other = await createTestApp(env());
  });
  after(async () => {
    await t.close();
    await other.close();
  });

  const list = async (app: TestApp, user: TestUser, query = '') => {
    const response = await app.request(user, 'GET', `/api/v1/spaces${query}`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Page;
  };
  const rolesOf = async (app: TestApp, user: TestUser) =>
    Object.fromEntries((await list(app, user)).items.map((s) => [s.id, s.role]));

  async function warm(app: TestApp, user: TestUser): Promise<void> {
    await eventually(async () => {
      const queries = await platformQueriesDuring(env(), () => list(app, user));
      assert.equal(queries, 0, 'a warm GET /spaces sends no query');
    });
  }

  test('this instance’s own changes show at once: Space created, member added, role changed, removed', async () => {
    const owner = await t.user();
    const member = await t.user();
    const first = await t.space(owner);
    await warm(t, owner);
    await warm(t, member);
    const second = await t.space(owner);
    assert.deepEqual(await rolesOf(t, owner), { [first]: 'superadmin', [second]: 'superadmin' });
    const add = await t.request(owner, 'POST', `/api/v1/spaces/${first}/members`, {
      email: member.email,
      role: 'volunteer',
    });
    assert.equal(add.statusCode, 201, add.body);
    assert.deepEqual(await rolesOf(t, member), { [first]: 'volunteer' });
    const change = await t.request(owner, 'PATCH', `/api/v1/spaces/${first}/members/${member.id}`, {
      role: 'organizer',
    });
    assert.equal(change.statusCode, 200, change.body);
    assert.deepEqual(await rolesOf(t, member), { [first]: 'organizer' });
    const remove = await t.request(owner, 'DELETE', `/api/v1/spaces/${first}/members/${member.id}`);
    assert.equal(remove.statusCode, 204, remove.body);
    assert.deepEqual(await rolesOf(t, member), {});
  });

  test('a member removed in another instance no longer sees the Space here', async () => {
    const owner = await t.user();
    const member = await t.user();
    const space = await t.space(owner, { members: [[member, 'admin']] });
    await warm(t, member);
    assert.deepEqual(await rolesOf(t, member), { [space]: 'admin' });
    const removed = await other.request(
      owner,
      'DELETE',
      `/api/v1/spaces/${space}/members/${member.id}`,
    );
    assert.equal(removed.statusCode, 204, removed.body);
    await eventually(async () => {
      assert.deepEqual(await rolesOf(t, member), {});
    });
  });

  test('changes made by hand in the database show in the next list', async () => {
    const db = await env().owner('platform');
    const owner = await t.user();
    const member = await t.user();
    const kept = await t.space(owner);
    const renamed = await t.space(owner);
    await warm(t, owner);
    await warm(t, member);
    // A membership inserted, a role changed, a Space renamed, a Space deleted.
    await db.query(
      `INSERT INTO memberships (space_id, user_id, role, created_at, updated_at)
       VALUES ($1, $2, 'volunteer', now(), now())`,
      [kept, member.id],
    );
    await eventually(async () => {
      assert.deepEqual(await rolesOf(t, member), { [kept]: 'volunteer' });
    });
    await db.query(`UPDATE memberships SET role = 'admin' WHERE space_id = $1 AND user_id = $2`, [
      kept,
      member.id,
    ]);
    await eventually(async () => {
      assert.deepEqual(await rolesOf(t, member), { [kept]: 'admin' });
    });
    await warm(t, owner);
    await db.query(`UPDATE spaces SET name = 'Renamed by hand' WHERE id = $1`, [renamed]);
    await eventually(async () => {
      const names = (await list(t, owner)).items.map((s) => s.name);
      assert.ok(names.includes('Renamed by hand'), names.join());
    });
    await db.query('DELETE FROM spaces WHERE id = $1', [kept]);
    await eventually(async () => {
      assert.deepEqual(await rolesOf(t, member), {});
      assert.deepEqual(Object.keys(await rolesOf(t, owner)), [renamed]);
    });
  });

  test('pages read from memory are the pages the store gives', async () => {
    const owner = await t.user();
    const spaces: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      spaces.push(await t.space(owner));
    }
    await warm(t, owner);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await list(t, owner, query);
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor);
    const db = await env().stores.platform();
    const { rows } = await db.query<{ id: string }>(
      `SELECT s.id FROM memberships m JOIN spaces s ON s.id = m.space_id
        WHERE m.user_id = $1 ORDER BY s.created_at, s.id`,
      [owner.id],
    );
    assert.deepEqual(
      seen,
      rows.map((r) => r.id),
    );
    assert.deepEqual([...seen].sort(), [...spaces].sort());
    // A cursor past every Space, and one for an unknown id: empty, like the store's keyset.
    const last = await list(t, owner, '?limit=5');
    assert.equal(last.nextCursor, null);
    const unknown = Buffer.from(JSON.stringify([new Date().toISOString(), randomUUID()])).toString(
      'base64url',
    );
    assert.deepEqual((await list(t, owner, `?cursor=${unknown}`)).items, []);
  });
});
