import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { loadConfig } from '../../config.ts';
import { operatorCaller } from '../../context.ts';
import { ensureCheckpointKeys } from '../history/checkpoint-keys.ts';
import { spaceBackupDirectory } from './backup-manifest.ts';
import { type BackupDeps, listBackups, runBackups, verifyBackup } from './backup-operations.ts';
import { restoreSpace } from './backup-restore.ts';
import { insertErasure } from './backups.repository.ts';
import { ensureMasterKeys, masterKeyFile } from './master-key-files.ts';
import { rotateMasterKey } from './master-key-rotation.ts';

forEachEngine('backups', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
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
    admin = await t.user('Admin');
    spaceId = await t.space(owner, { members: [[admin, 'admin']] });
  });
  after(() => t.close());

  const contact = async (firstName: string) => {
    const response = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
      firstName,
      email: `${firstName.toLowerCase()}@example.org`,
      tags: ['a', 'b'],
    });
    assert.equal(response.statusCode, 201, response.body);
    return (response.json() as { id: string }).id;
  };
  const names = async (space = spaceId, as = owner) => {
    const response = await t.request(as, 'GET', `/api/v1/spaces/${space}/contacts?limit=200`);
    assert.equal(response.statusCode, 200, response.body);
    return (response.json() as { items: { firstName: string }[] }).items
      .map((c) => c.firstName)
      .sort();
  };
  const historyVerifies = async (space = spaceId, as = owner) => {
    const response = await t.request(as, 'GET', `/api/v1/spaces/${space}/history/verify`);
    return response.json() as { ok: boolean; count: number };
  };

  let ada = '';
  let firstBackup = '';

  test('a backup is listed with its row counts and verifies', async () => {
    ada = await contact('Ada');
    await contact('Grace');
    const run = await runBackups(deps(), { spaceId });
    assert.deepEqual(run.failed, []);
    assert.equal(run.made.length, 1);
    const manifest = run.made[0];
    assert.ok(manifest);
    firstBackup = manifest.backupId;
    assert.equal(manifest.rows.contacts, 2);
    assert.equal(manifest.rows.contact_tags, 4);
    assert.ok(manifest.schema.includes('202612021200_backups.sql') || manifest.schema.length > 0);
    const check = await verifyBackup(deps(), manifest);
    assert.equal(check.ok, true, check.reason ?? '');
    const listed = await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/backups`);
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(
      (listed.json() as { items: { id: string }[] }).items.map((b) => b.id),
      [firstBackup],
    );
    const forbidden = await t.request(admin, 'GET', `/api/v1/spaces/${spaceId}/backups`);
    assert.equal(forbidden.statusCode, 403);
  });

  test('the backup is encrypted: no contact value appears in the file', async () => {
    const directory = spaceBackupDirectory(env().config, 'eu', spaceId);
    const bytes = await readFile(join(directory, `${firstBackup}.kbk`));
    assert.equal(bytes.includes(Buffer.from('ada@example.org')), false);
    assert.equal(bytes.includes(Buffer.from('Grace')), false);
  });

  test('an in-place restore brings the data back, keeps the history verifying, and records itself', async () => {
    // After the backup: a checkpoint, an edit, a new contact, a deletion.
    const signed = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/history/checkpoints`);
    assert.ok([200, 201].includes(signed.statusCode), signed.body);
    await contact('Linus');
    await t.request(owner, 'DELETE', `/api/v1/spaces/${spaceId}/contacts/${ada}`);
    await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/history/checkpoints`);
    assert.deepEqual(await names(), ['Grace', 'Linus']);
    const before = await historyVerifies();
    const outcome = await restoreSpace(deps(), operatorCaller(), {
      spaceId,
      backupId: firstBackup,
    });
    assert.equal(outcome.asNew, false);
    assert.deepEqual(await names(), ['Ada', 'Grace']);
    const after = await historyVerifies();
    assert.equal(after.ok, true);
    assert.equal(after.count, before.count + 1);
    const entries = await t.request(
      owner,
      'GET',
      `/api/v1/spaces/${spaceId}/history?action=backup.restore`,
    );
    const entry = (
      entries.json() as {
        items: { actor: { id: string }; changes: { field: string; to: unknown }[] }[];
      }
    ).items[0];
    assert.ok(entry);
    assert.equal(entry.actor.id, 'operator');
    assert.deepEqual(entry.changes.find((c) => c.field === 'backup')?.to, firstBackup);
    assert.ok(entry.changes.some((c) => c.field === 'undoneEntries'));
  });

  test('the erasure ledger is replayed: a contact erased after the backup never comes back', async () => {
    const db = await env().stores.region('eu');
    await insertErasure(db, spaceId, ada, new Date());
    await restoreSpace(deps(), operatorCaller(), { spaceId, backupId: firstBackup });
    assert.deepEqual(await names(), ['Grace']);
    const values = await db.query(
      'SELECT 1 FROM history_values WHERE space_id = $1 AND subject_id = $2',
      [spaceId, ada],
    );
    assert.equal(values.rows.length, 0);
    assert.equal((await historyVerifies()).ok, true);
  });

  test('a restore as a new Space: same region, owned by the named account, its own history', async () => {
    const outcome = await restoreSpace(deps(), operatorCaller(), {
      spaceId,
      backupId: firstBackup,
      asNew: { ownerUserId: admin.id },
    });
    assert.equal(outcome.asNew, true);
    assert.notEqual(outcome.spaceId, spaceId);
    assert.deepEqual(await names(outcome.spaceId, admin), ['Grace']);
    const verified = await historyVerifies(outcome.spaceId, admin);
    assert.deepEqual(verified.ok, true);
    assert.equal(verified.count, 1);
  });

  test('one flipped byte fails verification, naming the backup; a truncated file too', async () => {
    const run = await runBackups(deps(), { spaceId });
    const manifest = run.made[0];
    assert.ok(manifest);
    const path = join(spaceBackupDirectory(env().config, 'eu', spaceId), manifest.file);
    const original = await readFile(path);
    const flipped = Buffer.from(original);
    const middle = Math.floor(flipped.length / 2);
    flipped[middle] = (flipped[middle] ?? 0) ^ 0x01;
    await writeFile(path, flipped);
    const check = await verifyBackup(deps(), manifest);
    assert.equal(check.ok, false);
    assert.match(check.reason ?? '', new RegExp(manifest.backupId));
    // Even with a matching manifest digest, the cipher catches it.
    const forged = {
      ...manifest,
      sha256: (await import('node:crypto')).createHash('sha256').update(flipped).digest('hex'),
    };
    const deep = await verifyBackup(deps(), forged);
    assert.equal(deep.ok, false);
    assert.match(deep.reason ?? '', /does not authenticate|malformed|not JSON|truncated/);
    const truncated = original.subarray(0, original.length - 20);
    await writeFile(path, truncated);
    const cut = await verifyBackup(deps(), {
      ...manifest,
      size: truncated.length,
      sha256: (await import('node:crypto')).createHash('sha256').update(truncated).digest('hex'),
    });
    assert.equal(cut.ok, false);
    assert.match(cut.reason ?? '', /truncated|does not authenticate|malformed/);
    await writeFile(path, original);
    assert.equal((await verifyBackup(deps(), manifest)).ok, true);
  });

  test('a wrong or missing master key is a clear error', async () => {
    const [manifest] = await listBackups(env().config, { spaceId });
    assert.ok(manifest);
    const wrong = loadConfig({
      KITH_DATA: env().config.dataDir,
      KITH_REGION_EU_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    const withWrong = await verifyBackup(
      { ...deps(), config: { ...env().config, backups: wrong.backups } },
      manifest,
    );
    assert.equal(withWrong.ok, false);
    assert.match(withWrong.reason ?? '', /master key/);
    const file = masterKeyFile(env().config, 'eu');
    const saved = await readFile(file, 'utf8');
    await rm(file);
    try {
      const missing = await verifyBackup(deps(), manifest);
      assert.equal(missing.ok, false);
      assert.match(missing.reason ?? '', /no backup master key: run kith init/);
    } finally {
      await writeFile(file, saved, { mode: 0o600 });
    }
  });

  test('a full disk is a clear error; nothing partial is listed and earlier backups are intact', async () => {
    const before = await listBackups(env().config, { spaceId });
    const full = () =>
      new Writable({
        write(_chunk, _encoding, done) {
          const error = Object.assign(new Error('ENOSPC: no space left on device, write'), {
            code: 'ENOSPC',
          });
          done(error);
        },
      });
    const run = await runBackups({ ...deps(), createOutput: full }, { spaceId });
    assert.equal(run.made.length, 0);
    assert.match(run.failed[0]?.reason ?? '', /is full \(ENOSPC\).*earlier backups are intact/);
    const afterList = await listBackups(env().config, { spaceId });
    assert.deepEqual(
      afterList.map((m) => m.backupId),
      before.map((m) => m.backupId),
    );
    for (const manifest of afterList) {
      assert.equal((await verifyBackup(deps(), manifest)).ok, true);
    }
  });

  test('rotating the master key re-wraps data keys; backups still verify, the old key opens nothing', async () => {
    const file = masterKeyFile(env().config, 'eu');
    const oldKey = (await readFile(file, 'utf8')).trim();
    const result = await rotateMasterKey(deps(), 'eu');
    assert.ok(result.rewrapped >= 1);
    assert.notEqual(result.keyId, result.previousKeyId);
    assert.notEqual((await readFile(file, 'utf8')).trim(), oldKey);
    for (const manifest of await listBackups(env().config, { spaceId })) {
      assert.equal((await verifyBackup(deps(), manifest)).ok, true);
    }
    const old = loadConfig({ KITH_DATA: env().config.dataDir, KITH_REGION_EU_MASTER_KEY: oldKey });
    const [first] = await listBackups(env().config, { spaceId });
    assert.ok(first);
    const withOld = await verifyBackup(
      { ...deps(), config: { ...env().config, backups: old.backups } },
      first,
    );
    assert.equal(withOld.ok, false);
  });

  test('deleting a Space destroys its data key: every backup of it becomes unreadable', async () => {
    const doomed = await t.space(owner);
    await t.request(owner, 'POST', `/api/v1/spaces/${doomed}/contacts`, { firstName: 'Zoe' });
    await runBackups(deps(), { spaceId: doomed });
    const [manifest] = await listBackups(env().config, { spaceId: doomed });
    assert.ok(manifest);
    assert.equal((await verifyBackup(deps(), manifest)).ok, true);
    const refused = await t.request(admin, 'DELETE', `/api/v1/spaces/${spaceId}`);
    assert.equal(refused.statusCode, 403);
    const deleted = await t.request(owner, 'DELETE', `/api/v1/spaces/${doomed}`);
    assert.equal(deleted.statusCode, 204, deleted.body);
    const check = await verifyBackup(deps(), manifest);
    assert.equal(check.ok, false);
    assert.match(check.reason ?? '', /no data key \(the Space was deleted.*cannot be decrypted/);
    const db = await env().stores.region('eu');
    for (const table of ['contacts', 'history_entries', 'history_heads', 'spaces']) {
      const rows = await db.query(`SELECT 1 FROM ${table} WHERE space_id = $1`, [doomed]);
      assert.equal(rows.rows.length, 0, table);
    }
    const gone = await t.request(owner, 'GET', `/api/v1/spaces/${doomed}`);
    assert.equal(gone.statusCode, 404);
    // The history of a living Space is still append-only for the application.
    await assert.rejects(
      db.query('DELETE FROM history_entries WHERE space_id = $1', [spaceId]),
      /append-only|permission denied/,
    );
  });
});
