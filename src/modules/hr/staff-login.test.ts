import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp } from '../../../test/harness/test-app.ts';
import { operatorCaller } from '../../context.ts';

const day = 86_400_000;

forEachEngine('staff accounts and login (hr store)', (env) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(env());
  });
  after(() => t.close());

  test('staff log in through POST /auth/login and are staff callers', async () => {
    const agent = await t.staff('support', { name: 'Sam Support' });
    const login = await t.request(null, 'POST', '/api/v1/auth/login', {
      email: agent.email,
      password: agent.password,
    });
    assert.equal(login.statusCode, 200, login.body);
    assert.equal(login.json().actorType, 'staff');
    const me = await t.request({ ...agent, token: login.json().token }, 'GET', '/api/v1/auth/me');
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().user.name, 'Sam Support');
    const caller = await t.services.identity.authenticate(login.json().token, { source: 'api' });
    assert.equal(caller?.actor.type, 'staff');
    assert.equal(caller?.actor.staffRole, 'support');
  });

  test('staff are not platform users, and the platform store holds no staff session', async () => {
    const agent = await t.staff('sales');
    assert.equal(await t.services.identity.findUserByEmail(agent.email), undefined);
    const platform = await env().stores.platform();
    const { rows } = await platform.query('SELECT count(*)::int AS n FROM users WHERE id = $1', [
      agent.id,
    ]);
    assert.deepEqual(rows, [{ n: 0 }]);
  });

  test('a wrong password and an unknown email get the same answer', async () => {
    const agent = await t.staff('hr');
    const wrong = await t.request(null, 'POST', '/api/v1/auth/login', {
      email: agent.email,
      password: 'not the password at all',
    });
    const unknown = await t.request(null, 'POST', '/api/v1/auth/login', {
      email: `nobody.${Date.now()}@operator.example`,
      password: 'not the password at all',
    });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(wrong.json(), unknown.json());
  });

  test('logout ends a staff session', async () => {
    const agent = await t.staff('sales');
    assert.equal((await t.request(agent, 'POST', '/api/v1/auth/logout')).statusCode, 204);
    assert.equal((await t.request(agent, 'GET', '/api/v1/auth/me')).statusCode, 401);
  });

  test('an ended contract refuses login and ends open sessions', async () => {
    const today = new Date(t.clock.now()).toISOString().slice(0, 10);
    const agent = await t.staff('account_manager', { endDate: today });
    assert.equal((await t.request(agent, 'GET', '/api/v1/auth/me')).statusCode, 200);
    t.clock.advance(day);
    assert.equal((await t.request(agent, 'GET', '/api/v1/auth/me')).statusCode, 401);
    const again = await t.request(null, 'POST', '/api/v1/auth/login', {
      email: agent.email,
      password: agent.password,
    });
    assert.equal(again.statusCode, 401);
    const hr = await env().stores.department('hr');
    const { rows } = await hr.query<{ end_reason: string }>(
      'SELECT end_reason FROM staff_sessions WHERE staff_id = $1',
      [agent.id],
    );
    assert.deepEqual(
      rows.map((r) => r.end_reason),
      ['contract_ended'],
    );
  });

  test('only the operator creates staff; roles are closed; emails are unique', async () => {
    const agent = await t.staff('support');
    await assert.rejects(
      t.services.staffAccounts.create(
        { actor: { type: 'user', id: agent.id, name: 'x' }, source: 'api' },
        { email: 'a@b.example', name: 'A', role: 'cto', password: 'long enough password 1' },
      ),
      /only the operator/,
    );
    await assert.rejects(
      t.services.staffAccounts.create(operatorCaller(), {
        email: 'c@d.example',
        name: 'C',
        role: 'janitor' as 'cto',
        password: 'long enough password 1',
      }),
      /role/,
    );
    await assert.rejects(
      t.services.staffAccounts.create(operatorCaller(), {
        email: agent.email.toUpperCase(),
        name: 'Twin',
        role: 'sales',
        password: 'long enough password 1',
      }),
      /exists/,
    );
  });

  test('only account managers are assigned to Spaces', async () => {
    const cto = await t.staff('cto');
    const manager = await t.staff('account_manager');
    const owner = await t.user();
    const spaceId = await t.space(owner);
    await assert.rejects(
      t.services.staffAccounts.assign(operatorCaller(), cto.email, spaceId),
      /only an account_manager/,
    );
    await t.services.staffAccounts.assign(operatorCaller(), manager.email, spaceId);
    await t.services.staffAccounts.assign(operatorCaller(), manager.email, spaceId);
    assert.equal(await t.services.staffAccounts.isAssigned(manager.id, spaceId), true);
    assert.equal(await t.services.staffAccounts.isAssigned(cto.id, spaceId), false);
  });
});
