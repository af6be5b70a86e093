import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { forEachEngine } from '../../../test/harness/engines.ts';
import {
  ensureCheckpointKeys,
  loadCheckpointPublicKey,
  loadCheckpointSigningKey,
} from './checkpoint-keys.ts';
import { listCheckpoints, signCheckpoint } from './checkpoints.ts';
import { readEntriesNewestFirst } from './history.repository.ts';
import { toCheckpointView, toHistoryEntryView } from './history-presenter.ts';
import { redactSubject } from './history-redaction.ts';
import { contactUpdate, createRegionSpace, sampleEntries } from './history-test-support.ts';
import { appendHistoryEntries } from './history-writer.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the offline check as a customer would: a separate process, files only. */
function offline(...args: string[]) {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/verify-history-offline.ts', ...args],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * Issue #3 deliverable 6: an exported history checked against the checkpoints and
 * public key the customer kept, without the server or its database.
 */
forEachEngine('history offline check', (env) => {
  let dir = '';
  let lines: string[] = [];
  let files: { history: string; checkpoints: string; key: string; otherKey: string };

  before(async () => {
    await ensureCheckpointKeys(env().config);
    dir = await mkdtemp(join(tmpdir(), 'kith-offline-'));
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const key = await loadCheckpointSigningKey(env().config, 'eu');
    const erased = randomUUID();
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(40)));
    await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceId, [contactUpdate(erased, 'email', null, 'gone@example.org')]),
    );
    await signCheckpoint(db, spaceId, key, new Date());
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(9)));
    await db.transaction((tx) => redactSubject(tx, spaceId, erased));
    await signCheckpoint(db, spaceId, key, new Date());
    // What the customer saved from the API: every page of the history, newest first…
    const rows = await readEntriesNewestFirst(db, spaceId, {}, 1000);
    lines = rows.map((row) => JSON.stringify(toHistoryEntryView(row)));
    // …the checkpoints document, and the region's public key.
    const publicKey = await loadCheckpointPublicKey(env().config, 'eu');
    const checkpoints = (await listCheckpoints(db, spaceId)).map(toCheckpointView);
    files = {
      history: join(dir, 'history.ndjson'),
      checkpoints: join(dir, 'checkpoints.json'),
      key: join(dir, 'checkpoint-eu.pub.pem'),
      otherKey: join(dir, 'checkpoint-us.pub.pem'),
    };
    await writeFile(files.history, `${lines.join('\n')}\n`);
    await writeFile(
      files.checkpoints,
      JSON.stringify({
        spaceId,
        items: checkpoints,
        keyId: publicKey.keyId,
        publicKey: publicKey.publicKeyPem,
      }),
    );
    await writeFile(files.key, publicKey.publicKeyPem);
    await writeFile(
      files.otherKey,
      (await loadCheckpointPublicKey(env().config, 'us')).publicKeyPem,
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const withHistory = async (content: string[]) => {
    const file = join(dir, `${randomUUID()}.ndjson`);
    await writeFile(file, `${content.join('\n')}\n`);
    return file;
  };

  test('an exported history verifies offline, newest first or oldest first, redacted values included', async () => {
    assert.ok(
      lines.some((l) => l.includes('"redacted":true')),
      'the export holds a redacted entry',
    );
    const run = offline(files.history, files.checkpoints, files.key);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /OK: 50 entries of Space .* verify against the checkpoints/);
    const ascending = offline(
      await withHistory([...lines].reverse()),
      files.checkpoints,
      files.key,
      '--json',
    );
    assert.equal(ascending.code, 0, ascending.stderr);
    assert.deepEqual(JSON.parse(ascending.stdout), {
      spaceId: JSON.parse(await readFile(files.checkpoints, 'utf8')).spaceId,
      ok: true,
      count: 50,
      firstBadSeq: null,
      reason: null,
    });
  });

  test('a value changed in the export is caught at its seq, exit 5', async () => {
    const changed = lines.map((line) =>
      line.includes('"seq":17,') ? line.replace('new16@example.org', 'new99@example.org') : line,
    );
    assert.notDeepEqual(changed, lines);
    const run = offline(await withHistory(changed), files.checkpoints, files.key);
    assert.equal(run.code, 5);
    assert.match(run.stdout, /FAILED at seq 17: a value of entry 17 was modified/);
  });

  test('an entry removed from the export is named; a cut tail is caught against the last checkpoint', async () => {
    const removed = offline(
      await withHistory(lines.filter((l) => !l.includes('"seq":23,'))),
      files.checkpoints,
      files.key,
    );
    assert.equal(removed.code, 5);
    assert.match(removed.stdout, /FAILED at seq 23: entry 23 is missing/);
    const cut = offline(await withHistory(lines.slice(4)), files.checkpoints, files.key);
    assert.equal(cut.code, 5);
    assert.match(
      cut.stdout,
      /FAILED at seq 47: entries 47 to 50 are missing: a checkpoint signed entry 50/,
    );
  });

  test('checkpoints are only trusted with the key the customer kept', async () => {
    const wrongKey = offline(files.history, files.checkpoints, files.otherKey);
    assert.equal(wrongKey.code, 5);
    assert.match(
      wrongKey.stdout,
      /signed by key [0-9a-f]{16}, which is not among the public keys given/,
    );
    const document = JSON.parse(await readFile(files.checkpoints, 'utf8')) as {
      items: { seq: number; hash: string }[];
    };
    document.items[1]!.hash = document.items[0]!.hash;
    const forged = join(dir, 'forged.json');
    await writeFile(forged, JSON.stringify(document));
    const run = offline(files.history, forged, files.key);
    assert.equal(run.code, 5);
    assert.match(run.stdout, /FAILED at seq 50: the checkpoint at 50 has an invalid signature/);
  });

  test('usage errors exit 2, malformed files 6, missing files 3', async () => {
    assert.equal(offline(files.history).code, 2);
    assert.equal(offline(await withHistory(['{not json']), files.checkpoints, files.key).code, 6);
    assert.equal(offline(files.history, files.key, files.key).code, 6);
    assert.equal(offline(files.history, files.checkpoints, files.history).code, 6);
    assert.equal(offline(join(dir, 'nope.ndjson'), files.checkpoints, files.key).code, 3);
  });
});
