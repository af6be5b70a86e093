import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';

const day = 86_400_000;

forEachEngine('hr directory routes (hr store)', (env) => {
  let t: TestApp;
  let hr: TestUser;
  before(async () => {
    t = await createTestApp(env());
    hr = await t.staff('hr', { name: 'Hana HR' });
  });
  after(() => t.close());

  test('hr staff list, add and read directory entries; no hash or session leaves', async () => {
    const added = await t.request(hr, 'POST', '/api/v1/hr/staff', {
      email: `contractor.${Date.now()}@operator.example`,
      name: 'Carl Contractor',
      role: 'support',
      contractType: 'contractor',
      startDate: '2026-01-05',
      endDate: '2026-12-31',
    });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json().hasAccount, false);
    assert.equal(added.json().department, 'support');
    const one = await t.request(hr, 'GET', `/api/v1/hr/staff/${added.json().id}`);
    assert.equal(one.json().contractType, 'contractor');
    const list = await t.request(hr, 'GET', '/api/v1/hr/staff?limit=200');
    assert.equal(list.statusCode, 200);
    assert.ok(list.json().items.some((s: { name: string }) => s.name === 'Hana HR'));
    assert.ok(!/password|hash|token/i.test(list.body));
  });

  test('ending a contract ends the account’s sessions at once', async () => {
    const leaver = await t.staff('sales', { startDate: '2020-01-01' });
    assert.equal((await t.request(leaver, 'GET', '/api/v1/sales/deals')).statusCode, 200);
    const yesterday = new Date(t.clock.now().getTime() - day).toISOString().slice(0, 10);
    const ended = await t.request(hr, 'PATCH', `/api/v1/hr/staff/${leaver.id}`, {
      endDate: yesterday,
    });
    assert.equal(ended.statusCode, 200, ended.body);
    assert.equal(ended.json().active, false);
    assert.equal((await t.request(leaver, 'GET', '/api/v1/sales/deals')).statusCode, 401);
  });

  test('an end date before the start is refused', async () => {
    const other = await t.staff('support');
    const refused = await t.request(hr, 'PATCH', `/api/v1/hr/staff/${other.id}`, {
      endDate: '1999-01-01',
    });
    assert.equal(refused.statusCode, 400);
  });
});
