import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp } from '../../../test/harness/test-app.ts';
import { operatorCaller } from '../../context.ts';
import { ensureCheckpointKeys } from '../history/checkpoint-keys.ts';
import { type BackupDeps, runBackups, verifyBackup } from './backup-operations.ts';
import { restoreSpace } from './backup-restore.ts';
import { ensureMasterKeys } from './master-key-files.ts';

/**
 * A Space larger than one COPY page: PGlite reads it in heap-block ranges and
 * loads it in 8 MiB blobs; PostgreSQL streams one COPY each way. Every row
 * must come back, byte for byte, whatever the paging.
 */
forEachEngine('backups larger than a COPY page', (env) => {
  let t: TestApp;
  let spaceId: string;
  const total = 55_000;
  const deps = (): BackupDeps => ({
    config: env().config,
    stores: env().stores,
    now: () => new Date(),
  });

  before(async () => {
    await ensureMasterKeys(env().config);
    await ensureCheckpointKeys(env().config);
    t = await createTestApp(env());
    spaceId = await t.space(await t.user('Owner'));
    const db = await env().stores.region('eu');
    await db.query(
      `INSERT INTO contacts (space_id, id, first_name, last_name, email, city, custom_fields,
                             created_at, updated_at, first_name_search, last_name_search,
                             name_search, email_search)
       SELECT $1, gen_random_uuid(), 'First' || i, E'Last\\t' || i, 'p' || i || '@example.org',
              CASE WHEN i % 7 = 0 THEN NULL ELSE E'City\\\\' || (i % 100) END,
              jsonb_build_object('i', i, 'note', E'two\\nlines'),
              now(), now(), 'first' || i, 'last' || i, 'first' || i || ' last' || i,
              'p' || i || '@example.org'
         FROM generate_series(1, $2::int) AS i`,
      [spaceId, total],
    );
  });
  after(() => t.close());

  const digest = async () => {
    const db = await env().stores.region('eu');
    const { rows } = await db.query<{ n: number; h: string }>(
      `SELECT count(*)::int AS n, md5(string_agg(row_to_json(c)::text, '' ORDER BY id)) AS h
         FROM contacts c WHERE space_id = $1`,
      [spaceId],
    );
    return rows[0];
  };

  test('every row comes back byte for byte', async () => {
    const original = await digest();
    assert.equal(original?.n, total);
    const run = await runBackups(deps(), { spaceId });
    assert.deepEqual(run.failed, []);
    const manifest = run.made[0];
    assert.ok(manifest);
    assert.equal(manifest.rows.contacts, total);
    assert.equal((await verifyBackup(deps(), manifest)).ok, true);
    const db = await env().stores.region('eu');
    await db.query(`DELETE FROM contacts WHERE space_id = $1 AND first_name LIKE 'First1%'`, [
      spaceId,
    ]);
    await db.query(`UPDATE contacts SET city = 'Lyon' WHERE space_id = $1 AND city IS NULL`, [
      spaceId,
    ]);
    assert.notDeepEqual(await digest(), original);
    let progress = 0;
    const outcome = await restoreSpace(deps(), operatorCaller(), {
      spaceId,
      backupId: manifest.backupId,
      onProgress: (rows) => {
        progress = rows;
      },
    });
    assert.equal(outcome.rows.contacts, total);
    assert.ok(progress >= total);
    assert.deepEqual(await digest(), original);
  });
});
