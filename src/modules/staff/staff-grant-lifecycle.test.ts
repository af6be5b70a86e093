import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { operatorCaller } from '../../context.ts';
import { scheduledJobs } from '../../scheduled-jobs.ts';
import { deliverAllStaffAccesses } from './staff-access-relay.ts';
import { sweepStaffContracts } from './staff-sweeps.ts';

const day = 86_400_000;

interface LogItem {
  seq: number;
  event: string;
  grantId: string;
  action: string | null;
  endReason: string | null;
  actor: { type: string; id: string; role: string | null };
  ids: Record<string, string> | null;
}

/**
 * The life of a grant after it opens (SPEC 4.7): every use recorded durably
 * before the response and delivered to the history in order; ended early by the
 * staff member, by the superadmin, by unassignment or by the contract's end
 * (also by the scheduled sweep); a grant ended elsewhere stops at once even
 * when this instance has it cached.
 */
forEachEngine('staff grant lifecycle', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let manager: TestUser;
  let cto: TestUser;
  let spaceId = '';
  const contacts: string[] = [];

  const open = async (who: TestUser, space = spaceId) => {
    const opened = await t.request(who, 'POST', '/api/v1/staff/access', {
      spaceId: space,
      reason: 'customer ticket 981: contacts missing',
    });
    assert.equal(opened.statusCode, 201, opened.body);
    return opened.json().id as string;
  };
  const read = (who: TestUser, contactId: string) =>
    t.request(who, 'GET', `/api/v1/spaces/${spaceId}/contacts/${contactId}`);
  const accessLog = async (): Promise<LogItem[]> => {
    const log = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/access-log?limit=200`);
    assert.equal(log.statusCode, 200, log.body);
    return log.json().items;
  };
  const region = () => env().stores.region('eu');
  /** Recorded uses in the Space: still pending, plus delivered (only uses carry an origin). */
  const recordedUses = async () => {
    const db = await region();
    const { rows } = await db.query<{ pending: number; delivered: number }>(
      `SELECT (SELECT count(*)::int FROM staff_access_pending WHERE space_id = $1) AS pending,
              (SELECT count(*)::int FROM history_entries
                WHERE space_id = $1 AND action = 'staff.access' AND origin_id IS NOT NULL) AS delivered`,
      [spaceId],
    );
    return rows[0] as { pending: number; delivered: number };
  };

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Olga Owner');
    admin = await t.user('Adam Admin');
    spaceId = await t.space(owner, { members: [[admin, 'admin']] });
    for (const name of ['Ada', 'Brian', 'Carla', 'Dmitri']) {
      const created = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
        firstName: name,
      });
      contacts.push(created.json().id);
    }
    manager = await t.staff('account_manager', { name: 'Mia Manager' });
    cto = await t.staff('cto', { name: 'Carl CTO', startDate: '2020-01-01' });
    await t.services.staffAccounts.assign(operatorCaller(), manager.email, spaceId);
  });
  after(() => t.close());

  test('every use is recorded before its response, and reaches the access log in order, once', async () => {
    const grantId = await open(cto);
    const before = await recordedUses();
    let made = 0;
    for (const contactId of contacts) {
      const response = await read(cto, contactId);
      assert.equal(response.statusCode, 200, response.body);
      made += 1;
      // Durable before the response: pending or already delivered, never missing.
      const now = await recordedUses();
      assert.equal(now.pending + now.delivered - before.pending - before.delivered, made);
    }
    // Two relays at once (another instance's scheduler and this one's kick) deliver each use once.
    await Promise.all([
      deliverAllStaffAccesses(env().stores),
      deliverAllStaffAccesses(env().stores),
    ]);
    const pending = await (await region()).query(
      'SELECT 1 FROM staff_access_pending WHERE space_id = $1',
      [spaceId],
    );
    assert.equal(pending.rows.length, 0);
    const uses = (await accessLog())
      .filter((item) => item.grantId === grantId && item.event === 'use')
      .reverse();
    assert.deepEqual(
      uses.map((item) => item.ids?.contactId),
      contacts,
      'each read once, in the order it was made',
    );
    for (const item of uses) {
      assert.equal(item.action, 'contacts.read');
      assert.equal(item.actor.type, 'staff');
      assert.equal(item.actor.role, 'cto');
    }
    const verify = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/history/verify`);
    assert.equal(verify.json().ok, true, verify.body);
  });

  test('the access log shows a use made a moment ago, before any relay ran', async () => {
    const response = await t.request(
      cto,
      'PATCH',
      `/api/v1/spaces/${spaceId}/contacts/${contacts[0]}`,
      {
        city: 'Lyon',
      },
    );
    assert.equal(response.statusCode, 200, response.body);
    const latest = (await accessLog())[0];
    assert.equal(latest?.event, 'use');
    assert.equal(latest?.action, 'contacts.edit');
    assert.equal(latest?.ids?.contactId, contacts[0]);
  });

  test('a grant ended on another instance stops at once, though this one has it cached', async () => {
    assert.equal((await read(cto, contacts[1] as string)).statusCode, 200);
    // Another instance ends the grant: this instance's cache is not told.
    await (await region()).query(
      `UPDATE staff_grants SET status = 'ended', ended_at = now(), end_reason = 'superadmin'
        WHERE space_id = $1 AND staff_id = $2 AND status = 'active'`,
      [spaceId, cto.id],
    );
    t.denials.lines.length = 0;
    assert.equal((await read(cto, contacts[1] as string)).statusCode, 404);
    assert.equal(t.denials.lines[0]?.reason, 'grant_ended');
    // A new grant works at once again.
    await open(cto);
    assert.equal((await read(cto, contacts[1] as string)).statusCode, 200);
  });

  test('staff close their own grant early; nobody else can', async () => {
    const grantId = await open(manager);
    assert.equal((await read(manager, contacts[0] as string)).statusCode, 200);
    const url = `/api/v1/staff/access/${grantId}/end`;
    assert.equal((await t.request(cto, 'POST', url, { spaceId })).statusCode, 404);
    assert.equal((await t.request(owner, 'POST', url, { spaceId })).statusCode, 404);
    const ended = await t.request(manager, 'POST', url, { spaceId });
    assert.equal(ended.statusCode, 200, ended.body);
    assert.equal(ended.json().status, 'ended');
    assert.equal((await t.request(manager, 'POST', url, { spaceId })).statusCode, 409);
    t.denials.lines.length = 0;
    assert.equal((await read(manager, contacts[0] as string)).statusCode, 404);
    assert.equal(t.denials.lines[0]?.reason, 'grant_ended');
    const end = (await accessLog()).find((i) => i.grantId === grantId && i.event === 'end');
    assert.equal(end?.endReason, 'staff');
    assert.equal(end?.actor.id, manager.id);
    const listed = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/staff-grants`);
    const row = listed.json().items.find((g: { id: string }) => g.id === grantId);
    assert.equal(row.status, 'ended');
    assert.equal(row.endReason, 'staff');
    assert.ok(row.endedAt);
  });

  test('the superadmin revokes a live grant; an admin cannot', async () => {
    const grantId = await open(manager);
    assert.equal((await read(manager, contacts[2] as string)).statusCode, 200);
    const url = `/api/v1/spaces/${spaceId}/staff-grants/${grantId}/end`;
    assert.equal((await t.request(admin, 'POST', url)).statusCode, 403);
    assert.equal((await t.request(manager, 'POST', url)).statusCode, 403);
    const revoked = await t.request(owner, 'POST', url);
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json().status, 'ended');
    assert.equal((await read(manager, contacts[2] as string)).statusCode, 404);
    const end = (await accessLog()).find((i) => i.grantId === grantId && i.event === 'end');
    assert.equal(end?.endReason, 'superadmin');
    assert.equal(end?.actor.id, owner.id);
    assert.equal(end?.actor.role, 'superadmin');
  });

  test('the superadmin can revoke a pending grant, which can then not be approved', async () => {
    const settings = await t.request(owner, 'PATCH', `/api/v1/spaces/${spaceId}/settings`, {
      requireStaffApproval: true,
    });
    assert.equal(settings.statusCode, 200, settings.body);
    const grantId = await open(manager);
    const base = `/api/v1/spaces/${spaceId}/staff-grants/${grantId}`;
    assert.equal((await t.request(owner, 'POST', `${base}/end`)).statusCode, 200);
    assert.equal((await t.request(owner, 'POST', `${base}/approve`)).statusCode, 409);
    assert.equal((await read(manager, contacts[0] as string)).statusCode, 404);
    await t.request(owner, 'PATCH', `/api/v1/spaces/${spaceId}/settings`, {
      requireStaffApproval: false,
    });
  });

  test('unassigning the account manager ends their grants; they can open no new one', async () => {
    const grantId = await open(manager);
    assert.equal((await read(manager, contacts[3] as string)).statusCode, 200);
    const done = await t.services.staffGrants.unassign(operatorCaller(), manager.email, spaceId);
    assert.deepEqual(done, { staffId: manager.id, wasAssigned: true, grantsEnded: 1 });
    t.denials.lines.length = 0;
    assert.equal((await read(manager, contacts[3] as string)).statusCode, 404);
    assert.equal(t.denials.lines[0]?.reason, 'not_assigned');
    const reopen = await t.request(manager, 'POST', '/api/v1/staff/access', {
      spaceId,
      reason: 'customer ticket 981: contacts missing',
    });
    assert.equal(reopen.statusCode, 404);
    assert.equal(t.denials.lines.at(-1)?.reason, 'not_assigned');
    for (const line of t.denials.lines) {
      assert.deepEqual(Object.keys(line).sort(), ['action', 'at', 'reason', 'spaceId', 'staffId']);
    }
    const end = (await accessLog()).find((i) => i.grantId === grantId && i.event === 'end');
    assert.equal(end?.endReason, 'unassigned');
    assert.equal(end?.actor.type, 'system');
    await assert.rejects(
      t.services.staffGrants.unassign(
        { ...operatorCaller(), actor: { type: 'user', id: owner.id, name: 'x' } },
        manager.email,
        spaceId,
      ),
      /only the operator/,
    );
  });

  test('a contract whose end date passes: the scheduled sweep ends its sessions and grants', async () => {
    const jobs = scheduledJobs(env().config, env().stores, t.clock.now).map((job) => job.name);
    assert.ok(jobs.includes('staff.contracts') && jobs.includes('staff.access'));
    const grantId = await open(cto);
    assert.equal((await read(cto, contacts[0] as string)).statusCode, 200);
    // HR recorded today as the last day; nobody edits anything when it passes.
    const hr = await env().stores.department('hr');
    const today = t.clock.now().toISOString().slice(0, 10);
    await hr.query('UPDATE staff SET end_date = $2::date WHERE id = $1', [cto.id, today]);
    const openSessions = async () =>
      (
        await hr.query('SELECT 1 FROM staff_sessions WHERE staff_id = $1 AND ended_at IS NULL', [
          cto.id,
        ])
      ).rows.length;
    assert.ok((await openSessions()) > 0);
    // The next day, the grant still in its time box as far as the grant row goes.
    await (await region()).query(
      `UPDATE staff_grants SET expires_at = $3 WHERE space_id = $1 AND id = $2`,
      [spaceId, grantId, new Date(t.clock.now().getTime() + 2 * day)],
    );
    t.clock.advance(day);
    const swept = await sweepStaffContracts({ stores: env().stores, clock: t.clock.now });
    assert.ok(swept.sessionsEnded >= 1, JSON.stringify(swept));
    assert.equal(swept.grantsEnded, 1);
    assert.equal(await openSessions(), 0);
    const ended = await hr.query<{ end_reason: string }>(
      'SELECT DISTINCT end_reason FROM staff_sessions WHERE staff_id = $1 AND ended_at >= $2',
      [cto.id, new Date(t.clock.now().getTime() - 60_000)],
    );
    assert.deepEqual(
      ended.rows.map((r) => r.end_reason),
      ['contract_ended'],
    );
    assert.equal((await read(cto, contacts[0] as string)).statusCode, 401);
    const login = await t.request(null, 'POST', '/api/v1/auth/login', {
      email: cto.email,
      password: cto.password,
    });
    assert.equal(login.statusCode, 401);
    [owner] = await Promise.all([relogin(t, owner)]);
    const end = (await accessLog()).find((i) => i.grantId === grantId && i.event === 'end');
    assert.equal(end?.endReason, 'contract_ended');
    const again = await sweepStaffContracts({ stores: env().stores, clock: t.clock.now });
    assert.deepEqual(again, { sessionsEnded: 0, grantsEnded: 0 });
    const verify = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/history/verify`);
    assert.equal(verify.json().ok, true, verify.body);
  });
});

async function relogin(t: TestApp, who: TestUser): Promise<TestUser> {
  const login = await t.request(null, 'POST', '/api/v1/auth/login', {
    email: who.email,
    password: who.password,
  });
  assert.equal(login.statusCode, 200, login.body);
  return { ...who, token: login.json().token };
}
