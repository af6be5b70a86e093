import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { snapshotSpace } from '../../../test/security/space-snapshot.ts';
import type { SpaceRole } from './space-policy.ts';

interface MemberBody {
  userId: string;
  email: string;
  name: string;
  role: SpaceRole;
  addedAt: string;
}
interface ErrorBody {
  error: { code: string; message: string };
}

forEachEngine('members routes', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let organizer: TestUser;
  let volunteer: TestUser;
  let outsider: TestUser;
  let spaceId = '';

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Owner');
    admin = await t.user('Admin');
    organizer = await t.user('Organizer');
    volunteer = await t.user('Volunteer');
    outsider = await t.user('Outsider');
    spaceId = await t.space(owner, {
      members: [
        [admin, 'admin'],
        [organizer, 'organizer'],
        [volunteer, 'volunteer'],
      ],
    });
    await t.space(outsider);
  });
  after(() => t.close());

  const members = (id = spaceId) => `/api/v1/spaces/${id}/members`;
  const roleOf = async (userId: string, id = spaceId) => {
    const platform = await env().stores.platform();
    const { rows } = await platform.query<{ role: string }>(
      'SELECT role FROM memberships WHERE space_id = $1 AND user_id = $2',
      [id, userId],
    );
    return rows[0]?.role;
  };
  const errorOf = (body: string) => (JSON.parse(body) as ErrorBody).error;

  test('superadmin and admin list the members with their roles', async () => {
    for (const caller of [owner, admin]) {
      const response = await t.request(caller, 'GET', members());
      assert.equal(response.statusCode, 200);
      const { items, nextCursor } = response.json() as {
        items: MemberBody[];
        nextCursor: string | null;
      };
      assert.equal(nextCursor, null);
      assert.deepEqual(
        items.map((m) => [m.userId, m.email, m.name, m.role]),
        [
          [owner.id, owner.email, owner.name, 'superadmin'],
          [admin.id, admin.email, admin.name, 'admin'],
          [organizer.id, organizer.email, organizer.name, 'organizer'],
          [volunteer.id, volunteer.email, volunteer.name, 'volunteer'],
        ],
      );
    }
    const first = (await t.request(owner, 'GET', `${members()}?limit=3`)).json() as {
      items: MemberBody[];
      nextCursor: string;
    };
    const rest = (
      await t.request(owner, 'GET', `${members()}?limit=3&cursor=${first.nextCursor}`)
    ).json() as {
      items: MemberBody[];
      nextCursor: string | null;
    };
    assert.deepEqual(
      [...first.items, ...rest.items].map((m) => m.userId),
      [owner.id, admin.id, organizer.id, volunteer.id],
    );
    assert.equal(rest.nextCursor, null);
  });

  test('add by email (201), change role, remove (204); each told by mail', async () => {
    const newcomer = await t.user('Newcomer');
    const sent = t.mailer.sent.length;
    const added = await t.request(owner, 'POST', members(), {
      email: newcomer.email.toUpperCase(),
      role: 'organizer',
    });
    assert.equal(added.statusCode, 201, added.body);
    const member = added.json() as MemberBody;
    assert.deepEqual(
      { userId: member.userId, email: member.email, name: member.name, role: member.role },
      { userId: newcomer.id, email: newcomer.email, name: newcomer.name, role: 'organizer' },
    );
    assert.equal(await roleOf(newcomer.id), 'organizer');
    const seen = (await t.request(newcomer, 'GET', `/api/v1/spaces/${spaceId}`)).json() as {
      role: string;
    };
    assert.equal(seen.role, 'organizer');

    const changed = await t.request(admin, 'PATCH', `${members()}/${newcomer.id}`, {
      role: 'volunteer',
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal((changed.json() as MemberBody).role, 'volunteer');
    assert.equal(await roleOf(newcomer.id), 'volunteer');

    const mails = t.mailer.sent.slice(sent);
    assert.equal(mails.length, 2);
    assert.ok(mails.every((m) => m.to === newcomer.email));
    assert.match(mails[0]?.text ?? '', /as organizer/);
    assert.match(mails[1]?.subject ?? '', /role/);
    assert.match(mails[1]?.text ?? '', /from organizer to volunteer/);

    const removed = await t.request(owner, 'DELETE', `${members()}/${newcomer.id}`);
    assert.equal(removed.statusCode, 204);
    assert.equal(removed.body, '');
    assert.equal(await roleOf(newcomer.id), undefined);
    assert.equal((await t.request(newcomer, 'GET', `/api/v1/spaces/${spaceId}`)).statusCode, 404);
    assert.equal(t.mailer.sent.at(-1)?.to, newcomer.email);
  });

  test('an unknown email is 404, an existing member 409; nothing changes', async () => {
    const before = await snapshotSpace(env(), spaceId);
    const unknown = await t.request(owner, 'POST', members(), {
      email: 'nobody@example.org',
      role: 'volunteer',
    });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(errorOf(unknown.body).code, 'not_found');
    assert.match(errorOf(unknown.body).message, /no account with this email/);
    const again = await t.request(owner, 'POST', members(), {
      email: volunteer.email,
      role: 'admin',
    });
    assert.equal(again.statusCode, 409);
    assert.equal(errorOf(again.body).code, 'conflict');
    assert.equal(await snapshotSpace(env(), spaceId), before);
  });

  test('an admin cannot add, promote to, change or remove a superadmin (403); nothing changes', async () => {
    const candidate = await t.user('Candidate');
    const before = await snapshotSpace(env(), spaceId);
    const attempts: [string, 'POST' | 'PATCH' | 'DELETE', string, unknown][] = [
      ['add a superadmin', 'POST', members(), { email: candidate.email, role: 'superadmin' }],
      [
        'make a volunteer superadmin',
        'PATCH',
        `${members()}/${volunteer.id}`,
        { role: 'superadmin' },
      ],
      ['make themselves superadmin', 'PATCH', `${members()}/${admin.id}`, { role: 'superadmin' }],
      ['demote the superadmin', 'PATCH', `${members()}/${owner.id}`, { role: 'volunteer' }],
      ['remove the superadmin', 'DELETE', `${members()}/${owner.id}`, undefined],
    ];
    for (const [what, method, url, body] of attempts) {
      const response = await t.request(admin, method, url, body);
      assert.equal(response.statusCode, 403, `admin may not ${what}: ${response.body}`);
      assert.equal(errorOf(response.body).code, 'forbidden');
    }
    assert.equal(await snapshotSpace(env(), spaceId), before);
    assert.equal(t.mailer.sent.filter((m) => m.to === candidate.email).length, 0);
  });

  test('the last superadmin can be neither removed nor demoted (409); nothing changes', async () => {
    const before = await snapshotSpace(env(), spaceId);
    const sent = t.mailer.sent.length;
    for (const role of ['admin', 'organizer', 'volunteer'] as const) {
      const demoted = await t.request(owner, 'PATCH', `${members()}/${owner.id}`, { role });
      assert.equal(demoted.statusCode, 409, demoted.body);
      assert.deepEqual(errorOf(demoted.body).code, 'conflict');
      assert.match(errorOf(demoted.body).message, /a Space keeps at least one superadmin/);
    }
    const removed = await t.request(owner, 'DELETE', `${members()}/${owner.id}`);
    assert.equal(removed.statusCode, 409);
    assert.match(errorOf(removed.body).message, /a Space keeps at least one superadmin/);
    assert.equal(await snapshotSpace(env(), spaceId), before);
    assert.equal(await roleOf(owner.id), 'superadmin');
    assert.equal(t.mailer.sent.length, sent, 'no mail for a refused change');
  });

  test('with two superadmins one may step down; then the other is the last', async () => {
    const second = await t.user('Second');
    const id = await t.space(owner, { members: [[second, 'superadmin']] });
    const stepped = await t.request(second, 'PATCH', `${members(id)}/${second.id}`, {
      role: 'admin',
    });
    assert.equal(stepped.statusCode, 200, stepped.body);
    assert.equal(await roleOf(second.id, id), 'admin');
    const last = await t.request(owner, 'DELETE', `${members(id)}/${owner.id}`);
    assert.equal(last.statusCode, 409);
    assert.equal(await roleOf(owner.id, id), 'superadmin');
  });

  test('two superadmins demoting each other at once leave one superadmin', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await t.user(`Superadmin A${round}`);
      const b = await t.user(`Superadmin B${round}`);
      const id = await t.space(a, { members: [[b, 'superadmin']] });
      const [ab, ba] = await Promise.all([
        t.request(a, 'PATCH', `${members(id)}/${b.id}`, { role: 'volunteer' }),
        t.request(b, 'PATCH', `${members(id)}/${a.id}`, { role: 'volunteer' }),
      ]);
      const statuses = [ab.statusCode, ba.statusCode].sort();
      assert.equal(statuses[0], 200, `one demotion succeeds: ${ab.body} ${ba.body}`);
      assert.ok(statuses[1] === 403 || statuses[1] === 409, `the other is refused: ${statuses[1]}`);
      const platform = await env().stores.platform();
      const { rows } = await platform.query(
        `SELECT user_id FROM memberships WHERE space_id = $1 AND role = 'superadmin'`,
        [id],
      );
      assert.equal(rows.length, 1, 'exactly one superadmin remains');
    }
  });

  test('a superadmin and an admin removing each other at once leave a superadmin', async () => {
    const a = await t.user('Superadmin');
    const b = await t.user('Admin');
    const id = await t.space(a, { members: [[b, 'admin']] });
    await Promise.all([
      t.request(a, 'DELETE', `${members(id)}/${b.id}`),
      t.request(b, 'DELETE', `${members(id)}/${a.id}`),
    ]);
    assert.equal(await roleOf(a.id, id), 'superadmin');
  });

  test('organizers and volunteers get 403 on member management in their own Space; nothing changes', async () => {
    const candidate = await t.user('Candidate 2');
    const before = await snapshotSpace(env(), spaceId);
    for (const caller of [organizer, volunteer]) {
      const responses = [
        await t.request(caller, 'GET', members()),
        await t.request(caller, 'POST', members(), { email: candidate.email, role: 'volunteer' }),
        await t.request(caller, 'PATCH', `${members()}/${volunteer.id}`, { role: 'organizer' }),
        await t.request(caller, 'PATCH', `${members()}/${caller.id}`, { role: 'superadmin' }),
        await t.request(caller, 'DELETE', `${members()}/${admin.id}`),
      ];
      assert.deepEqual(
        responses.map((r) => r.statusCode),
        [403, 403, 403, 403, 403],
        caller.name,
      );
    }
    assert.equal(await snapshotSpace(env(), spaceId), before);
  });

  test('a non-member gets 404 on every member route; nothing changes', async () => {
    const before = await snapshotSpace(env(), spaceId);
    const responses = [
      await t.request(outsider, 'GET', members()),
      await t.request(outsider, 'POST', members(), { email: outsider.email, role: 'superadmin' }),
      await t.request(outsider, 'PATCH', `${members()}/${volunteer.id}`, { role: 'admin' }),
      await t.request(outsider, 'DELETE', `${members()}/${volunteer.id}`),
    ];
    for (const response of responses) {
      assert.equal(response.statusCode, 404);
      assert.deepEqual(errorOf(response.body), { code: 'not_found', message: 'space not found' });
    }
    assert.equal(await snapshotSpace(env(), spaceId), before);
  });

  test('a user who is not a member of this Space is 404 as a target; a bad id is 400', async () => {
    const before = await snapshotSpace(env(), spaceId);
    for (const response of [
      await t.request(owner, 'PATCH', `${members()}/${outsider.id}`, { role: 'admin' }),
      await t.request(owner, 'DELETE', `${members()}/${outsider.id}`),
    ]) {
      assert.equal(response.statusCode, 404);
      assert.equal(errorOf(response.body).code, 'not_found');
    }
    for (const response of [
      await t.request(owner, 'PATCH', `${members()}/not-a-uuid`, { role: 'admin' }),
      await t.request(owner, 'DELETE', `${members()}/not-a-uuid`),
      await t.request(owner, 'PATCH', `${members()}/${volunteer.id}`, { role: 'owner' }),
      await t.request(owner, 'PATCH', `${members()}/${volunteer.id}`, { role: 'admin', extra: 1 }),
      await t.request(owner, 'POST', members(), { email: 'not an email', role: 'admin' }),
    ]) {
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(errorOf(response.body).code, 'invalid_input');
    }
    assert.equal(await snapshotSpace(env(), spaceId), before);
  });

  test('a mail that cannot be sent does not fail the change', async () => {
    const newcomer = await t.user('Unreachable');
    const send = t.mailer.send;
    t.mailer.send = async () => {
      throw new Error('mail transport down');
    };
    try {
      const added = await t.request(owner, 'POST', members(), {
        email: newcomer.email,
        role: 'volunteer',
      });
      assert.equal(added.statusCode, 201, added.body);
      const changed = await t.request(owner, 'PATCH', `${members()}/${newcomer.id}`, {
        role: 'organizer',
      });
      assert.equal(changed.statusCode, 200, changed.body);
    } finally {
      t.mailer.send = send;
    }
    assert.equal(await roleOf(newcomer.id), 'organizer');
  });
});
