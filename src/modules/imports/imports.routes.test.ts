import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { snapshotSpace } from '../../../test/security/space-snapshot.ts';
import { historyOf } from '../contacts/contacts.test-support.ts';
import { importAndWait, postImport, waitForImport } from './imports.test-support.ts';

forEachEngine('import routes', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let organizer: TestUser;
  let spaceId = '';

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Olga Owner');
    admin = await t.user('Adam Admin');
    organizer = await t.user('Orla Organizer');
    spaceId = await t.space(owner, {
      members: [
        [admin, 'admin'],
        [organizer, 'organizer'],
      ],
    });
    for (const field of [
      { key: 'age', label: 'Age', type: 'number' },
      { key: 'member', label: 'Member', type: 'boolean' },
      { key: 'level', label: 'Niveau', type: 'choice', choices: ['bronze', 'gold'] },
    ]) {
      const created = await t.request(
        owner,
        'POST',
        `/api/v1/spaces/${spaceId}/custom-fields`,
        field,
      );
      assert.equal(created.statusCode, 201, created.body);
    }
  });
  after(() => t.close());

  const region = () => env().stores.region('eu');
  const contacts = async (space = spaceId) =>
    (
      await (
        await region()
      ).query<{ email: string | null; first_name: string | null; custom_fields: object }>(
        'SELECT email, first_name, custom_fields FROM contacts WHERE space_id = $1 ORDER BY email',
        [space],
      )
    ).rows;

  const frenchCsv = [
    'Prénom;Nom;E-mail;Téléphone;Postal code;Tags;Newsletter;Age;Niveau;Notes',
    'Éloïse;Dupré;eloise@example.org;+33 6 12 34 56 78;75002;donor, volunteer;oui;36;gold;',
    'Jean;"Martin; fils";not-an-email;;;;;;;',
    '"Zoé";Durand;zoe@example.org;;;;non;1,5;bronze;"multi',
    'line ""quoted"""',
    'Anna;Bell;anna@example.org;;;;;;platinum;',
    '',
  ].join('\r\n');

  test('a CSV is guessed, validated by the contacts rules, committed with history carrying the import id', async () => {
    const view = await importAndWait(t, admin, spaceId, `\ufeff${frenchCsv}`);
    assert.equal(view.status, 'committed', JSON.stringify(view));
    assert.deepEqual(view.options.mapping, {
      Prénom: 'firstName',
      Nom: 'lastName',
      'E-mail': 'email',
      Téléphone: 'phone',
      'Postal code': 'postcode',
      Tags: 'tags',
      Newsletter: 'consents.email',
      Age: 'customFields.age',
      Niveau: 'customFields.level',
    });
    assert.equal(view.counts.totalRows, 4);
    assert.equal(view.counts.created, 2);
    assert.equal(view.counts.rejectedRows, 2);
    assert.deepEqual(
      view.rejectedRows.map((r) => r.line),
      [3, 6],
    );
    assert.match(view.rejectedRows[0]?.reason ?? '', /email/);
    assert.match(view.rejectedRows[1]?.reason ?? '', /level.*bronze, gold/);
    assert.equal(view.progress.fraction, 1);

    const rows = await contacts();
    assert.deepEqual(
      rows.map((r) => [r.email, r.first_name, r.custom_fields]),
      [
        ['eloise@example.org', 'Éloïse', { age: 36, level: 'gold' }],
        ['zoe@example.org', 'Zoé', { age: 1.5, level: 'bronze' }],
      ],
    );
    const entries = await historyOf(await region(), spaceId);
    const creates = entries.filter((e) => e.action === 'contact.create');
    assert.equal(creates.length, 2);
    assert.ok(creates.every((e) => e.source === 'import'));
    const importIds = await (await region()).query<{ import_id: string }>(
      `SELECT import_id FROM history_entries WHERE space_id = $1 AND action IN ('contact.create', 'import.commit')`,
      [spaceId],
    );
    assert.equal(importIds.rows.length, 3);
    assert.ok(importIds.rows.every((r) => r.import_id === view.id));
    const commit = entries.find((e) => e.action === 'import.commit');
    assert.deepEqual(commit?.target, { type: 'import', id: view.id });
    const eloise = creates.find((e) => e.changes.some((c) => c.to === 'eloise@example.org'));
    assert.deepEqual(eloise?.changes.find((c) => c.field === 'tags')?.to, ['donor', 'volunteer']);
    assert.equal(eloise?.changes.find((c) => c.field === 'consents.email')?.to, 'granted');
  });

  test('the same file again is refused with 409 and creates nothing', async () => {
    const before = await snapshotSpace(env(), spaceId);
    const response = await postImport(t, admin, spaceId, `\ufeff${frenchCsv}`);
    assert.equal(response.statusCode, 409, response.body);
    assert.match(response.json().error.message, /already imported/);
    assert.equal(await snapshotSpace(env(), spaceId), before);
  });

  test('a dry run reports every rejected row by line and changes no contact', async () => {
    const before = await contacts();
    const csv =
      'email,first name,member\nnew@example.org,New,yes\nbad,Bad,\nx@example.org,X,maybe\n';
    const view = await importAndWait(t, owner, spaceId, csv, { dryRun: 'true' });
    assert.equal(view.status, 'validated');
    assert.equal(view.dryRun, true);
    assert.equal(view.counts.validRows, 1);
    assert.deepEqual(
      view.rejectedRows.map((r) => r.line),
      [3, 4],
    );
    assert.match(view.rejectedRows[1]?.reason ?? '', /customFields.member: must be true or false/);
    assert.deepEqual(await contacts(), before);
  });

  test('dedup by email: skip, update and create', async () => {
    const space = await t.space(owner);
    const first = 'email,first name,city\nA@example.org,Ann,Paris\nb@example.org,Bob,Lyon\n';
    assert.equal((await importAndWait(t, owner, space, first)).counts.created, 2);

    const again =
      'Email,First name,City\na@example.org,Ann,Nice\nc@example.org,Cy,\nc@example.org,Cy2,\n';
    const skip = await importAndWait(t, owner, space, again, { mode: 'skip' });
    assert.deepEqual([skip.counts.created, skip.counts.updated, skip.counts.skipped], [1, 0, 2]);

    const update = await importAndWait(t, owner, space, `${again}b@example.org,Bobby,\n`, {
      mode: 'update',
    });
    assert.equal(update.status, 'committed', JSON.stringify(update));
    assert.deepEqual([update.counts.created, update.counts.updated], [0, 3]);
    const cities = await (await region()).query<{
      email: string;
      city: string | null;
      first_name: string;
    }>(
      'SELECT email, city, first_name FROM contacts WHERE space_id = $1 ORDER BY email, first_name',
      [space],
    );
    assert.deepEqual(
      cities.rows.map((r) => [r.email, r.first_name, r.city]),
      [
        ['a@example.org', 'Ann', 'Nice'],
        ['b@example.org', 'Bobby', 'Lyon'],
        ['c@example.org', 'Cy2', null],
      ],
    );
    const updates = (await historyOf(await region(), space)).filter(
      (e) => e.action === 'contact.update',
    );
    assert.equal(updates.length, 3);
    assert.ok(updates.every((e) => e.source === 'import'));

    const create = await importAndWait(t, owner, space, `${first}\n`, { mode: 'create' });
    assert.equal(create.counts.created, 2);
    assert.equal((await contacts(space)).length, 5);
  });

  test('dedup by phone matches digits', async () => {
    const space = await t.space(owner);
    await importAndWait(t, owner, space, 'phone,first name\n+33 6 11 22 33 44,Al\n');
    const view = await importAndWait(t, owner, space, 'phone;first name\n33611223344;Al bis\n', {
      dedupBy: 'phone',
    });
    assert.deepEqual([view.counts.created, view.counts.skipped], [0, 1]);
  });

  test('an explicit mapping wins over the guess; unknown columns and fields are refused', async () => {
    const space = await t.space(owner);
    const csv = 'col1|col2|col3\nx@example.org|Xavier|a;b\n';
    const view = await importAndWait(t, owner, space, csv, {
      mapping: JSON.stringify({ col1: 'email', col2: 'firstName', col3: 'tags' }),
    });
    assert.equal(view.counts.created, 1);
    const tags = await (await region()).query<{ tag: string }>(
      'SELECT tag FROM contact_tags WHERE space_id = $1 ORDER BY tag',
      [space],
    );
    assert.deepEqual(
      tags.rows.map((r) => r.tag),
      ['a', 'b'],
    );
    for (const mapping of [
      { nope: 'email' },
      { col1: 'password' },
      { col1: 'customFields.none' },
    ]) {
      const response = await postImport(t, owner, space, csv, { mapping: JSON.stringify(mapping) });
      assert.equal(response.statusCode, 400, response.body);
      assert.match(response.json().error.message, /^mapping: /);
    }
    const noGuess = await postImport(t, owner, space, 'a,b\n1,2\n');
    assert.equal(noGuess.statusCode, 400);
    assert.match(noGuess.json().error.message, /no column fills a contact field/);
  });

  test('organizers and volunteers may not import; another Space answers 404', async () => {
    const response = await postImport(t, organizer, spaceId, 'email\na@example.org\n');
    assert.equal(response.statusCode, 403, response.body);
    const other = await t.space(organizer);
    const foreign = await postImport(t, admin, other, 'email\na@example.org\n');
    assert.equal(foreign.statusCode, 404);
    const mine = await importAndWait(t, organizer, other, 'email\nz@example.org\n');
    const peek = await t.request(admin, 'GET', `/api/v1/spaces/${spaceId}/imports/${mine.id}`);
    assert.equal(peek.statusCode, 404);
    const missing = await t.request(admin, 'GET', `/api/v1/spaces/${spaceId}/imports/not-a-uuid`);
    assert.equal(missing.statusCode, 404);
  });

  test('rejected rows page by line', async () => {
    const space = await t.space(owner);
    const lines = ['email'];
    for (let i = 0; i < 25; i++) {
      lines.push(`bad-${i}`);
    }
    const view = await importAndWait(t, owner, space, `${lines.join('\n')}\n`, { dryRun: 'true' });
    assert.equal(view.counts.rejectedRows, 25);
    const page = await waitForImport(t, owner, space, view.id, '?rejectedAfter=10&rejectedLimit=5');
    assert.deepEqual(
      page.rejectedRows.map((r) => r.line),
      [11, 12, 13, 14, 15],
    );
    assert.equal(page.nextRejectedAfter, 15);
  });

  test('a job whose process stopped is reported as interrupted', async () => {
    const space = await t.space(owner);
    const db = await region();
    for (const status of ['committing', 'validating']) {
      const view = await importAndWait(t, owner, space, `email\n${status}@example.org\n`, {
        dryRun: 'true',
      });
      await db.query(
        `UPDATE imports SET status = $3, finished_at = NULL, updated_at = now() - interval '1 hour'
          WHERE space_id = $1 AND id = $2`,
        [space, view.id, status],
      );
      const after = await waitForImport(t, owner, space, view.id);
      assert.equal(after.status, 'interrupted');
      assert.match(after.error?.message ?? '', /stopped before it committed/);
    }
  });
});
