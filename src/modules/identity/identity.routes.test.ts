import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { operatorCaller } from '../../context.ts';
import { sessionCookieName } from '../../http/authentication.ts';
import { accountFailureLimit, blockSeconds, ipFailureLimit } from './login-throttle.ts';

const minute = 60_000;

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.flatMap(keysOf);
  }
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
  }
  return [];
}

forEachEngine('identity routes', (env) => {
  let t: TestApp;
  const bodies: unknown[] = [];

  before(async () => {
    t = await createTestApp(env());
  });
  after(async () => {
    // Whatever these tests saw, no answer carried a password or a hash.
    for (const body of bodies) {
      const keys = keysOf(body).map((k) => k.toLowerCase());
      assert.ok(
        !keys.some((k) => k.includes('password') || k.includes('hash')),
        JSON.stringify(body),
      );
    }
    await t.close();
  });

  async function send(options: InjectOptions): Promise<LightMyRequestResponse> {
    const response = await t.app.inject(options);
    if (response.body) {
      bodies.push(response.json());
    }
    return response;
  }

  const login = (email: string, password: string, client: { device?: string; ip?: string } = {}) =>
    send({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'user-agent': client.device ?? 'kith-tests/1.0' },
      remoteAddress: client.ip ?? '192.0.2.1',
      payload: { email, password },
    });

  const me = (
    auth: { token?: string; cookie?: string },
    client: { device?: string; ip?: string } = {},
  ) =>
    send({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: {
        'user-agent': client.device ?? 'kith-tests/1.0',
        ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
      },
      ...(auth.cookie ? { cookies: { [sessionCookieName]: auth.cookie } } : {}),
      remoteAddress: client.ip ?? '192.0.2.1',
    });

  async function sessionRow(id: string) {
    const db = await env().stores.platform();
    const { rows } = await db.query<{
      end_reason: string | null;
      user_agent: string | null;
      ip: string | null;
    }>('SELECT end_reason, user_agent, ip FROM sessions WHERE id = $1', [id]);
    return rows[0];
  }

  test('login answers a token and sets it as an HttpOnly, SameSite=Lax cookie', async () => {
    const user = await t.user('Ada');
    const response = await login(user.email.toUpperCase(), user.password, {
      device: 'Firefox/140',
      ip: '198.51.100.4',
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json() as {
      token: string;
      expiresAt: string;
      user: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(body).sort(), ['actorType', 'expiresAt', 'token', 'user']);
    assert.match(body.token, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(body.user, {
      id: user.id,
      email: user.email,
      name: 'Ada',
      createdAt: (body.user as { createdAt: string }).createdAt,
      disabled: false,
    });
    const hours = env().config.session.absoluteHours;
    const lifetime = Date.parse(body.expiresAt) - t.clock.now().getTime();
    assert.ok(lifetime <= hours * 3_600_000 && lifetime > hours * 3_600_000 - minute);

    const cookie = response.cookies.find((c) => c.name === sessionCookieName);
    assert.ok(cookie);
    assert.equal(cookie.value, body.token);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.maxAge, hours * 3600);
    assert.equal(cookie.secure, undefined, 'not Secure unless KITH_SECURE_COOKIE=true');

    const viaBearer = await me({ token: body.token }, { device: 'Firefox/141', ip: '203.0.113.5' });
    assert.equal(viaBearer.statusCode, 200, viaBearer.body);
    const viaCookie = await me({ cookie: body.token });
    assert.equal(viaCookie.statusCode, 200, viaCookie.body);
    const answer = viaBearer.json() as { user: unknown; session: Record<string, unknown> };
    assert.deepEqual(answer.user, body.user);
    assert.deepEqual(Object.keys(answer.session).sort(), [
      'createdAt',
      'device',
      'expiresAt',
      'id',
      'ip',
    ]);
    assert.equal(answer.session.device, 'Firefox/140', 'the device the session was opened from');
    assert.equal(answer.session.ip, '198.51.100.4');
    assert.equal(answer.session.expiresAt, body.expiresAt);
    assert.deepEqual(viaCookie.json(), viaBearer.json());
    assert.ok(!JSON.stringify(viaBearer.json()).includes(body.token));
  });

  test('wrong password and unknown email: identical status and body, no cookie', async () => {
    const user = await t.user();
    const wrong = await login(user.email, 'not the password', { ip: '198.51.100.20' });
    const unknown = await login(`nobody.${Date.now()}@example.org`, user.password, {
      ip: '198.51.100.21',
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, wrong.statusCode);
    assert.equal(unknown.body, wrong.body);
    assert.deepEqual(wrong.json(), {
      error: { code: 'unauthenticated', message: 'wrong email or password' },
    });
    assert.equal(wrong.cookies.length + unknown.cookies.length, 0);
  });

  test('login bodies: strict, small, validated', async () => {
    const user = await t.user();
    const extra = await send({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: user.password, admin: true },
    });
    assert.equal(extra.statusCode, 400);
    const huge = await send({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: 'x'.repeat(20 * 1024) },
    });
    assert.equal(huge.statusCode, 413);
    const badEmail = await login('not-an-email', 'whatever');
    assert.equal(badEmail.statusCode, 400);
    assert.equal(extra.cookies.length + huge.cookies.length, 0);
  });

  test('logout ends the session: the token and the cookie answer 401, the cookie is cleared', async () => {
    const user = await t.user();
    const response = await login(user.email, user.password);
    const { token } = response.json() as { token: string };
    const out = await send({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(out.statusCode, 204, out.body);
    assert.equal(out.body, '');
    const cleared = out.cookies.find((c) => c.name === sessionCookieName);
    assert.ok(cleared);
    assert.equal(cleared.value, '');
    assert.ok(cleared.expires && cleared.expires.getTime() < Date.now());
    assert.equal((await me({ token })).statusCode, 401);
    assert.equal((await me({ cookie: token })).statusCode, 401);
    const db = await env().stores.platform();
    const { rows } = await db.query<{ end_reason: string }>(
      `SELECT end_reason FROM sessions WHERE user_id = $1 AND ended_at IS NOT NULL`,
      [user.id],
    );
    assert.deepEqual(rows, [{ end_reason: 'logout' }]);
  });

  test('a cookie-authenticated logout from another site is refused and ends nothing', async () => {
    const user = await t.user();
    const { token } = (await login(user.email, user.password)).json() as { token: string };
    const forged = await send({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { origin: 'https://evil.example', host: 'kith.example' },
      cookies: { [sessionCookieName]: token },
    });
    assert.equal(forged.statusCode, 403);
    assert.equal((await me({ token })).statusCode, 200);
  });

  test('an idle session answers 401 and is ended with reason idle', async () => {
    const user = await t.user();
    const response = await login(user.email, user.password);
    const { token } = response.json() as { token: string };
    const sessionId = ((await me({ token })).json() as { session: { id: string } }).session.id;
    t.clock.advance(env().config.session.idleMinutes * minute + 1000);
    const answer = await me({ token });
    assert.equal(answer.statusCode, 401);
    assert.equal((answer.json() as { error: { code: string } }).error.code, 'unauthenticated');
    assert.equal((await sessionRow(sessionId))?.end_reason, 'idle');
  });

  test('a session past its absolute lifetime answers 401 and is ended with reason expired', async () => {
    const user = await t.user();
    const { token } = (await login(user.email, user.password)).json() as { token: string };
    const sessionId = ((await me({ token })).json() as { session: { id: string } }).session.id;
    const { absoluteHours, idleMinutes } = env().config.session;
    const step = (idleMinutes / 2) * minute;
    for (let moved = 0; moved < absoluteHours * 3_600_000 - step; moved += step) {
      t.clock.advance(step);
      assert.equal((await me({ token })).statusCode, 200);
    }
    t.clock.advance(step);
    assert.equal((await me({ token })).statusCode, 401);
    assert.equal((await sessionRow(sessionId))?.end_reason, 'expired');
  });

  test('disabling an account ends its sessions on every device and refuses its logins', async () => {
    const user = await t.user();
    const laptop = (await login(user.email, user.password, { device: 'Laptop' })).json() as {
      token: string;
    };
    const phone = (await login(user.email, user.password, { device: 'Phone' })).json() as {
      token: string;
    };
    assert.equal((await me({ token: phone.token })).statusCode, 200);
    await t.services.identity.setDisabled(operatorCaller(), user.id, true);
    assert.equal((await me({ token: laptop.token })).statusCode, 401);
    assert.equal((await me({ token: phone.token })).statusCode, 401);
    assert.equal((await me({ token: user.token })).statusCode, 401, 'the helper’s session too');
    const db = await env().stores.platform();
    const { rows } = await db.query<{ end_reason: string | null }>(
      'SELECT end_reason FROM sessions WHERE user_id = $1',
      [user.id],
    );
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.end_reason === 'disabled'));
    const refused = await login(user.email, user.password, { ip: '198.51.100.30' });
    const wrong = await login(user.email, 'not the password', { ip: '198.51.100.31' });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.body, wrong.body, 'the same answer as a wrong password');
  });

  test(`${accountFailureLimit} failed logins block the account (429, Retry-After), then it works again`, async () => {
    const user = await t.user();
    for (let i = 0; i < accountFailureLimit; i += 1) {
      assert.equal(
        (await login(user.email, `wrong ${i}`, { ip: '198.51.100.40' })).statusCode,
        401,
      );
    }
    const blocked = await login(user.email, user.password, { ip: '198.51.100.41' });
    assert.equal(blocked.statusCode, 429, blocked.body);
    assert.equal(blocked.headers['retry-after'], String(blockSeconds));
    assert.deepEqual(blocked.json(), {
      error: { code: 'throttled', message: 'too many failed logins: try again in 15 minutes' },
    });
    assert.equal(blocked.cookies.length, 0);
    const db = await env().stores.platform();
    const { rows } = await db.query<{ row: string }>('SELECT t::text AS row FROM login_throttle t');
    assert.ok(rows.length > 0);
    for (const { row } of rows) {
      assert.ok(!row.toLowerCase().includes(user.email.toLowerCase()), row);
      assert.ok(!row.toLowerCase().includes(user.email.split('@')[0]?.toLowerCase() ?? '@'), row);
    }
    t.clock.advance(blockSeconds * 1000);
    const again = await login(user.email, user.password, { ip: '198.51.100.41' });
    assert.equal(again.statusCode, 200, again.body);
  });

  test(`${ipFailureLimit} failed logins from one address block it, across emails`, async () => {
    const user = await t.user();
    const ip = '203.0.113.99';
    for (let i = 0; i < ipFailureLimit; i += 1) {
      const response = await login(`sprayed${i}.${Date.now()}@example.org`, 'Winter2026!', { ip });
      assert.equal(response.statusCode, 401);
    }
    const blocked = await login(user.email, user.password, { ip });
    assert.equal(blocked.statusCode, 429);
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    assert.equal((await login(user.email, user.password, { ip: '203.0.113.100' })).statusCode, 200);
    t.clock.advance(blockSeconds * 1000);
  });

  test('a login from a new device mails the user; the first login and a known device do not', async () => {
    const user = await t.user('Mary');
    const before = t.mailer.sent.length;
    // The helper's login (kith-tests/1.0) was the account's first: no mail for it.
    assert.equal(t.mailer.sent.filter((m) => m.to === user.email).length, 0);
    assert.equal(
      (await login(user.email, user.password, { device: 'kith-tests/1.0' })).statusCode,
      200,
    );
    assert.equal(t.mailer.sent.length, before, 'a known device');
    const response = await login(user.email, user.password, {
      device: 'Safari/18 (iPhone)',
      ip: '203.0.113.8',
    });
    assert.equal(response.statusCode, 200);
    const mails = t.mailer.sent.filter((m) => m.to === user.email);
    assert.equal(mails.length, 1);
    assert.match(mails[0]?.text ?? '', /Safari\/18 \(iPhone\)[\s\S]*203\.0\.113\.8/);
  });

  test('GET /auth/sessions lists the caller’s open sessions, the current one marked, no secrets', async () => {
    const user: TestUser = await t.user();
    const second = (
      await login(user.email, user.password, { device: 'Tablet', ip: '192.0.2.77' })
    ).json() as {
      token: string;
    };
    const response = await send({
      method: 'GET',
      url: '/api/v1/auth/sessions',
      headers: { authorization: `Bearer ${second.token}` },
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json() as {
      items: { device: string; ip: string; current: boolean }[];
      nextCursor: null;
    };
    assert.equal(body.nextCursor, null);
    assert.deepEqual(
      body.items.map((s) => [s.device, s.ip, s.current]),
      [
        ['Tablet', '192.0.2.77', true],
        ['kith-tests/1.0', '127.0.0.1', false],
      ],
    );
    assert.ok(!response.body.includes(second.token) && !response.body.includes(user.token));
    const anonymous = await send({ method: 'GET', url: '/api/v1/auth/sessions' });
    assert.equal(anonymous.statusCode, 401);
  });
});

forEachEngine(
  'identity routes behind HTTPS',
  (env) => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(env());
    });
    after(() => t.close());

    test('the session cookie is Secure when KITH_SECURE_COOKIE=true', async () => {
      const user = await t.user();
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: user.email, password: user.password },
      });
      assert.equal(response.statusCode, 200);
      const cookie = response.cookies.find((c) => c.name === sessionCookieName);
      assert.equal(cookie?.secure, true);
      assert.equal(cookie?.httpOnly, true);
    });
  },
  { env: { KITH_SECURE_COOKIE: 'true' } },
);
