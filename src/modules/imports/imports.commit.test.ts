import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { snapshotSpace } from '../../../test/security/space-snapshot.ts';
import { saveUpload, uploadDirectory } from './import-upload.ts';
import type { ImportView } from './imports.schemas.ts';
import { importAndWait } from './imports.test-support.ts';

const csvOf = (count: number, firstName = (i: number) => `First${i}`) =>
  `email,first name,tags\n${Array.from({ length: count }, (_, i) => `p${i}@example.org,${firstName(i)},t${i % 3}`).join('\n')}\n`;

forEachEngine('import commit', (env) => {
  let t: TestApp;
  let owner: TestUser;

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Olga Owner');
  });
  after(() => t.close());

  test('a commit that fails on its last batch leaves no contact, no history and no staged row', async () => {
    const spaceId = await t.space(owner);
    const region = await env().owner('region_eu');
    await region.exec(`
      CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.first_name = 'Boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_boom BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION refuse_boom();`);
    try {
      const before = await snapshotSpace(env(), spaceId);
      const view = await importAndWait(
        t,
        owner,
        spaceId,
        csvOf(4500, (i) => (i === 4200 ? 'Boom' : `First${i}`)),
      );
      assert.equal(view.status, 'failed');
      assert.equal(view.error?.code, 'internal');
      assert.deepEqual([view.counts.created, view.counts.updated], [0, 0]);
      // Only the failed job's own record (and its rejections table, empty) differ.
      const db = await env().stores.region('eu');
      await db.query('DELETE FROM imports WHERE space_id = $1 AND id = $2', [spaceId, view.id]);
      assert.equal(
        await snapshotSpace(env(), spaceId),
        before,
        'no contact, entry or staged row left',
      );
      const verify = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/history/verify`);
      assert.equal(verify.json().ok, true);
    } finally {
      await region.exec('DROP TRIGGER refuse_boom ON contacts; DROP FUNCTION refuse_boom();');
    }
    // The file was never committed: it imports whole once the obstacle is gone.
    const again = await importAndWait(
      t,
      owner,
      spaceId,
      csvOf(4500, (i) => (i === 4200 ? 'Boom' : `First${i}`)),
    );
    assert.equal(again.status, 'committed');
    assert.equal(again.counts.created, 4500);
  });

  test('a custom field deleted between validation and commit fails the whole commit, and nothing changes', async () => {
    const spaceId = await t.space(owner);
    const created = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/custom-fields`, {
      key: 'age',
      label: 'Age',
      type: 'number',
    });
    assert.equal(created.statusCode, 201, created.body);
    const region = await env().owner('region_eu');
    // The moment the job turns from validating to committing, the field goes
    // (as a member deleting it then would): every row passed validation with it.
    await region.exec(`
      CREATE FUNCTION drop_age_field() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE custom_field_definitions SET deleted_at = now()
         WHERE space_id = NEW.space_id AND key = 'age' AND deleted_at IS NULL;
        RETURN NEW;
      END $$;
      CREATE TRIGGER drop_age_field AFTER UPDATE ON imports FOR EACH ROW
        WHEN (NEW.status = 'committing' AND OLD.status IS DISTINCT FROM 'committing')
        EXECUTE FUNCTION drop_age_field();`);
    try {
      const before = await snapshotSpace(env(), spaceId);
      const csv = `email,first name,age\n${Array.from({ length: 30 }, (_, i) => `a${i}@example.org,Ann${i},${20 + i}`).join('\n')}\n`;
      const view = await importAndWait(t, owner, spaceId, csv);
      assert.equal(view.status, 'failed');
      assert.equal(view.counts.validRows, 30, 'every row passed validation');
      assert.deepEqual([view.counts.created, view.counts.updated], [0, 0]);
      assert.match(
        view.error?.message ?? '',
        /"customFields\.age" \(column "age"\) is not a contact field/,
      );
      const db = await env().stores.region('eu');
      await db.query('DELETE FROM imports WHERE space_id = $1 AND id = $2', [spaceId, view.id]);
      // Only the field's deletion (made by the trigger above) differs.
      await db.query('UPDATE custom_field_definitions SET deleted_at = NULL WHERE space_id = $1', [
        spaceId,
      ]);
      assert.equal(await snapshotSpace(env(), spaceId), before, 'no contact and no entry written');
    } finally {
      await region.exec('DROP TRIGGER drop_age_field ON imports; DROP FUNCTION drop_age_field();');
    }
  });

  test('progress is reported while validating and while committing, and history is written in batches', async () => {
    const spaceId = await t.space(owner);
    const caller = {
      actor: { type: 'user' as const, id: owner.id, name: owner.name },
      source: 'api' as const,
    };
    const upload = await saveUpload(
      Readable.from([Buffer.from(csvOf(12_000))]),
      await uploadDirectory(env().config.dataDir),
      'progress.csv',
      env().config.imports.maxUploadBytes,
    );
    const seen: ImportView[] = [];
    const { id, done } = await t.services.imports.start(caller, spaceId, upload, {}, (view) => {
      seen.push(view);
    });
    await done;
    const validating = seen.filter((v) => v.status === 'validating');
    const committing = seen.filter((v) => v.status === 'committing' && v.progress.done > 0);
    assert.ok(
      validating.some((v) => v.progress.done > 0 && v.progress.done < 12_000),
      'partial validation seen',
    );
    assert.ok(
      committing.some((v) => v.progress.done < 12_000),
      'partial commit seen',
    );
    const fractions = seen.map((v) => v.progress.fraction);
    assert.deepEqual(
      fractions,
      [...fractions].sort((a, b) => a - b),
      'progress only grows',
    );
    assert.equal(seen.at(-1)?.status, 'committed');
    const final = await t.services.imports.get(caller, spaceId, id);
    assert.equal(final.counts.created, 12_000);
    const db = await env().stores.region('eu');
    const entries = await db.query<{ action: string; n: number }>(
      `SELECT action, count(*)::int AS n FROM history_entries WHERE space_id = $1 AND import_id = $2 GROUP BY action ORDER BY action`,
      [spaceId, id],
    );
    assert.deepEqual(entries.rows, [
      { action: 'contact.create', n: 12_000 },
      { action: 'import.commit', n: 1 },
    ]);
  });
  test('update mode across batches: columns, tags and consents written set-based, one entry per change, the chain verifies', async () => {
    const spaceId = await t.space(owner);
    const first = `email,first name,tags,newsletter\n${Array.from({ length: 3000 }, (_, i) => `p${i}@example.org,First${i},t${i % 3},no`).join('\n')}\n`;
    assert.equal((await importAndWait(t, owner, spaceId, first)).counts.created, 3000);
    const lines = ['email,first name,tags,newsletter,city'];
    for (let i = 0; i < 3000; i += 1) {
      const tags = i % 2 === 0 ? `new;t${i % 3}` : `t${i % 3}`;
      lines.push(`p${i}@example.org,First${i},${tags},${i % 3 === 0 ? 'yes' : 'no'},`);
      if (i === 1) {
        lines.push('p1@example.org,First1,t1,no,Lyon'); // the same contact again, same batch
      }
    }
    lines.push('P0@example.org,,,,Nice'); // again, in the last batch: only its city
    const view = await importAndWait(t, owner, spaceId, `${lines.join('\n')}\n`, {
      mode: 'update',
    });
    assert.equal(view.status, 'committed', JSON.stringify(view));
    // Rows that change something: tags (even i), consent (i % 3 = 0), and the two repeats.
    assert.deepEqual(
      [view.counts.created, view.counts.updated, view.counts.skipped],
      [0, 2002, 1000],
    );
    const db = await env().stores.region('eu');
    const { rows } = await db.query<{
      email: string;
      city: string | null;
      tags: string[];
      consent: string;
    }>(
      `SELECT c.email_search AS email, c.city,
              ARRAY(SELECT tag FROM contact_tags t WHERE t.space_id = c.space_id AND t.contact_id = c.id ORDER BY tag) AS tags,
              (SELECT status FROM contact_consents k WHERE k.space_id = c.space_id AND k.contact_id = c.id AND channel = 'email') AS consent
         FROM contacts c WHERE c.space_id = $1 AND c.email_search IN ('p0@example.org', 'p1@example.org', 'p2@example.org', 'p3@example.org')
        ORDER BY c.email_search`,
      [spaceId],
    );
    assert.deepEqual(
      rows.map((r) => [r.email, r.city, r.tags, r.consent]),
      [
        ['p0@example.org', 'Nice', ['new', 't0'], 'granted'],
        ['p1@example.org', 'Lyon', ['t1'], 'denied'],
        ['p2@example.org', null, ['new', 't2'], 'denied'],
        ['p3@example.org', null, ['t0'], 'granted'],
      ],
    );
    const granted = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM contact_consents WHERE space_id = $1 AND status = 'granted'`,
      [spaceId],
    );
    assert.equal(granted.rows[0]?.n, 1000);
    const entries = await db.query<{ action: string; n: number }>(
      `SELECT action, count(*)::int AS n FROM history_entries WHERE space_id = $1 AND import_id = $2 GROUP BY action ORDER BY action`,
      [spaceId, view.id],
    );
    assert.deepEqual(entries.rows, [
      { action: 'contact.update', n: 2002 },
      { action: 'import.commit', n: 1 },
    ]);
    const verify = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/history/verify`);
    assert.equal(verify.json().ok, true, verify.body);
  });
});
