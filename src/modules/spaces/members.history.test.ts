import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import {
  deliverAllHistoryOutboxes,
  deliverHistoryOutbox,
  enqueueHistoryEntry,
} from '../history/history-outbox.ts';
import type { HistoryEntryView } from '../history/history-presenter.ts';
import { appendHistoryEntries, type HistoryEntryInput } from '../history/history-writer.ts';

/**
 * Member and role changes are made in the platform store and recorded in the
 * Space's history in its region store, through the platform store's outbox:
 * exactly one entry per committed change, none for a change that rolled back.
 */
forEachEngine('history of members, roles and the Space itself', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let member: TestUser;
  let spaceId = '';

  const entries = async (): Promise<HistoryEntryView[]> => {
    const response = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/history?limit=200`);
    assert.equal(response.statusCode, 200, response.body);
    return (response.json() as { items: HistoryEntryView[] }).items;
  };
  const pendingRows = async () =>
    (
      await (
        await env().stores.platform()
      ).query<{ n: number }>('SELECT count(*)::int AS n FROM history_outbox WHERE space_id = $1', [
        spaceId,
      ])
    ).rows[0]?.n;
  const outboxEntry = (field: string): HistoryEntryInput => ({
    actor: { type: 'system', id: 'operator', name: 'operator (CLI)', role: null },
    action: 'member.role',
    target: { type: 'member', id: member.id },
    changes: [{ field, from: 'volunteer', to: 'organizer' }],
    source: 'cli',
    at: new Date(),
  });

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Olga Owner');
    member = await t.user('Mina Member');
    spaceId = await t.space(owner);
  });
  after(() => t.close());

  test('the Space’s creation is its first entry: who, name, country, region, owner', async () => {
    const [created] = (await entries()).reverse();
    assert.equal(created?.seq, 1);
    assert.equal(created?.action, 'space.create');
    assert.deepEqual(created?.actor, {
      type: 'user',
      id: owner.id,
      name: 'Olga Owner',
      role: 'superadmin',
    });
    assert.deepEqual(
      created?.changes.map((c) => [c.field, c.to]),
      [
        ['name', created?.changes[0]?.to],
        ['country', 'FR'],
        ['region', 'eu'],
        ['owner', owner.id],
      ],
    );
  });

  test('adding a member, changing the role and removing are one entry each, with old and new values', async () => {
    const add = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/members`, {
      email: member.email,
      role: 'volunteer',
    });
    assert.equal(add.statusCode, 201, add.body);
    const role = await t.request(owner, 'PATCH', `/api/v1/spaces/${spaceId}/members/${member.id}`, {
      role: 'admin',
    });
    assert.equal(role.statusCode, 200, role.body);
    const same = await t.request(owner, 'PATCH', `/api/v1/spaces/${spaceId}/members/${member.id}`, {
      role: 'admin',
    });
    assert.equal(same.statusCode, 200, 'no change, no entry');
    const removed = await t.request(
      owner,
      'DELETE',
      `/api/v1/spaces/${spaceId}/members/${member.id}`,
    );
    assert.ok(removed.statusCode < 300, removed.body);

    const memberEntries = (await entries()).filter((e) => e.target.type === 'member').reverse();
    assert.deepEqual(
      memberEntries.map((e) => [e.action, e.target.id, e.actor.id, e.actor.role]),
      [
        ['member.add', member.id, owner.id, 'superadmin'],
        ['member.role', member.id, owner.id, 'superadmin'],
        ['member.remove', member.id, owner.id, 'superadmin'],
      ],
    );
    assert.deepEqual(
      memberEntries.map((e) => e.changes.map((c) => [c.field, c.from, c.to])),
      [
        [
          ['name', null, 'Mina Member'],
          ['email', null, member.email],
          ['role', null, 'volunteer'],
        ],
        [['role', 'volunteer', 'admin']],
        [['role', 'admin', null]],
      ],
    );
    assert.equal(await pendingRows(), 0, 'every queued entry was delivered');
  });

  test('a change that is refused leaves no entry and nothing queued', async () => {
    const before = (await entries()).length;
    const demoteLast = await t.request(
      owner,
      'PATCH',
      `/api/v1/spaces/${spaceId}/members/${owner.id}`,
      { role: 'admin' },
    );
    assert.equal(demoteLast.statusCode, 409, demoteLast.body);
    assert.equal((await entries()).length, before);
    assert.equal(await pendingRows(), 0);
  });

  test('delivery is exactly once: repeated, concurrent, or after a crash between the two stores', async () => {
    const platform = await env().stores.platform();
    const before = (await entries()).length;
    await platform.transaction((tx) => enqueueHistoryEntry(tx, spaceId, outboxEntry('concurrent')));
    const delivered = await Promise.all([
      deliverHistoryOutbox(env().stores, spaceId),
      deliverHistoryOutbox(env().stores, spaceId),
    ]);
    assert.ok(delivered.some((n) => n === 1));
    assert.equal((await entries()).length, before + 1);

    // A crash after the region commit and before the outbox row was deleted: the
    // entry is in the chain with its origin, and the row is still queued.
    const originId = await platform.transaction((tx) =>
      enqueueHistoryEntry(tx, spaceId, outboxEntry('crashed')),
    );
    const region = await env().stores.region('eu');
    await region.transaction((tx) =>
      appendHistoryEntries(tx, spaceId, [{ ...outboxEntry('crashed'), originId }]),
    );
    assert.equal(await pendingRows(), 1);
    const relay = await deliverAllHistoryOutboxes(env().stores);
    assert.deepEqual(relay.failed, []);
    assert.equal(await pendingRows(), 0);
    const fields = (await entries()).flatMap((e) => e.changes.map((c) => c.field));
    assert.equal(fields.filter((f) => f === 'crashed').length, 1, 'not appended twice');
    assert.equal(fields.filter((f) => f === 'concurrent').length, 1);

    const verify = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/history/verify`);
    assert.equal((verify.json() as { ok: boolean }).ok, true, verify.body);
  });
});
