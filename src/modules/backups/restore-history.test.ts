import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { operatorCaller } from '../../context.ts';
import { ensureCheckpointKeys } from '../history/checkpoint-keys.ts';
import { type BackupManifest, spaceBackupDirectory } from './backup-manifest.ts';
import { type BackupDeps, listBackups, runBackups, verifyBackup } from './backup-operations.ts';
import { restoreSpace } from './backup-restore.ts';
import { writeSpaceBackup } from './backup-writer.ts';
import { ensureMasterKeys, loadMasterKeyRing } from './master-key-files.ts';

/**
 * Restores whose history is not simply "the live chain went on after the
 * backup": a backup taken after another restore, a live chain shorter than the
 * backup's (a region store rebuilt from older data), one that diverged from it;
 * and the two data versions (COPY text today, JSON lines before) on awkward values.
 */
forEachEngine('backup restores and the history', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let spaceId: string;
  const deps = (): BackupDeps => ({
    config: env().config,
    stores: env().stores,
    now: () => new Date(),
  });

  before(async () => {
    await ensureMasterKeys(env().config);
    await ensureCheckpointKeys(env().config);
    t = await createTestApp(env());
    owner = await t.user('Owner');
    spaceId = await t.space(owner);
  });
  after(() => t.close());

  const contact = async (body: Record<string, unknown>) => {
    const response = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, body);
    assert.equal(response.statusCode, 201, response.body);
    return (response.json() as { id: string }).id;
  };
  const names = async (space = spaceId) => {
    const response = await t.request(owner, 'GET', `/api/v1/spaces/${space}/contacts?limit=200`);
    assert.equal(response.statusCode, 200, response.body);
    return (response.json() as { items: { firstName: string }[] }).items
      .map((c) => c.firstName)
      .sort();
  };
  const verified = async (space = spaceId) => {
    const response = await t.request(owner, 'GET', `/api/v1/spaces/${space}/history/verify`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { ok: boolean; count: number };
  };
  const head = async () => {
    const db = await env().stores.region('eu');
    const { rows } = await db.query<{ seq: number }>(
      'SELECT seq FROM history_heads WHERE space_id = $1',
      [spaceId],
    );
    return Number(rows[0]?.seq ?? 0);
  };
  const backup = async (): Promise<BackupManifest> => {
    const run = await runBackups(deps(), { spaceId });
    assert.deepEqual(run.failed, []);
    const made = run.made[0];
    assert.ok(made);
    return made;
  };
  const restore = (backupId: string) =>
    restoreSpace(deps(), operatorCaller(), { spaceId, backupId });
  const restoreEntries = async () => {
    const response = await t.request(
      owner,
      'GET',
      `/api/v1/spaces/${spaceId}/history?action=backup.restore&limit=100`,
    );
    return (response.json() as { items: { seq: number }[] }).items.length;
  };

  // What a region store rebuilt from older data holds of the Space: its home
  // row, data key and history as they were (read and written as the owner, as
  // an operator restoring the database would).
  const rebuiltTables = [
    'spaces',
    'space_data_keys',
    'history_heads',
    'history_entries',
    'history_values',
    'history_checkpoints',
  ];
  const snapshot = async (): Promise<Map<string, string>> => {
    const db = await env().owner('region_eu');
    const rows = new Map<string, string>();
    for (const table of rebuiltTables) {
      const { rows: result } = await db.query<{ j: string }>(
        `SELECT coalesce(json_agg(row_to_json(x)), '[]')::text AS j FROM ${table} x WHERE space_id = $1`,
        [spaceId],
      );
      rows.set(table, result[0]?.j ?? '[]');
    }
    return rows;
  };
  const rebuildFrom = async (rows: Map<string, string>) => {
    const db = await env().owner('region_eu');
    await db.transaction(async (tx) => {
      await tx.query('SELECT kith_purge_space($1)', [spaceId]);
      for (const table of rebuiltTables) {
        await tx.query(
          `INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`,
          [rows.get(table) ?? '[]'],
        );
      }
    });
  };

  const contactRows = async () => {
    const db = await env().stores.region('eu');
    const { rows } = await db.query<{ j: string }>(
      'SELECT row_to_json(c)::text AS j FROM contacts c WHERE space_id = $1 ORDER BY id',
      [spaceId],
    );
    return rows.map((row) => row.j);
  };

  test('awkward values survive a COPY text backup byte for byte; it is data version 2', async () => {
    const id = await contact({ firstName: 'Plain', email: 'awkward@example.org', tags: ['a'] });
    // Values COPY text must escape: tabs, line feeds, carriage returns,
    // backslashes, a lone "\." (COPY's end marker), "\N" (its NULL), non-ASCII.
    const db = await env().stores.region('eu');
    await db.query(
      `UPDATE contacts SET first_name = $2, last_name = $3, city = $4, street = NULL,
              custom_fields = $5::jsonb WHERE space_id = $1 AND id = $6`,
      [
        spaceId,
        'Tab\there',
        'line\nbreak \\. and \\N',
        '\\.',
        JSON.stringify({ note: 'carriage\r\nreturn \\ "quotes"', emoji: 'Zoë 🦊', n: 3 }),
        id,
      ],
    );
    const before = await contactRows();
    const manifest = await backup();
    assert.equal((await verifyBackup(deps(), manifest)).ok, true);
    const file = await open(
      join(spaceBackupDirectory(env().config, 'eu', spaceId), manifest.file),
      'r',
    );
    const start = Buffer.alloc(512);
    await file.read(start, 0, 512, 0);
    await file.close();
    assert.match(start.toString('latin1'), /"version":2/);
    const edited = await t.request(owner, 'PATCH', `/api/v1/spaces/${spaceId}/contacts/${id}`, {
      firstName: 'Edited',
      city: 'Paris',
    });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.notDeepEqual(await contactRows(), before);
    await restore(manifest.backupId);
    assert.deepEqual(await contactRows(), before);
    assert.equal((await verified()).ok, true);
  });

  test('a version 1 backup (JSON lines) still verifies and restores', async () => {
    const db = await env().stores.region('eu');
    const ring = await loadMasterKeyRing(env().config, 'eu');
    const old = await writeSpaceBackup(
      { config: env().config, db, ring, now: new Date(), dataVersion: 1 },
      spaceId,
      'eu',
    );
    const file = await open(join(spaceBackupDirectory(env().config, 'eu', spaceId), old.file), 'r');
    const start = Buffer.alloc(512);
    await file.read(start, 0, 512, 0);
    await file.close();
    assert.match(start.toString('latin1'), /"version":1/);
    assert.equal((await verifyBackup(deps(), old)).ok, true);
    const before = await names();
    await contact({ firstName: 'After' });
    assert.deepEqual(await names(), [...before, 'After'].sort());
    const outcome = await restore(old.backupId);
    assert.equal(outcome.rows.contacts, before.length);
    assert.deepEqual(await names(), before);
    assert.equal((await verified()).ok, true);
  });

  test('a backup taken after another restore restores over a later restore: the chain verifies', async () => {
    const b1 = await backup();
    await contact({ firstName: 'Between' });
    await restore(b1.backupId); // restore entry R1
    await contact({ firstName: 'AfterRestore' });
    const b3 = await backup(); // holds R1 and AfterRestore
    const b3Names = await names();
    await restore(b1.backupId); // R2: the live chain is now past b3's head
    assert.equal((await names()).includes('AfterRestore'), false);
    const restores = await restoreEntries();
    const outcome = await restore(b3.backupId);
    assert.equal(outcome.historyAppended, 0);
    assert.deepEqual(await names(), b3Names);
    assert.equal(await restoreEntries(), restores + 1);
    const check = await verified();
    assert.equal(check.ok, true);
    assert.equal(check.count, await head());
  });

  test('a live history SHORTER than the backup’s (store rebuilt from older data): the missing entries are appended, the chain verifies', async () => {
    await contact({ firstName: 'Older' });
    const older = await snapshot();
    const olderHead = await head();
    await contact({ firstName: 'Newer' });
    await contact({ firstName: 'Newest' });
    const later = await backup();
    const laterNames = await names();
    const laterHead = await head();
    assert.ok(laterHead > olderHead + 1);

    await rebuildFrom(older);
    assert.equal(await head(), olderHead);
    assert.equal((await verified()).ok, true);
    const outcome = await restore(later.backupId);
    assert.equal(outcome.historyAppended, laterHead - olderHead);
    assert.deepEqual(await names(), laterNames);
    assert.equal(await head(), laterHead + 1);
    const check = await verified();
    assert.equal(check.ok, true);
    assert.equal(check.count, laterHead + 1);
    // The appended entries are the backup's own, byte for byte: a checkpoint
    // signed now covers them and the chain still verifies after more work.
    await contact({ firstName: 'Afterwards' });
    assert.equal((await verified()).ok, true);
  });

  test('a live history that DIVERGED from the backup’s is refused, nothing changes; as new still works', async () => {
    const older = await snapshot();
    await contact({ firstName: 'OnlyInBackup' });
    const diverging = await backup();
    await rebuildFrom(older);
    // The rebuilt store goes on differently from the backup.
    await contact({ firstName: 'OnlyLive' });
    const liveNames = await names();
    const liveHead = await head();
    const restores = await restoreEntries();
    await assert.rejects(restore(diverging.backupId), (error: Error & { code?: string }) => {
      assert.match(error.message, /not a prefix|continues it differently/);
      return true;
    });
    assert.deepEqual(await names(), liveNames);
    assert.equal(await head(), liveHead);
    assert.equal(await restoreEntries(), restores);
    assert.equal((await verified()).ok, true);
    const copy = await restoreSpace(deps(), operatorCaller(), {
      spaceId,
      backupId: diverging.backupId,
      asNew: { ownerUserId: owner.id },
    });
    assert.equal((await names(copy.spaceId)).includes('OnlyInBackup'), true);
    assert.equal((await verified(copy.spaceId)).ok, true);
    assert.ok((await listBackups(env().config, { spaceId })).length >= 1);
  });
});
