import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { eventually, platformQueriesDuring } from '../../../test/harness/platform-queries.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { operatorCaller } from '../../context.ts';

const minute = 60_000;

/**
 * Sessions served from memory (see `IdentityService.authenticate`): a warm
 * authenticated read asks nothing of the platform store, and whatever ends a
 * session or changes its account — here, in another instance, or by hand in the
 * database — is refused from the next request on (another instance: within the
 * store's NOTIFY round trip, far below the cache's TTL).
 */
forEachEngine('sessions served from memory', (env) => {
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

  /** The hot authenticated read: served from memory when warm. */
  const me = (app: TestApp, user: TestUser) => app.request(user, 'GET', '/api/v1/spaces');

  /** Requests until one is answered from memory alone (the change feed starts on first use). */
  async function warm(app: TestApp, user: TestUser): Promise<void> {
    await eventually(async () => {
      const queries = await platformQueriesDuring(env(), async () => {
        assert.equal((await me(app, user)).statusCode, 200);
      });
      assert.equal(queries, 0, 'a warm authenticated read sends no query');
    });
  }

  const sessionRow = async (user: TestUser) => {
    const db = await env().stores.platform();
    const { rows } = await db.query<{ last_seen_at: Date; end_reason: string | null }>(
      `SELECT s.last_seen_at, s.end_reason FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE u.id = $1 ORDER BY s.created_at DESC LIMIT 1`,
      [user.id],
    );
    return rows[0];
  };

  test('a warm session is served from memory, and refused at once after logout', async () => {
    const user = await t.user();
    await warm(t, user);
    assert.equal((await t.request(user, 'POST', '/api/v1/auth/logout')).statusCode, 204);
    assert.equal((await me(t, user)).statusCode, 401);
    assert.equal((await sessionRow(user))?.end_reason, 'logout');
  });

  test('a logout in another instance is refused here within the notification round trip', async () => {
    const user = await t.user();
    await warm(t, user);
    assert.equal((await other.request(user, 'POST', '/api/v1/auth/logout')).statusCode, 204);
    const took = await eventually(async () => {
      assert.equal((await me(t, user)).statusCode, 401);
    });
    assert.ok(took < 3_000, `took ${took} ms`);
  });

  test('disabling an account refuses its cached sessions at once, in every instance', async () => {
    const user = await t.user();
    await warm(t, user);
    await warm(other, user);
    await t.services.identity.setDisabled(operatorCaller(), user.id, true);
    assert.equal((await me(t, user)).statusCode, 401);
    await eventually(async () => {
      assert.equal((await me(other, user)).statusCode, 401);
    });
    await t.services.identity.setDisabled(operatorCaller(), user.id, false);
    assert.equal((await me(t, user)).statusCode, 401, 'the session stays ended');
  });

  test('changes made by hand in the database reach the cache: account disabled, session ended', async () => {
    const owner = await env().owner('platform');
    const disabled = await t.user();
    const ended = await t.user();
    await warm(t, disabled);
    await warm(t, ended);
    await owner.query('UPDATE users SET disabled_at = now() WHERE id = $1', [disabled.id]);
    await owner.query(
      `UPDATE sessions SET ended_at = now(), end_reason = 'revoked' WHERE user_id = $1`,
      [ended.id],
    );
    await eventually(async () => {
      assert.equal((await me(t, disabled)).statusCode, 401);
      assert.equal((await me(t, ended)).statusCode, 401);
    });
  });

  test('idle and absolute limits are enforced on a cached session, and end it in the store', async () => {
    const idleMs = t.services.identity.sessionSettings.idleMinutes * minute;
    const idle = await t.user();
    await warm(t, idle);
    t.clock.advance(idleMs + 1);
    assert.equal((await me(t, idle)).statusCode, 401);
    assert.equal((await sessionRow(idle))?.end_reason, 'idle');

    // Kept alive by a request every idle/2 until the absolute limit ends it.
    const absoluteMs = t.services.identity.sessionSettings.absoluteHours * 3_600_000;
    const busy = await t.user();
    await warm(t, busy);
    let elapsed = 0;
    while (elapsed + idleMs / 2 < absoluteMs) {
      t.clock.advance(idleMs / 2);
      elapsed += idleMs / 2;
      assert.equal((await me(t, busy)).statusCode, 200, `at ${elapsed} ms`);
    }
    t.clock.advance(absoluteMs - elapsed);
    assert.equal((await me(t, busy)).statusCode, 401);
    assert.equal((await sessionRow(busy))?.end_reason, 'expired');
  });

  test('touches are batched: one write of last_seen_at per interval, whatever the traffic', async () => {
    const user = await t.user();
    await warm(t, user);
    t.clock.advance(2 * minute);
    assert.equal((await me(t, user)).statusCode, 200);
    const touched = (await sessionRow(user))?.last_seen_at;
    assert.ok(touched);
    const writes = await platformQueriesDuring(env(), async () => {
      for (let i = 0; i < 20; i += 1) {
        t.clock.advance(1000);
        assert.equal((await me(t, user)).statusCode, 200);
      }
    });
    assert.equal(writes, 0, 'no write within the interval');
    assert.equal((await sessionRow(user))?.last_seen_at.getTime(), touched.getTime());
    t.clock.advance(minute);
    assert.equal((await me(t, user)).statusCode, 200);
    assert.ok(((await sessionRow(user))?.last_seen_at.getTime() ?? 0) > touched.getTime());
  });
});
