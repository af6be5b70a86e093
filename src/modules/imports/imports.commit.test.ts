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
});
