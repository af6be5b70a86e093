import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { redactSubject } from '../history/history-redaction.ts';
import { verifyHistory } from '../history/history-verifier.ts';
import {
  body,
  type ContactBody,
  type ErrorBody,
  entryCount,
  historyOf,
} from './contacts.test-support.ts';

forEachEngine('contacts history', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let organizer: TestUser;
  let spaceId = '';

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Hana Historian');
    organizer = await t.user('Otto Organizer');
    spaceId = await t.space(owner, { members: [[organizer, 'organizer']] });
    const field = {
      key: 'level',
      label: 'Level',
      type: 'choice',
      choices: ['bronze', 'silver', 'gold'],
    };
    assert.equal(
      (await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/custom-fields`, field)).statusCode,
      201,
    );
  });
  after(() => t.close());

  const url = (path = '') => `/api/v1/spaces/${spaceId}/contacts${path}`;
  const region = () => env().stores.region('eu');
  const create = async (contact: object, as = owner) => {
    const response = await t.request(as, 'POST', url(), contact);
    assert.equal(response.statusCode, 201, response.body);
    return body<ContactBody>(response);
  };
  const patch = async (id: string, changes: object, as = owner) => {
    const response = await t.request(as, 'PATCH', url(`/${id}`), changes);
    assert.equal(response.statusCode, 200, response.body);
    return body<ContactBody>(response);
  };
  const history = async (id: string) => historyOf(await region(), spaceId, id);

  test('a creation is one entry: actor as they were, source, device, IP, every value from null', async () => {
    const contact = await create({
      firstName: 'Ada',
      email: 'ada@example.org',
      tags: ['b', 'a'],
      consents: { sms: 'granted' },
    });
    const [entry, ...rest] = await history(contact.id);
    assert.deepEqual(rest, []);
    assert.deepEqual(
      { ...entry, seq: undefined },
      {
        seq: undefined,
        action: 'contact.create',
        actor: { type: 'user', id: owner.id, name: 'Hana Historian', role: 'superadmin' },
        target: { type: 'contact', id: contact.id },
        changes: [
          { field: 'firstName', from: null, to: 'Ada' },
          { field: 'email', from: null, to: 'ada@example.org' },
          { field: 'tags', from: null, to: ['a', 'b'] },
          { field: 'consents.sms', from: null, to: 'granted' },
          { field: 'doNotContact', from: null, to: false },
          { field: 'doNotSell', from: null, to: false },
        ],
        source: 'api',
        device: 'kith-tests/1.0',
        ip: '127.0.0.1',
      },
    );
  });

  test('an update records only the fields that changed, with old and new values; a no-op records nothing', async () => {
    const contact = await create({
      firstName: 'Ada',
      email: 'ada@example.org',
      tags: ['a'],
      customFields: { level: 'gold' },
    });
    await patch(
      contact.id,
      {
        firstName: 'Ada',
        email: 'ada@lovelace.org',
        tags: ['a', 'c'],
        customFields: { level: 'silver' },
        consents: { email: 'denied', sms: 'unknown' },
        doNotContact: true,
      },
      organizer,
    );
    const entries = await history(contact.id);
    assert.equal(entries.length, 2);
    const update = entries[1];
    assert.equal(update?.action, 'contact.update');
    assert.deepEqual(update?.actor, {
      type: 'user',
      id: organizer.id,
      name: 'Otto Organizer',
      role: 'organizer',
    });
    assert.deepEqual(update?.changes, [
      { field: 'email', from: 'ada@example.org', to: 'ada@lovelace.org' },
      { field: 'tags', from: ['a'], to: ['a', 'c'] },
      { field: 'customFields.level', from: 'gold', to: 'silver' },
      { field: 'consents.email', from: 'unknown', to: 'denied' },
      { field: 'doNotContact', from: false, to: true },
    ]);
    const count = await entryCount(await region(), spaceId);
    const same = await patch(contact.id, {
      firstName: 'Ada',
      tags: ['c', 'a'],
      consents: { sms: 'unknown' },
    });
    assert.equal(
      same.updatedAt,
      body<ContactBody>(await t.request(owner, 'GET', url(`/${contact.id}`))).updatedAt,
    );
    assert.equal(await entryCount(await region(), spaceId), count);
  });

  test('delete and restore are entries about the contact', async () => {
    const contact = await create({ lastName: 'Gone' });
    assert.equal((await t.request(owner, 'DELETE', url(`/${contact.id}`))).statusCode, 204);
    assert.equal((await t.request(owner, 'POST', url(`/${contact.id}/restore`))).statusCode, 200);
    assert.deepEqual(
      (await history(contact.id)).map((e) => [e.action, e.changes.length]),
      [
        ['contact.create', 3],
        ['contact.delete', 0],
        ['contact.restore', 0],
      ],
    );
  });

  test('a change that fails writes no entry, and an entry that fails undoes the change', async () => {
    const contact = await create({ firstName: 'Atomic', city: 'Paris' });
    const owned = await env().owner('region_eu');
    await owned.exec(`
      CREATE FUNCTION kith_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by test' USING ERRCODE = 'check_violation'; END $$;
      CREATE TRIGGER kith_test_refuse_city BEFORE UPDATE ON contacts
        FOR EACH ROW WHEN (NEW.city = 'Refused') EXECUTE FUNCTION kith_test_refuse();
      CREATE TRIGGER kith_test_refuse_entry BEFORE INSERT ON history_entries
        FOR EACH ROW WHEN (NEW.target_id = '${contact.id}' AND NEW.action = 'contact.update' AND NEW.changes::text LIKE '%postcode%')
        EXECUTE FUNCTION kith_test_refuse();`);
    try {
      const count = await entryCount(await region(), spaceId);
      const failedChange = await t.request(owner, 'PATCH', url(`/${contact.id}`), {
        city: 'Refused',
        firstName: 'Changed',
      });
      assert.equal(failedChange.statusCode, 500);
      const failedEntry = await t.request(owner, 'PATCH', url(`/${contact.id}`), {
        postcode: '75001',
        firstName: 'Changed',
      });
      assert.equal(failedEntry.statusCode, 500);
      assert.equal(await entryCount(await region(), spaceId), count);
      const now = body<ContactBody>(await t.request(owner, 'GET', url(`/${contact.id}`)));
      assert.deepEqual(
        [now.firstName, now.city, now.postcode, now.updatedAt],
        ['Atomic', 'Paris', null, contact.updatedAt],
      );
    } finally {
      await owned.exec(`DROP TRIGGER kith_test_refuse_city ON contacts;
        DROP TRIGGER kith_test_refuse_entry ON history_entries;
        DROP FUNCTION kith_test_refuse();`);
    }
    await patch(contact.id, { postcode: '75001' });
    assert.equal((await history(contact.id)).length, 2);
  });

  test('revert sets one field back to its value right after an entry; the revert is an entry', async () => {
    const contact = await create({
      firstName: 'Rev',
      email: 'one@example.org',
      tags: ['x'],
      customFields: { level: 'bronze' },
    });
    await patch(contact.id, {
      email: 'two@example.org',
      tags: ['y'],
      customFields: { level: 'gold' },
      consents: { email: 'granted' },
    });
    await patch(contact.id, {
      email: 'three@example.org',
      tags: [],
      customFields: { level: null },
      consents: { email: 'denied' },
    });
    const [created, second, third] = await history(contact.id);
    assert.ok(created && second && third);
    const revert = async (field: string, seq: number) =>
      t.request(owner, 'POST', url(`/${contact.id}/revert`), { field, seq });

    const toSecond = await revert('email', second.seq);
    assert.equal(toSecond.statusCode, 200, toSecond.body);
    assert.equal(body<ContactBody>(toSecond).email, 'two@example.org');
    const last = (await history(contact.id)).at(-1);
    assert.equal(last?.action, 'contact.revert');
    assert.deepEqual(last?.changes, [
      { field: 'email', from: 'three@example.org', to: 'two@example.org' },
    ]);

    assert.equal(body<ContactBody>(await revert('email', created.seq)).email, 'one@example.org');
    assert.deepEqual(body<ContactBody>(await revert('tags', second.seq)).tags, ['y']);
    assert.deepEqual(
      body<ContactBody>(await revert('customFields.level', created.seq)).customFields,
      { level: 'bronze' },
    );
    assert.equal(
      body<ContactBody>(await revert('consents.email', second.seq)).consents.email,
      'granted',
    );
    assert.equal(body<ContactBody>(await revert('tags', third.seq)).tags.length, 0);

    const count = await entryCount(await region(), spaceId);
    assert.equal(
      (await revert('tags', third.seq)).statusCode,
      200,
      'reverting to the current value is a no-op',
    );
    assert.equal(await entryCount(await region(), spaceId), count);

    const other = await create({ firstName: 'Other' });
    const [otherEntry] = await history(other.id);
    for (const [field, seq] of [
      ['firstName', otherEntry?.seq ?? 0],
      ['city', second.seq],
      ['nickname', second.seq],
      ['email', 999_999],
    ] as const) {
      const refused = await revert(field, seq);
      assert.equal(refused.statusCode, 400, `${field}@${seq}: ${refused.body}`);
    }
    assert.equal(await entryCount(await region(), spaceId), count + 1);

    const db = await region();
    await db.transaction((tx) => redactSubject(tx, spaceId, contact.id));
    const erased = await revert('email', second.seq);
    assert.equal(erased.statusCode, 409, erased.body);
    assert.equal(body<ErrorBody>(erased).error.code, 'conflict');
    // An entry whose value was "no value" needs nothing from the erased values.
    assert.equal((await revert('customFields.level', third.seq)).statusCode, 200);
  });

  test('concurrent PATCHes of one contact: none lost, one entry each, from/to chained', async () => {
    const contact = await create({ firstName: 'Busy', street: 'start' });
    const fields = [
      'lastName',
      'email',
      'phone',
      'street',
      'postcode',
      'city',
      'country',
      'doNotContact',
      'doNotSell',
      'firstName',
    ];
    const values: Record<string, unknown> = {
      lastName: 'Many',
      email: 'busy@example.org',
      phone: '+44 20 7946 0000',
      street: 'middle',
      postcode: 'SW1',
      city: 'London',
      country: 'GB',
      doNotContact: true,
      doNotSell: true,
      firstName: 'Busier',
    };
    const responses = await Promise.all(
      fields.map((field) =>
        t.request(owner, 'PATCH', url(`/${contact.id}`), { [field]: values[field] }),
      ),
    );
    assert.deepEqual(
      responses.map((r) => r.statusCode),
      fields.map(() => 200),
    );
    const final = body<ContactBody>(await t.request(owner, 'GET', url(`/${contact.id}`)));
    for (const field of fields) {
      assert.equal((final as unknown as Record<string, unknown>)[field], values[field], field);
    }
    const streets = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.request(owner, 'PATCH', url(`/${contact.id}`), { street: `street ${i}` }),
      ),
    );
    assert.ok(streets.every((r) => r.statusCode === 200));
    const updates = (await history(contact.id)).filter((e) => e.action === 'contact.update');
    assert.equal(updates.length, 20);
    let street: unknown = 'start';
    for (const entry of updates) {
      assert.equal(entry.changes.length, 1, JSON.stringify(entry.changes));
      const change = entry.changes[0];
      if (change?.field === 'street') {
        assert.equal(change.from, street, `seq ${entry.seq}`);
        street = change.to;
      }
    }
    assert.equal(
      body<ContactBody>(await t.request(owner, 'GET', url(`/${contact.id}`))).street,
      street,
    );
    const verified = await verifyHistory(await region(), spaceId, {
      checkpoints: [],
      publicKeys: new Map(),
    });
    assert.equal(verified.ok, true);
  });
});
