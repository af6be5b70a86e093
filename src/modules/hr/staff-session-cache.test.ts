import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { eventually, hrQueriesDuring } from '../../../test/harness/platform-queries.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';

const minute = 60_000;
const day = 86_400_000;

/**
 * Staff sessions served from memory (see `StaffAccountsService.liveSession`): a
 * warm staff request asks nothing of the hr store, and whatever ends a staff
 * session, disables its account or ends its contract — here, in another
 * instance, or by hand in the database — is refused from the next request on
 * (another instance: within the store's NOTIFY round trip).
 */
forEachEngine('staff sessions served from memory', (env) => {
  let t: TestApp;
  /** Another instance on the same stores, with its own caches. */
  let other: TestApp;

  before(async () => {
    t = await createTestApp(env());
    other = await createTestApp(env());
  });
  after(async () => {
    await t.close();
    await other.close();
  });

  /** A staff route that reads nothing from the hr store once the session is known. */
  const leads = (app: TestApp, agent: TestUser) => app.request(agent, 'GET', '/api/v1/sales/leads');

  /** Requests until one is answered without the hr store (the change feed starts on first use). */
  async function warm(app: TestApp, agent: TestUser): Promise<void> {
    // The first request may open the stores (migrations): the feed is timed after it.
    assert.equal((await leads(app, agent)).statusCode, 200);
    await eventually(async () => {
      const queries = await hrQueriesDuring(env(), async () => {
        assert.equal((await leads(app, agent)).statusCode, 200);
      });
      assert.equal(queries, 0, 'a warm staff request sends no query to the hr store');
    });
  }

  const sessionRow = async (agent: TestUser) => {
    const hr = await env().stores.department('hr');
    const { rows } = await hr.query<{ last_seen_at: Date; end_reason: string | null }>(
      `SELECT last_seen_at, end_reason FROM staff_sessions
        WHERE staff_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [agent.id],
    );
    return rows[0];
  };

  test('a warm staff session is served from memory, and refused at once after logout', async () => {
    const agent = await t.staff('sales');
    await warm(t, agent);
    assert.equal((await t.request(agent, 'POST', '/api/v1/auth/logout')).statusCode, 204);
    assert.equal((await leads(t, agent)).statusCode, 401);
    assert.equal((await sessionRow(agent))?.end_reason, 'logout');
  });

  test('a staff logout in another instance is refused here within the notification round trip', async () => {
    const agent = await t.staff('sales');
    await warm(t, agent);
    await warm(other, agent);
    assert.equal((await other.request(agent, 'POST', '/api/v1/auth/logout')).statusCode, 204);
    assert.equal((await leads(other, agent)).statusCode, 401);
    const took = await eventually(async () => {
      assert.equal((await leads(t, agent)).statusCode, 401);
    });
    assert.ok(took < 3_000, `took ${took} ms`);
  });

  test('changes made by hand in the hr store reach the cache: account disabled, session ended, role changed', async () => {
    const owner = await env().owner('hr');
    const disabled = await t.staff('sales');
    const ended = await t.staff('sales');
    const moved = await t.staff('sales');
    await warm(t, disabled);
    await warm(t, ended);
    await warm(t, moved);
    await owner.query('UPDATE staff_accounts SET disabled_at = now() WHERE staff_id = $1', [
      disabled.id,
    ]);
    await owner.query(
      `UPDATE staff_sessions SET ended_at = now(), end_reason = 'logout' WHERE staff_id = $1`,
      [ended.id],
    );
    // A sales agent moved to support reaches the sales store no more.
    await owner.query(`UPDATE staff SET role = 'support' WHERE id = $1`, [moved.id]);
    await eventually(async () => {
      assert.equal((await leads(t, disabled)).statusCode, 401);
      assert.equal((await leads(t, ended)).statusCode, 401);
      assert.equal((await leads(t, moved)).statusCode, 403);
    });
    assert.equal((await sessionRow(disabled))?.end_reason, 'disabled');
  });

  test('a contract ended in the directory is refused at once here, and in every instance', async () => {
    const hrAgent = await t.staff('hr');
    const agent = await t.staff('sales', { startDate: '2020-01-01' });
    await warm(t, agent);
    await warm(other, agent);
    const yesterday = new Date(t.clock.now().getTime() - day).toISOString().slice(0, 10);
    const patched = await t.request(hrAgent, 'PATCH', `/api/v1/hr/staff/${agent.id}`, {
      endDate: yesterday,
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal((await leads(t, agent)).statusCode, 401);
    await eventually(async () => {
      assert.equal((await leads(other, agent)).statusCode, 401);
    });
    assert.equal((await sessionRow(agent))?.end_reason, 'contract_ended');
  });

  test('a contract ending by its date, and idle and absolute limits, end a cached session on the next request', async () => {
    const today = new Date(t.clock.now()).toISOString().slice(0, 10);
    const leaving = await t.staff('sales', { endDate: today });
    await warm(t, leaving);
    t.clock.advance(day);
    assert.equal((await leads(t, leaving)).statusCode, 401);
    assert.equal((await sessionRow(leaving))?.end_reason, 'contract_ended');

    const idleMs = t.services.identity.sessionSettings.idleMinutes * minute;
    const idle = await t.staff('sales');
    await warm(t, idle);
    t.clock.advance(idleMs + 1);
    assert.equal((await leads(t, idle)).statusCode, 401);
    assert.equal((await sessionRow(idle))?.end_reason, 'idle');

    const absoluteMs = t.services.identity.sessionSettings.absoluteHours * 3_600_000;
    const busy = await t.staff('sales');
    await warm(t, busy);
    let elapsed = 0;
    while (elapsed + idleMs / 2 < absoluteMs) {
      t.clock.advance(idleMs / 2);
      elapsed += idleMs / 2;
      assert.equal((await leads(t, busy)).statusCode, 200, `at ${elapsed} ms`);
    }
    t.clock.advance(absoluteMs - elapsed);
    assert.equal((await leads(t, busy)).statusCode, 401);
    assert.equal((await sessionRow(busy))?.end_reason, 'expired');
  });

  test('touches are batched: one write of last_seen_at per interval, whatever the traffic', async () => {
    const agent = await t.staff('sales');
    await warm(t, agent);
    t.clock.advance(2 * minute);
    assert.equal((await leads(t, agent)).statusCode, 200);
    const touched = (await sessionRow(agent))?.last_seen_at;
    assert.ok(touched);
    const writes = await hrQueriesDuring(env(), async () => {
      for (let i = 0; i < 20; i += 1) {
        t.clock.advance(1000);
        assert.equal((await leads(t, agent)).statusCode, 200);
      }
    });
    assert.equal(writes, 0, 'no write within the interval');
    t.clock.advance(minute);
    assert.equal((await leads(t, agent)).statusCode, 200);
    assert.ok(((await sessionRow(agent))?.last_seen_at.getTime() ?? 0) > touched.getTime());
  });
});
