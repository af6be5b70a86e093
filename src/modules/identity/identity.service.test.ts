import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { hash } from '@node-rs/argon2';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { TestClock } from '../../../test/harness/test-app.ts';
import { type Caller, operatorCaller } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Database } from '../../stores/database.ts';
import type { Stores } from '../../stores/stores.ts';
import { type MailMessage, MemoryMailer } from '../mail/mailer.ts';
import { IdentityService } from './identity.service.ts';
import {
  accountFailureLimit,
  blockSeconds,
  failureWindowSeconds,
  ipFailureLimit,
} from './login-throttle.ts';
import { dummyPasswordHash, verifyPassword } from './password-hash.ts';

const minute = 60_000;
const userCaller: Caller = {
  actor: { type: 'user', id: randomUUID(), name: 'Someone' },
  source: 'api',
};

/** Rejects with an AppError of `code`; returns it for more checks. */
async function refused(promise: Promise<unknown>, code: AppError['code']): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, got success`);
}

class FailingMailer extends MemoryMailer {
  override async send(_message: MailMessage): Promise<void> {
    throw new Error('SMTP is down');
  }
}

forEachEngine('identity service', (env) => {
  let clock: TestClock;
  let mailer: MemoryMailer;
  let identity: IdentityService;
  let db: Database;
  let queries = 0;
  let counter = 0;

  before(async () => {
    const { config, stores } = env();
    db = await stores.platform();
    // Counts the queries the service sends (the hot path must stay one query).
    const counting = new Proxy(db, {
      get(target, property, receiver) {
        if (property === 'query') {
          return (sql: string, params?: readonly unknown[]) => {
            queries += 1;
            return target.query(sql, params);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    clock = new TestClock();
    mailer = new MemoryMailer();
    const countingStores = { platform: async () => counting } as unknown as Stores;
    const deps: ServiceDeps = { config, stores: countingStores, clock: clock.now, mailer };
    identity = new IdentityService(deps);
  });

  /** A new account with a unique email; the password is not a common one. */
  async function account(name = 'Ada Lovelace') {
    counter += 1;
    const email = `Person${counter}.${Date.now().toString(36)}@Example.org`;
    const password = `analytical engine ${counter}`;
    const user = await identity.createUser(operatorCaller(), { email, name, password });
    return { ...user, password };
  }

  const api = (device: string, ip = '192.0.2.1') => ({ device, ip, source: 'api' as const });

  test('createUser keeps the email as given (trimmed), refuses a case variant with 409', async () => {
    const user = await identity.createUser(operatorCaller(), {
      email: '  Grace.Hopper@Example.ORG ',
      name: ' Grace Hopper ',
      password: 'compilers all the way down',
    });
    assert.equal(user.email, 'Grace.Hopper@Example.ORG');
    assert.equal(user.name, 'Grace Hopper');
    assert.equal(user.disabled, false);
    assert.ok(!Number.isNaN(Date.parse(user.createdAt)));
    const error = await refused(
      identity.createUser(operatorCaller(), {
        email: 'grace.hopper@example.org',
        name: 'Impostor',
        password: 'another fine password',
      }),
      'conflict',
    );
    assert.match(error.message, /already exists/);
    const { rows } = await db.query(
      `SELECT name FROM users WHERE lower(email) = 'grace.hopper@example.org'`,
    );
    assert.deepEqual(rows, [{ name: 'Grace Hopper' }], 'the duplicate changed nothing');
    assert.deepEqual(await identity.findUserByEmail('GRACE.HOPPER@example.org'), user);
    assert.deepEqual(await identity.getUser(user.id), user);
    assert.equal(await identity.getUser('not-a-uuid'), undefined);
    assert.equal(await identity.findUserByEmail('nobody@example.org'), undefined);
  });

  test('createUser refuses bad input and non-operators, and stores only an argon2id hash', async () => {
    const before = await db.query('SELECT count(*)::int AS n FROM users');
    const good = {
      email: 'new.person@example.org',
      name: 'New Person',
      password: 'a fine long password',
    };
    await refused(identity.createUser(userCaller, good), 'forbidden');
    await refused(
      identity.createUser(operatorCaller(), { ...good, email: 'not-an-email' }),
      'invalid_input',
    );
    await refused(
      identity.createUser(operatorCaller(), { ...good, email: `${'a'.repeat(250)}@x.org` }),
      'invalid_input',
    );
    await refused(identity.createUser(operatorCaller(), { ...good, name: '   ' }), 'invalid_input');
    await refused(
      identity.createUser(operatorCaller(), { ...good, password: 'short' }),
      'invalid_input',
    );
    const common = await refused(
      identity.createUser(operatorCaller(), { ...good, password: 'Password123' }),
      'invalid_input',
    );
    assert.equal(common.message, 'this password is too common: choose another');
    assert.deepEqual((await db.query('SELECT count(*)::int AS n FROM users')).rows, before.rows);
    const user = await identity.createUser(operatorCaller(), good);
    const { rows } = await db.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [user.id],
    );
    assert.match(rows[0]?.password_hash ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.ok(!rows[0]?.password_hash.includes(good.password));
  });

  test('login opens a session: random token, only its SHA-256 stored, device and IP recorded', async () => {
    const user = await account();
    const session = await identity.login(
      { email: user.email.toUpperCase(), password: user.password },
      { device: 'Firefox/140', ip: '198.51.100.7' },
    );
    assert.match(session.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(session.user.id, user.id);
    const hours = env().config.session.absoluteHours;
    assert.equal(session.expiresAt.getTime() - clock.now().getTime() <= hours * 3_600_000, true);
    assert.ok(session.expiresAt.getTime() - clock.now().getTime() > hours * 3_600_000 - minute);
    const { rows } = await db.query<{
      row: string;
      token_hash: Uint8Array;
      user_agent: string;
      ip: string;
    }>('SELECT s::text AS row, s.token_hash, s.user_agent, s.ip FROM sessions s WHERE s.id = $1', [
      session.sessionId,
    ]);
    const row = rows[0];
    assert.ok(row);
    assert.equal(row.user_agent, 'Firefox/140');
    assert.equal(row.ip, '198.51.100.7');
    const stored = Buffer.from(row.token_hash);
    assert.equal(stored.length, 32);
    assert.notEqual(stored.toString('base64url'), session.token);
    const { rows: all } = await db.query<{ row: string }>('SELECT s::text AS row FROM sessions s');
    for (const { row: text } of all) {
      assert.ok(!text.includes(session.token), 'the token is nowhere in the sessions table');
      assert.ok(!text.includes(Buffer.from(session.token).toString('hex')));
    }
    const caller = await identity.authenticate(session.token, api('Firefox/141', '203.0.113.9'));
    assert.deepEqual(caller, {
      actor: { type: 'user', id: user.id, name: user.name },
      source: 'api',
      sessionId: session.sessionId,
      device: 'Firefox/141',
      ip: '203.0.113.9',
    });
  });

  test('the device is truncated to 512 characters and cleaned of control characters', async () => {
    const user = await account();
    const device = `Agent\u0000/${'🦊'.repeat(600)}`;
    const session = await identity.login(user, { device, ip: '192.0.2.2' });
    const { rows } = await db.query<{ user_agent: string }>(
      'SELECT user_agent FROM sessions WHERE id = $1',
      [session.sessionId],
    );
    const stored = rows[0]?.user_agent ?? '';
    assert.equal([...stored].length, 512);
    assert.ok(stored.startsWith('Agent/🦊'));
  });

  test('unknown email, wrong password and disabled account answer the same', async () => {
    const user = await account();
    const disabled = await account();
    await identity.setDisabled(operatorCaller(), disabled.id, true);
    const errors = await Promise.all([
      refused(
        identity.login({ email: user.email, password: 'not the password' }, { ip: '192.0.2.10' }),
        'unauthenticated',
      ),
      refused(
        identity.login({ email: `x${user.email}`, password: user.password }, { ip: '192.0.2.11' }),
        'unauthenticated',
      ),
      refused(
        identity.login(
          { email: 'not an email at all', password: 'whatever' },
          { ip: '192.0.2.12' },
        ),
        'unauthenticated',
      ),
      refused(identity.login(disabled, { ip: '192.0.2.13' }), 'unauthenticated'),
    ]);
    for (const error of errors) {
      assert.equal(error.message, 'wrong email or password');
      assert.deepEqual(error.details, {});
    }
    const { rows } = await db.query('SELECT 1 FROM sessions WHERE user_id = ANY($1::uuid[])', [
      [user.id, disabled.id],
    ]);
    assert.equal(rows.length, 0, 'no session was opened');
  });

  test('an unknown email costs an argon2 verification, like a wrong password', async () => {
    // A lower bound, not a comparison of two noisy timings: load only slows a
    // login down, so an unknown-email login that never verified would stay far
    // below the fastest verification this machine manages.
    const hash = await dummyPasswordHash();
    // Interleaved, so both sides see the same passing load; the fastest of each.
    const timed = async (run: () => Promise<unknown>) => {
      const start = performance.now();
      await run();
      return performance.now() - start;
    };
    let verification = Number.POSITIVE_INFINITY;
    let unknown = Number.POSITIVE_INFINITY;
    for (let n = 0; n < 6; n += 1) {
      verification = Math.min(
        verification,
        await timed(() => verifyPassword(hash, 'not the password')),
      );
      unknown = Math.min(
        unknown,
        await timed(() =>
          refused(
            identity.login({ email: `nobody${n}@example.org`, password: 'x' }, {}),
            'unauthenticated',
          ),
        ),
      );
    }
    assert.ok(
      unknown >= verification * 0.5,
      `unknown email ${unknown.toFixed(1)} ms, one verification ${verification.toFixed(1)} ms`,
    );
  });

  test('a hash made with weaker parameters is upgraded at the next login', async () => {
    const user = await account();
    const weak = await hash(user.password, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, weak]);
    await identity.login(user, {});
    const { rows } = await db.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [user.id],
    );
    assert.match(rows[0]?.password_hash ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.ok(await identity.login(user, {}), 'the new hash verifies');
  });

  test('authentication is one query, and last_seen_at is written at most once a minute', async () => {
    const user = await account();
    const { token, sessionId } = await identity.login(user, { device: 'kith-tests/1.0' });
    queries = 0;
    assert.ok(await identity.authenticate(token, api('kith-tests/1.0')));
    assert.ok(await identity.authenticate(token, api('kith-tests/1.0')));
    assert.equal(queries, 2, 'one query per authentication');
    const seen = async () =>
      (
        await db.query<{ t: Date }>('SELECT last_seen_at AS t FROM sessions WHERE id = $1', [
          sessionId,
        ])
      ).rows[0]?.t.getTime();
    const first = await seen();
    clock.advance(30_000);
    assert.ok(await identity.authenticate(token, api('kith-tests/1.0')));
    assert.equal(await seen(), first, 'not written within the minute');
    clock.advance(31_000);
    queries = 0;
    assert.ok(await identity.authenticate(token, api('kith-tests/1.0')));
    assert.equal(queries, 2, 'the look-up and one touch');
    assert.ok(((await seen()) ?? 0) > (first ?? 0));
    assert.equal(await identity.authenticate('garbage', api('x')), undefined);
    assert.equal(await identity.authenticate('A'.repeat(43), api('x')), undefined);
  });

  test('idle expiry ends the session server-side with reason idle', async () => {
    const user = await account();
    const { token, sessionId } = await identity.login(user, {});
    const idle = env().config.session.idleMinutes * minute;
    clock.advance(idle - minute);
    assert.ok(await identity.authenticate(token, api('x')), 'still alive just before the limit');
    clock.advance(idle + 1000);
    assert.equal(await identity.authenticate(token, api('x')), undefined);
    const { rows } = await db.query<{ end_reason: string; ended_at: Date }>(
      'SELECT end_reason, ended_at FROM sessions WHERE id = $1',
      [sessionId],
    );
    assert.equal(rows[0]?.end_reason, 'idle');
    assert.ok(rows[0]?.ended_at);
    assert.equal(
      await identity.authenticate(token, api('x')),
      undefined,
      'an ended session stays ended',
    );
  });

  test('absolute expiry ends even a busy session with reason expired', async () => {
    const user = await account();
    const { token, sessionId, expiresAt } = await identity.login(user, {});
    const step = Math.min(30, env().config.session.idleMinutes / 2) * minute;
    while (clock.now() < new Date(expiresAt.getTime() - step)) {
      clock.advance(step);
      assert.ok(await identity.authenticate(token, api('x')), 'kept alive by use');
    }
    clock.advance(step);
    assert.equal(await identity.authenticate(token, api('x')), undefined);
    const { rows } = await db.query('SELECT end_reason FROM sessions WHERE id = $1', [sessionId]);
    assert.deepEqual(rows, [{ end_reason: 'expired' }]);
  });

  test('logout ends the session with reason logout', async () => {
    const user = await account();
    const { token, sessionId } = await identity.login(user, {});
    const caller = await identity.authenticate(token, api('x'));
    assert.ok(caller);
    await identity.logout(caller);
    assert.equal(await identity.authenticate(token, api('x')), undefined);
    const { rows } = await db.query('SELECT end_reason FROM sessions WHERE id = $1', [sessionId]);
    assert.deepEqual(rows, [{ end_reason: 'logout' }]);
  });

  test('disabling ends every session of the account; only the operator may', async () => {
    const user = await account();
    const other = await account();
    const laptop = await identity.login(user, { device: 'Laptop' });
    const phone = await identity.login(user, { device: 'Phone' });
    const bystander = await identity.login(other, { device: 'Laptop' });
    const asUser = await identity.authenticate(laptop.token, api('Laptop'));
    assert.ok(asUser);
    await refused(identity.setDisabled(asUser, user.id, true), 'forbidden');
    await refused(identity.setDisabled(operatorCaller(), randomUUID(), true), 'not_found');
    await refused(identity.setDisabled(operatorCaller(), 'nope', true), 'not_found');
    assert.ok(await identity.authenticate(phone.token, api('Phone')), 'refusals changed nothing');

    const view = await identity.setDisabled(operatorCaller(), user.id, true);
    assert.equal(view.disabled, true);
    for (const token of [laptop.token, phone.token]) {
      assert.equal(await identity.authenticate(token, api('x')), undefined);
    }
    const { rows } = await db.query('SELECT end_reason FROM sessions WHERE user_id = $1', [
      user.id,
    ]);
    assert.deepEqual(rows, [{ end_reason: 'disabled' }, { end_reason: 'disabled' }]);
    assert.ok(
      await identity.authenticate(bystander.token, api('Laptop')),
      'other accounts keep theirs',
    );
    const error = await refused(identity.login(user, {}), 'unauthenticated');
    assert.equal(error.message, 'wrong email or password');

    await identity.setDisabled(operatorCaller(), user.id, false);
    assert.ok(await identity.login(user, {}), 'enabled again, the account logs in');
  });

  test('a disabled account’s session that stayed open does not authenticate', async () => {
    const user = await account();
    const { token, sessionId } = await identity.login(user, {});
    await db.query('UPDATE users SET disabled_at = now() WHERE id = $1', [user.id]);
    assert.equal(await identity.authenticate(token, api('x')), undefined);
    const { rows } = await db.query('SELECT end_reason FROM sessions WHERE id = $1', [sessionId]);
    assert.deepEqual(rows, [{ end_reason: 'disabled' }]);
  });

  test(`${accountFailureLimit} failures block the account, even with the right password, until the block ends`, async () => {
    const user = await account();
    const ip = '198.51.100.50';
    for (let i = 0; i < accountFailureLimit; i += 1) {
      await refused(
        identity.login({ email: user.email, password: `wrong ${i}` }, { ip }),
        'unauthenticated',
      );
    }
    const sessionsBefore = await db.query(
      'SELECT count(*)::int AS n FROM sessions WHERE user_id = $1',
      [user.id],
    );
    const blocked = await refused(identity.login(user, { ip: '203.0.113.77' }), 'throttled');
    assert.match(blocked.message, /too many failed logins: try again in 15 minutes/);
    assert.equal(blocked.details.retryAfterSeconds, blockSeconds);
    // Another case of the same email is the same account.
    await refused(
      identity.login({ email: user.email.toUpperCase(), password: user.password }, {}),
      'throttled',
    );
    assert.deepEqual(
      (await db.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [user.id]))
        .rows,
      sessionsBefore.rows,
    );
    const { rows } = await db.query<{ row: string }>('SELECT t::text AS row FROM login_throttle t');
    const local = user.email.split('@')[0]?.toLowerCase() ?? '';
    for (const { row } of rows) {
      assert.ok(!row.toLowerCase().includes(local), `no email in ${row}`);
    }
    clock.advance(blockSeconds * 1000 - 60_000);
    const later = await refused(identity.login(user, {}), 'throttled');
    assert.equal(later.details.retryAfterSeconds, 60);
    assert.match(later.message, /try again in 1 minute$/);
    clock.advance(60_000);
    assert.ok(await identity.login(user, { ip }), 'the block is over');
    // A success forgets the account's failures: one more failure does not block.
    await refused(
      identity.login({ email: user.email, password: 'wrong again' }, { ip }),
      'unauthenticated',
    );
    assert.ok(await identity.login(user, { ip }));
  });

  test('failures spread over more than the window do not block', async () => {
    const user = await account();
    for (let i = 0; i < accountFailureLimit * 2; i += 1) {
      await refused(
        identity.login({ email: user.email, password: 'wrong' }, {}),
        'unauthenticated',
      );
      clock.advance((failureWindowSeconds * 1000) / (accountFailureLimit - 1));
    }
    assert.ok(await identity.login(user, {}));
  });

  test(`${ipFailureLimit} failures from one address block it, across emails`, async () => {
    const user = await account();
    const ip = '192.0.2.200';
    for (let i = 0; i < ipFailureLimit; i += 1) {
      await refused(
        identity.login({ email: `spray${i}@example.org`, password: 'Summer2026!' }, { ip }),
        'unauthenticated',
      );
    }
    const blocked = await refused(identity.login(user, { ip }), 'throttled');
    assert.ok((blocked.details.retryAfterSeconds ?? 0) > 0);
    assert.ok(await identity.login(user, { ip: '192.0.2.201' }), 'another address is not blocked');
    const { rows } = await db.query<{ key: string }>(
      `SELECT key FROM login_throttle WHERE key LIKE 'ip:%'`,
    );
    assert.ok(rows.some((r) => r.key === `ip:${ip}`));
    const { rows: accounts } = await db.query<{ key: string }>(
      `SELECT key FROM login_throttle WHERE key NOT LIKE 'ip:%'`,
    );
    for (const { key } of accounts) {
      assert.match(key, /^account:[0-9a-f]{64}$/);
    }
    clock.advance(blockSeconds * 1000);
  });

  test('a new device is announced by mail, but not the first login nor a known device', async () => {
    const user = await account('Mary Somerville');
    mailer.sent.length = 0;
    await identity.login(user, { device: 'Firefox/140 (Linux)', ip: '192.0.2.5' });
    assert.equal(mailer.sent.length, 0, 'the first login of an account');
    await identity.login(user, { device: 'Firefox/140 (Linux)', ip: '192.0.2.6' });
    assert.equal(mailer.sent.length, 0, 'a device already used');
    const at = clock.now();
    await identity.login(user, { device: 'Safari/18 (iPhone)', ip: '203.0.113.42' });
    assert.equal(mailer.sent.length, 1);
    const mail = mailer.sent[0];
    assert.ok(mail);
    assert.equal(mail.to, user.email);
    assert.match(mail.text, /Safari\/18 \(iPhone\)/);
    assert.match(mail.text, /203\.0\.113\.42/);
    assert.ok(mail.text.includes(at.toISOString().slice(0, 16)), 'names the time');
    assert.match(mail.text, /Mary Somerville/);
  });

  test('a mail that cannot be sent does not fail the login', async () => {
    const { config, stores } = env();
    const failing = new IdentityService({
      config,
      stores,
      clock: clock.now,
      mailer: new FailingMailer(),
    });
    const user = await account();
    await failing.login(user, { device: 'One' });
    const session = await failing.login(user, { device: 'Two' });
    assert.ok(await failing.authenticate(session.token, api('Two')));
  });

  test('listSessions shows the caller’s live sessions, the current one marked, nothing secret', async () => {
    const user = await account();
    const one = await identity.login(user, { device: 'One', ip: '192.0.2.31' });
    clock.advance(1000);
    const two = await identity.login(user, { device: 'Two', ip: '192.0.2.32' });
    const ended = await identity.login(user, { device: 'Three' });
    const endedCaller = await identity.authenticate(ended.token, api('Three'));
    assert.ok(endedCaller);
    await identity.logout(endedCaller);
    const caller = await identity.authenticate(two.token, api('Two'));
    assert.ok(caller);
    const sessions = await identity.listSessions(caller);
    assert.deepEqual(
      sessions.map((s) => [s.id, s.device, s.ip, s.current]),
      [
        [two.sessionId, 'Two', '192.0.2.32', true],
        [one.sessionId, 'One', '192.0.2.31', false],
      ],
    );
    assert.deepEqual(Object.keys(sessions[0] ?? {}).sort(), [
      'createdAt',
      'current',
      'device',
      'expiresAt',
      'id',
      'ip',
      'lastSeenAt',
    ]);
  });
});
