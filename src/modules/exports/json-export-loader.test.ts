import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import type { Caller } from '../../context.ts';
import { download, exportAndWait } from './exports.test-support.ts';
import { loadedTables } from './json-export-loader.ts';

interface ExportDocument {
  tables: Record<string, { columns: { name: string }[]; rows: Record<string, unknown>[] }>;
}

/**
 * What the round trip must give back: every row of the customer-data tables,
 * every column but `space_id` (the new Space's), in a stable order.
 */
function customerData(document: ExportDocument): Record<string, string[]> {
  const data: Record<string, string[]> = {};
  for (const name of loadedTables) {
    const table = document.tables[name];
    assert.ok(table, `table ${name} is in the export`);
    data[name] = table.rows
      .map((row) => {
        const { space_id: _space, ...rest } = row;
        return JSON.stringify(rest, Object.keys(rest).sort());
      })
      .sort();
  }
  return data;
}

forEachEngine('JSON export round trip', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let source = '';
  let target = '';
  const callerOf = (user: TestUser): Caller => ({
    actor: { type: 'user', id: user.id, name: user.name },
    source: 'api',
  });
  const exportJson = async (spaceId: string) => {
    const status = await exportAndWait(t, owner, spaceId, 'json');
    assert.equal(status.status, 'completed');
    const file = await download(t, owner, spaceId, status.id);
    return { status, bytes: file.body };
  };

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Owner');
    source = await t.space(owner);
    target = await t.space(owner);
    const url = `/api/v1/spaces/${source}`;
    for (const field of [
      { key: 'level', label: 'Level', type: 'choice', choices: ['bronze', 'gold'] },
      { key: 'age', label: 'Âge', type: 'number' },
      { key: 'joined', label: 'Joined', type: 'date' },
      { key: 'member', label: 'Member', type: 'boolean' },
      { key: 'note', label: 'Note', type: 'text' },
    ]) {
      const created = await t.request(owner, 'POST', `${url}/custom-fields`, field);
      assert.equal(created.statusCode, 201, created.body);
    }
    const contacts = [
      {
        firstName: 'Éloïse',
        lastName: 'Dupré',
        email: 'eloise@example.org',
        phone: '+33 6 12 34 56 78',
        street: '1 rue de la Paix',
        postcode: '75002',
        city: 'Paris',
        country: 'FR',
        tags: ['donor', 'volunteer'],
        customFields: {
          level: 'gold',
          age: 36.5,
          joined: '2024-02-29',
          member: true,
          note: '=1+1 "q"',
        },
        consents: { email: 'granted', sms: 'denied' },
        consentSource: 'signup form',
        doNotSell: true,
      },
      { firstName: '李', lastName: '小龙', tags: ['🙂 emoji'], doNotContact: true },
      { email: 'only-email@example.org', consents: { phone: 'unknown' } },
    ];
    const ids: string[] = [];
    for (const contact of contacts) {
      const created = await t.request(owner, 'POST', `${url}/contacts`, contact);
      assert.equal(created.statusCode, 201, created.body);
      ids.push((created.json() as { id: string }).id);
    }
    const removed = await t.request(owner, 'DELETE', `${url}/contacts/${ids[2]}`);
    assert.ok(removed.statusCode < 300, removed.body);
  });
  after(async () => {
    await t.services.exports.idle();
    await t.close();
  });

  test('export JSON → load into an empty Space → export again gives the same customer data', async () => {
    const first = await exportJson(source);
    const path = join(env().config.dataDir, 'round-trip.json');
    await writeFile(path, first.bytes);
    const loaded = await t.services.exports.loadJson(callerOf(owner), target, path);
    assert.equal(loaded.rowCounts.contacts, 3);
    assert.equal(loaded.rowCounts.custom_field_definitions, 5);

    const second = await exportJson(target);
    const before = customerData(JSON.parse(first.bytes.toString('utf8')));
    const afterLoad = customerData(JSON.parse(second.bytes.toString('utf8')));
    assert.deepEqual(afterLoad, before);
    assert.equal(before.contacts?.length, 3, 'the deleted contact is exported and loaded too');

    // The new Space's history starts fresh: the load's own entries, and they verify.
    const history = await t.request(owner, 'GET', `/api/v1/spaces/${target}/history?limit=200`);
    const actions = (history.json() as { items: { action: string }[] }).items.map((e) => e.action);
    assert.equal(actions.filter((a) => a === 'contact.create').length, 3);
    assert.equal(actions.filter((a) => a === 'customField.create').length, 5);
    assert.equal(actions.filter((a) => a === 'import.commit').length, 1);
    const verify = await t.request(owner, 'GET', `/api/v1/spaces/${target}/history/verify`);
    assert.equal((verify.json() as { ok: boolean }).ok, true);
  });

  test('loading into a Space that holds contacts is refused and changes nothing', async () => {
    const first = await exportJson(source);
    const path = join(env().config.dataDir, 'again.json');
    await writeFile(path, first.bytes);
    await assert.rejects(t.services.exports.loadJson(callerOf(owner), source, path), {
      code: 'conflict',
    });
  });

  test('a truncated or foreign file is refused and loads nothing', async () => {
    const empty = await t.space(owner);
    const first = await exportJson(source);
    const path = join(env().config.dataDir, 'truncated.json');
    await writeFile(path, first.bytes.subarray(0, Math.floor(first.bytes.length * 0.8)));
    await assert.rejects(t.services.exports.loadJson(callerOf(owner), empty, path), {
      code: 'invalid_input',
    });
    await writeFile(path, '{"hello":"world"}\n');
    await assert.rejects(t.services.exports.loadJson(callerOf(owner), empty, path), {
      code: 'invalid_input',
    });
    const contacts = await t.request(owner, 'GET', `/api/v1/spaces/${empty}/contacts`);
    assert.deepEqual((contacts.json() as { items: unknown[] }).items, []);
  });
});
