import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';

forEachEngine('support card', (env) => {
  let t: TestApp;
  let user: TestUser;
  let agent: TestUser;
  const card = (who: TestUser | null, email: string) =>
    t.request(who, 'GET', `/api/v1/support/card?email=${encodeURIComponent(email)}`);

  before(async () => {
    t = await createTestApp(env());
    user = await t.user('Uma User');
    const other = await t.user('Owner Two');
    const first = await t.space(user);
    await t.space(other, { members: [[user, 'volunteer']] });
    const contact = await t.request(user, 'POST', `/api/v1/spaces/${first}/contacts`, {
      firstName: 'Secret',
      email: 'secret.contact@example.org',
    });
    assert.equal(contact.statusCode, 201);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'user-agent': 'Firefox/133 on Linux' },
      payload: { email: user.email, password: user.password },
    });
    agent = await t.staff('support');
  });
  after(() => t.close());

  test('answers exactly name, organization and device, and nothing else', async () => {
    const response = await card(agent, user.email.toUpperCase());
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['device', 'name', 'organization']);
    assert.equal(body.name, 'Uma User');
    assert.match(String(body.organization), /^Space \d+, Space \d+$/);
    assert.equal(body.device, 'Firefox/133 on Linux');
    for (const leaked of [user.email, user.id, 'secret.contact', 'volunteer', 'superadmin']) {
      assert.ok(!response.body.includes(leaked), `the card leaks ${leaked}`);
    }
  });

  test('an unknown email is a 404', async () => {
    assert.equal((await card(agent, 'nobody@example.org')).statusCode, 404);
  });

  test('only support staff reach it: other staff get 403 (logged), users 404', async () => {
    t.denials.lines.length = 0;
    for (const role of ['cto', 'account_manager', 'sales', 'hr'] as const) {
      const other = await t.staff(role);
      assert.equal((await card(other, user.email)).statusCode, 403, role);
    }
    assert.equal(t.denials.lines.length, 4);
    assert.ok(t.denials.lines.every((l) => l.reason === 'wrong_role' && l.spaceId === null));
    assert.equal((await card(user, user.email)).statusCode, 404);
    assert.equal((await card(null, user.email)).statusCode, 401);
  });
});
