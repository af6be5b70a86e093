import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { operatorCaller } from '../../context.ts';

const minute = 60_000;

forEachEngine('staff grants', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let manager: TestUser;
  let otherManager: TestUser;
  let cto: TestUser;
  let support: TestUser;
  let spaceA = '';
  let spaceB = '';
  let contactA = '';
  let contactB = '';

  const contact = async (spaceId: string) => {
    const created = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: `ada.${Date.now()}@example.org`,
    });
    assert.equal(created.statusCode, 201, created.body);
    return created.json().id as string;
  };
  /** A new session (moving the clock past the idle limit ends the old ones). */
  const relogin = async (who: TestUser): Promise<TestUser> => {
    const login = await t.request(null, 'POST', '/api/v1/auth/login', {
      email: who.email,
      password: who.password,
    });
    assert.equal(login.statusCode, 200, login.body);
    return { ...who, token: login.json().token };
  };
  const open = (who: TestUser, spaceId: string, reason = 'customer ticket 4512: import fails') =>
    t.request(who, 'POST', '/api/v1/staff/access', { spaceId, reason });

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Olga Owner');
    admin = await t.user('Adam Admin');
    spaceA = await t.space(owner, { members: [[admin, 'admin']] });
    spaceB = await t.space(owner);
    contactA = await contact(spaceA);
    contactB = await contact(spaceB);
    manager = await t.staff('account_manager', { name: 'Mia Manager' });
    otherManager = await t.staff('account_manager');
    cto = await t.staff('cto');
    support = await t.staff('support');
    await t.services.staffAccounts.assign(operatorCaller(), manager.email, spaceA);
  });
  after(() => t.close());

  test('without a grant every Space route answers 404, and the denial is logged with ids only', async () => {
    t.denials.lines.length = 0;
    const read = await t.request(cto, 'GET', `/api/v1/spaces/${spaceA}/contacts/${contactA}`);
    assert.equal(read.statusCode, 404);
    assert.equal((await t.request(cto, 'GET', `/api/v1/spaces/${spaceA}`)).statusCode, 404);
    const line = t.denials.lines[0];
    assert.ok(line);
    assert.deepEqual(Object.keys(line).sort(), ['action', 'at', 'reason', 'spaceId', 'staffId']);
    assert.equal(line.reason, 'no_grant');
    assert.equal(line.staffId, cto.id);
    assert.equal(line.spaceId, spaceA);
  });

  test('an unassigned account manager cannot open a grant (404), support staff are refused (403)', async () => {
    t.denials.lines.length = 0;
    assert.equal((await open(otherManager, spaceA)).statusCode, 404);
    assert.equal((await open(support, spaceA)).statusCode, 403);
    assert.deepEqual(
      t.denials.lines.map((l) => l.reason),
      ['not_assigned', 'wrong_role'],
    );
    const user = await open(owner, spaceA);
    assert.equal(user.statusCode, 404);
  });

  test('a reason is required, 10 to 500 characters', async () => {
    assert.equal((await open(manager, spaceA, 'short')).statusCode, 400);
    assert.equal((await open(manager, spaceA, 'x'.repeat(501))).statusCode, 400);
    const missing = await t.request(manager, 'POST', '/api/v1/staff/access', { spaceId: spaceA });
    assert.equal(missing.statusCode, 400);
  });

  test('the assigned account manager opens a one-hour grant; superadmins are told by mail', async () => {
    t.mailer.sent.length = 0;
    const before = t.clock.now().getTime();
    const opened = await open(manager, spaceA);
    assert.equal(opened.statusCode, 201, opened.body);
    const grant = opened.json();
    assert.equal(grant.status, 'active');
    const lasts = Date.parse(grant.expiresAt) - before;
    assert.ok(lasts >= 59 * minute && lasts <= 61 * minute, `grant lasts ${lasts} ms`);
    assert.equal(t.mailer.sent.length, 1);
    assert.equal(t.mailer.sent[0]?.to, owner.email);
    assert.match(t.mailer.sent[0]?.text ?? '', /Mia Manager \(account_manager\)/);
  });

  test('under a grant staff read and edit contacts through the ordinary routes, and nothing more', async () => {
    const read = await t.request(manager, 'GET', `/api/v1/spaces/${spaceA}/contacts/${contactA}`);
    assert.equal(read.statusCode, 200, read.body);
    const edit = await t.request(
      manager,
      'PATCH',
      `/api/v1/spaces/${spaceA}/contacts/${contactA}`,
      { city: 'London' },
    );
    assert.equal(edit.statusCode, 200, edit.body);
    const list = await t.request(manager, 'GET', `/api/v1/spaces/${spaceA}/contacts`);
    assert.equal(list.statusCode, 200);
    const refused = [
      ['DELETE', `/api/v1/spaces/${spaceA}/contacts/${contactA}`],
      ['GET', `/api/v1/spaces/${spaceA}/members`],
      ['GET', `/api/v1/spaces/${spaceA}/history`],
      ['GET', `/api/v1/spaces/${spaceA}/access-log`],
    ] as const;
    for (const [method, url] of refused) {
      assert.equal((await t.request(manager, method, url)).statusCode, 403, `${method} ${url}`);
    }
    const addMember = await t.request(manager, 'POST', `/api/v1/spaces/${spaceA}/members`, {
      email: manager.email,
      role: 'superadmin',
    });
    assert.equal(addMember.statusCode, 403);
  });

  test('a grant on Space A gives nothing on Space B', async () => {
    const read = await t.request(manager, 'GET', `/api/v1/spaces/${spaceB}/contacts/${contactB}`);
    assert.equal(read.statusCode, 404);
    const crossed = await t.request(
      manager,
      'GET',
      `/api/v1/spaces/${spaceA}/contacts/${contactB}`,
    );
    assert.equal(crossed.statusCode, 404);
  });

  test('the superadmin reads every access in the access log, and the history verifies', async () => {
    const log = await t.request(owner, 'GET', `/api/v1/spaces/${spaceA}/access-log`);
    assert.equal(log.statusCode, 200, log.body);
    const items = log.json().items as {
      event: string;
      actor: { type: string; role: string; name: string };
      reason: string;
      action: string | null;
      route: string | null;
      ids: Record<string, string> | null;
    }[];
    const mine = items.filter((i) => i.actor.name === 'Mia Manager');
    assert.ok(mine.some((i) => i.event === 'open'));
    const readEntry = mine.find(
      (i) => i.action === 'contacts.read' && i.ids?.contactId === contactA,
    );
    assert.ok(readEntry, JSON.stringify(mine));
    assert.equal(readEntry.actor.type, 'staff');
    assert.equal(readEntry.actor.role, 'account_manager');
    assert.equal(readEntry.reason, 'customer ticket 4512: import fails');
    assert.equal(readEntry.route, 'GET /api/v1/spaces/:spaceId/contacts/:contactId');
    assert.equal(
      (await t.request(admin, 'GET', `/api/v1/spaces/${spaceA}/access-log`)).statusCode,
      403,
    );
    const history = await t.request(
      owner,
      'GET',
      `/api/v1/spaces/${spaceA}/history?action=contact.update`,
    );
    const update = history.json().items[0];
    assert.equal(update.actor.type, 'staff');
    assert.equal(update.actor.role, 'account_manager');
    const verify = await t.request(owner, 'GET', `/api/v1/spaces/${spaceA}/history/verify`);
    assert.equal(verify.json().ok, true);
  });

  test('an expired grant gives nothing, and the denial says so', async () => {
    t.denials.lines.length = 0;
    t.clock.advance(61 * minute);
    [owner, manager, cto] = await Promise.all([relogin(owner), relogin(manager), relogin(cto)]);
    const read = await t.request(manager, 'GET', `/api/v1/spaces/${spaceA}/contacts/${contactA}`);
    assert.equal(read.statusCode, 404);
    assert.equal(t.denials.lines[0]?.reason, 'grant_expired');
  });

  test('a Space that requires approval: the grant waits for its superadmin', async () => {
    const settings = await t.request(owner, 'PATCH', `/api/v1/spaces/${spaceB}/settings`, {
      requireStaffApproval: true,
    });
    assert.equal(settings.statusCode, 200, settings.body);
    const asked = await open(cto, spaceB);
    assert.equal(asked.statusCode, 201, asked.body);
    const grant = asked.json();
    assert.equal(grant.status, 'pending');
    assert.equal(grant.expiresAt, null);
    t.denials.lines.length = 0;
    const early = await t.request(cto, 'GET', `/api/v1/spaces/${spaceB}/contacts/${contactB}`);
    assert.equal(early.statusCode, 404);
    assert.equal(t.denials.lines[0]?.reason, 'grant_pending');
    const listed = await t.request(owner, 'GET', `/api/v1/spaces/${spaceB}/staff-grants`);
    assert.equal(listed.json().items[0].id, grant.id);
    const url = `/api/v1/spaces/${spaceB}/staff-grants/${grant.id}/approve`;
    assert.equal((await t.request(cto, 'POST', url)).statusCode, 404);
    const approved = await t.request(owner, 'POST', url);
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().status, 'active');
    assert.equal((await t.request(owner, 'POST', url)).statusCode, 409);
    const read = await t.request(cto, 'GET', `/api/v1/spaces/${spaceB}/contacts/${contactB}`);
    assert.equal(read.statusCode, 200, read.body);
  });

  test('a refused grant gives nothing', async () => {
    const asked = await open(cto, spaceB, 'second look at the import problem');
    const url = `/api/v1/spaces/${spaceB}/staff-grants/${asked.json().id}/deny`;
    assert.equal((await t.request(owner, 'POST', url)).json().status, 'denied');
  });
});
