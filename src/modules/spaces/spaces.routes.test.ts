import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';

interface SpaceBody {
  id: string;
  name: string;
  country: string;
  region: string;
  createdAt: string;
  role?: string;
}
interface Page {
  items: SpaceBody[];
  nextCursor: string | null;
}
interface ErrorBody {
  error: { code: string; message: string };
}

forEachEngine('spaces routes', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let other: TestUser;

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Space Owner');
    other = await t.user('Other Owner');
  });
  after(() => t.close());

  const spaceCount = async () => {
    const platform = await env().stores.platform();
    return (await platform.query<{ n: number }>('SELECT count(*)::int AS n FROM spaces')).rows[0]
      ?.n;
  };

  test('POST /spaces creates a Space whose creator is superadmin; GET lists and reads it', async () => {
    const created = await t.request(owner, 'POST', '/api/v1/spaces', {
      name: '  Les Amis  ',
      country: 'fr',
    });
    assert.equal(created.statusCode, 201, created.body);
    const space = created.json() as SpaceBody;
    assert.match(space.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      { name: space.name, country: space.country, region: space.region },
      { name: 'Les Amis', country: 'FR', region: 'eu' },
    );
    assert.ok(!Number.isNaN(Date.parse(space.createdAt)));

    const listed = await t.request(owner, 'GET', '/api/v1/spaces');
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(
      (listed.json() as Page).items.find((s) => s.id === space.id),
      { ...space, role: 'superadmin' },
    );

    const read = await t.request(owner, 'GET', `/api/v1/spaces/${space.id}`);
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), { ...space, role: 'superadmin' });

    const platform = await env().stores.platform();
    const memberships = await platform.query(
      'SELECT user_id, role FROM memberships WHERE space_id = $1',
      [space.id],
    );
    assert.deepEqual(memberships.rows, [{ user_id: owner.id, role: 'superadmin' }]);
  });

  test('limit=1 walks every Space of the caller once, in creation order, and no one else’s', async () => {
    const walker = await t.user('Walker');
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Distinct creation times: "creation order" is then the order the API promises.
      t.clock.advance(1);
      mine.push(await t.space(walker, { country: i % 2 === 0 ? 'DE' : 'US' }));
      await t.space(other);
    }
    for (const limit of [1, 2, 5, 50]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const query: string =
          cursor === null ? `?limit=${limit}` : `?limit=${limit}&cursor=${cursor}`;
        const response = await t.request(walker, 'GET', `/api/v1/spaces${query}`);
        assert.equal(response.statusCode, 200, response.body);
        const page = response.json() as Page;
        assert.ok(page.items.length <= limit);
        seen.push(...page.items.map((s) => s.id));
        cursor = page.nextCursor;
        if (cursor === null) {
          break;
        }
      }
      assert.equal(cursor, null, `limit=${limit}: the walk ends`);
      assert.deepEqual(seen, mine, `limit=${limit}: every Space once, oldest first`);
    }
  });

  test('another user’s Space is 404 and absent from their list', async () => {
    const theirs = await t.space(other);
    const response = await t.request(owner, 'GET', `/api/v1/spaces/${theirs}`);
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: { code: 'not_found', message: 'space not found' } });
    const missing = await t.request(
      owner,
      'GET',
      '/api/v1/spaces/6f1c1c3e-7d4b-4c8e-9a55-000000000000',
    );
    assert.deepEqual(
      missing.json(),
      response.json(),
      'the same answer as a Space that does not exist',
    );
    const listed = (await t.request(owner, 'GET', '/api/v1/spaces?limit=200')).json() as Page;
    assert.ok(listed.items.length > 0);
    assert.ok(!listed.items.some((s) => s.id === theirs));
  });

  test('a member sees the Space with their own role', async () => {
    const volunteer = await t.user('Volunteer');
    const spaceId = await t.space(owner, { members: [[volunteer, 'volunteer']] });
    const read = await t.request(volunteer, 'GET', `/api/v1/spaces/${spaceId}`);
    assert.equal(read.statusCode, 200);
    assert.equal((read.json() as SpaceBody).role, 'volunteer');
    const listed = (await t.request(volunteer, 'GET', '/api/v1/spaces')).json() as Page;
    assert.deepEqual(
      listed.items.map((s) => [s.id, s.role]),
      [[spaceId, 'volunteer']],
    );
  });

  test('invalid input is a 400 in the error shape and creates nothing', async () => {
    const before = await spaceCount();
    const bodies: [unknown, RegExp][] = [
      [{ name: 'No country' }, /country/],
      [{ name: 'Three letters', country: 'FRA' }, /country/],
      [{ name: 'Digits', country: 'F1' }, /country/],
      [{ name: 'Unknown field', country: 'FR', region: 'us' }, /region|unrecognized/i],
      [{ name: '', country: 'FR' }, /name/],
      [{ name: 'x'.repeat(201), country: 'FR' }, /name/],
      [{ name: 'Line\nbreak', country: 'FR' }, /name/],
    ];
    for (const [body, message] of bodies) {
      const response = await t.request(owner, 'POST', '/api/v1/spaces', body);
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      const error = (response.json() as ErrorBody).error;
      assert.equal(error.code, 'invalid_input');
      assert.match(error.message, message, JSON.stringify(body));
    }
    assert.equal(await spaceCount(), before);
  });

  test('bad ids, cursors and limits are 400', async () => {
    for (const url of [
      '/api/v1/spaces/not-a-uuid',
      '/api/v1/spaces?limit=0',
      '/api/v1/spaces?limit=201',
      '/api/v1/spaces?cursor=%%%',
      `/api/v1/spaces?cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
      '/api/v1/spaces?unknown=1',
    ]) {
      const response = await t.request(owner, 'GET', url);
      assert.equal(response.statusCode, 400, url);
      assert.equal((response.json() as ErrorBody).error.code, 'invalid_input', url);
    }
  });

  test('without a session: 401, and nothing is created', async () => {
    const before = await spaceCount();
    const response = await t.request(null, 'POST', '/api/v1/spaces', {
      name: 'Anonymous',
      country: 'FR',
    });
    assert.equal(response.statusCode, 401);
    assert.equal((await t.request(null, 'GET', '/api/v1/spaces')).statusCode, 401);
    assert.equal(await spaceCount(), before);
  });
});
