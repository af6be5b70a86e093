import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { download, exportAndWait } from './exports.test-support.ts';

forEachEngine('exports routes', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let organizer: TestUser;
  let spaceId = '';

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Owner');
    admin = await t.user('Admin');
    organizer = await t.user('Organizer');
    spaceId = await t.space(owner, {
      members: [
        [admin, 'admin'],
        [organizer, 'organizer'],
      ],
    });
    for (const firstName of ['Ada', '=HYPERLINK("http://evil")', 'Zoé']) {
      const created = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
        firstName,
        email: `${firstName.length}@example.org`,
        tags: ['x'],
        consents: { email: 'granted' },
      });
      assert.equal(created.statusCode, 201, created.body);
    }
  });
  after(async () => {
    await t.services.exports.idle();
    await t.close();
  });

  test('a JSON export completes with counts, size and SHA-256 that match the download', async () => {
    const status = await exportAndWait(t, admin, spaceId, 'json');
    assert.equal(status.status, 'completed');
    assert.equal(status.rowCounts.contacts, 3);
    assert.equal(status.rowCounts.members, 3);
    assert.equal(status.rowCounts.contact_tags, 3);
    const file = await download(t, admin, spaceId, status.id);
    assert.equal(file.statusCode, 200);
    assert.equal(file.headers['content-type'], 'application/json');
    assert.equal(file.body.length, status.size);
    assert.equal(createHash('sha256').update(file.body).digest('hex'), status.sha256);
    const parsed = JSON.parse(file.body.toString('utf8'));
    assert.equal(parsed.format, 'kith-export');
    assert.equal(parsed.version, 1);
    assert.equal(parsed.tables.contacts.rows.length, 3);
    assert.ok(
      parsed.tables.contacts.rows.some((r: { first_name: string }) => r.first_name.startsWith('=')),
      'JSON is not neutralised',
    );
    assert.match(
      String(file.headers['content-disposition']),
      /^attachment; filename="[^"]+"; filename\*=UTF-8''/,
    );
  });

  test('the export is a history entry with format, row counts and SHA-256', async () => {
    const status = await exportAndWait(t, owner, spaceId, 'ndjson');
    const history = await t.request(
      owner,
      'GET',
      `/api/v1/spaces/${spaceId}/history?action=export.create`,
    );
    const entries = (
      history.json() as {
        items: {
          target: { id: string };
          changes: { field: string; to: unknown }[];
          actor: { id: string };
        }[];
      }
    ).items;
    const entry = entries.find((e) => e.target.id === status.id);
    assert.ok(entry, 'export.create entry written');
    assert.equal(entry.actor.id, owner.id);
    const to = Object.fromEntries(entry.changes.map((c) => [c.field, c.to]));
    assert.equal(to.format, 'ndjson');
    assert.equal(to.sha256, status.sha256);
    assert.deepEqual(to.rowCounts, status.rowCounts);
  });

  test('an organizer may not export (403); a bad format is a 400', async () => {
    const refused = await t.request(organizer, 'POST', `/api/v1/spaces/${spaceId}/exports`, {
      format: 'json',
    });
    assert.equal(refused.statusCode, 403);
    const bad = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/exports`, {
      format: 'pdf',
    });
    assert.equal(bad.statusCode, 400);
  });
});
