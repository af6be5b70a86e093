import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { download, exportAndWait } from '../exports/exports.test-support.ts';
import { loadedTables } from '../exports/json-export-loader.ts';
import { importAndWait, postImport } from './imports.test-support.ts';

interface ExportDocument {
  tables: Record<string, { rows: Record<string, unknown>[] }>;
}

/** The customer data of an export: every row of the loaded tables, all columns but `space_id`, ids and times included. */
function customerData(bytes: Buffer): Record<string, string[]> {
  const document = JSON.parse(bytes.toString('utf8')) as ExportDocument;
  return Object.fromEntries(
    loadedTables.map((name) => [
      name,
      (document.tables[name]?.rows ?? [])
        .map(({ space_id: _space, ...rest }) => JSON.stringify(rest, Object.keys(rest).sort()))
        .sort(),
    ]),
  );
}

forEachEngine('importing a JSON export through POST /imports', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let source = '';
  const exportJson = async (spaceId: string) => {
    const status = await exportAndWait(t, owner, spaceId, 'json');
    assert.equal(status.status, 'completed');
    return (await download(t, owner, spaceId, status.id)).body;
  };

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Owner');
    source = await t.space(owner);
    const url = `/api/v1/spaces/${source}`;
    const field = await t.request(owner, 'POST', `${url}/custom-fields`, {
      key: 'level',
      label: 'Level',
      type: 'choice',
      choices: ['bronze', 'gold'],
    });
    assert.equal(field.statusCode, 201, field.body);
    for (const contact of [
      {
        firstName: '=Éloïse',
        lastName: 'Dupré',
        email: 'eloise@example.org',
        tags: ['donor', '🙂'],
        customFields: { level: 'gold' },
        consents: { email: 'granted', sms: 'denied' },
        doNotSell: true,
      },
      { firstName: 'a, b', lastName: 'say "hi" \\', doNotContact: true },
    ]) {
      const created = await t.request(owner, 'POST', `${url}/contacts`, contact);
      assert.equal(created.statusCode, 201, created.body);
    }
  });
  after(async () => {
    await t.services.exports.idle();
    await t.close();
  });

  test('export JSON → import into an empty Space → export again: the same data, ids and times', async () => {
    const first = await exportJson(source);
    const target = await t.space(owner);
    const view = await importAndWait(t, owner, target, first, {}, 'kith-export.json');
    assert.equal(view.status, 'committed', JSON.stringify(view.error));
    assert.equal(view.format, 'json');
    assert.equal(view.counts.created, 2);
    assert.equal(view.counts.totalRows, 2);
    assert.equal(view.progress.fraction, 1);

    const second = await exportJson(target);
    assert.deepEqual(customerData(second), customerData(first));
    assert.equal(customerData(first).contacts?.length, 2);

    // The load is the import's: its commit entry and each contact's creation name it.
    const history = await t.request(owner, 'GET', `/api/v1/spaces/${target}/history?limit=50`);
    const entries = (history.json() as { items: { action: string; target: { id: string } }[] })
      .items;
    const commit = entries.find((entry) => entry.action === 'import.commit');
    assert.equal(commit?.target.id, view.id);
    assert.equal(entries.filter((entry) => entry.action === 'contact.create').length, 2);
  });

  test('a dry run reads the export through and changes nothing', async () => {
    const target = await t.space(owner);
    const view = await importAndWait(t, owner, target, await exportJson(source), {
      dryRun: 'true',
    });
    assert.equal(view.status, 'validated');
    assert.equal(view.counts.validRows, 2);
    const contacts = await t.request(owner, 'GET', `/api/v1/spaces/${target}/contacts`);
    assert.deepEqual((contacts.json() as { items: unknown[] }).items, []);
  });

  test('into a Space with contacts: 409; an NDJSON or truncated export: 400; nothing changes', async () => {
    const file = await exportJson(source);
    const full = await postImport(t, owner, source, file, {}, 'export.json');
    assert.equal(full.statusCode, 409, full.body);

    const target = await t.space(owner);
    const truncated = await postImport(t, owner, target, file.subarray(0, file.length - 40));
    assert.equal(truncated.statusCode, 400, truncated.body);
    assert.match(truncated.body, /truncated/);

    const ndjsonStatus = await exportAndWait(t, owner, source, 'ndjson');
    const ndjson = (await download(t, owner, source, ndjsonStatus.id)).body;
    const refused = await postImport(t, owner, target, ndjson, {}, 'export.ndjson');
    assert.equal(refused.statusCode, 400, refused.body);
    assert.match(refused.body, /JSON export/);
    const contacts = await t.request(owner, 'GET', `/api/v1/spaces/${target}/contacts`);
    assert.deepEqual((contacts.json() as { items: unknown[] }).items, []);
  });
});
