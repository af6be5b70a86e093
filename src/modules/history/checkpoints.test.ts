import assert from 'node:assert/strict';
import { createHash, randomUUID, verify } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import {
  ensureCheckpointKeys,
  loadCheckpointSigningKey,
  publicKeyFromPem,
} from './checkpoint-keys.ts';
import { listCheckpoints, signCheckpoint, signDueCheckpoints } from './checkpoints.ts';
import { encodeCheckpoint } from './history-format.ts';
import { createRegionSpace, sampleEntries } from './history-test-support.ts';
import { appendHistoryEntries } from './history-writer.ts';

forEachEngine('history checkpoints', (env) => {
  before(async () => {
    await ensureCheckpointKeys(env().config);
  });

  /** A Space registered on the platform and homed in the eu region store. */
  const space = async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const platform = await env().stores.platform();
    await platform.query(
      `INSERT INTO spaces (id, name, country, region) VALUES ($1, 'Checkpointed', 'FR', 'eu')`,
      [spaceId],
    );
    return { db, spaceId };
  };

  test('each region gets an Ed25519 key once: private 0600, public beside it, key id from the raw key', async () => {
    const dir = join(env().config.dataDir, 'keys');
    const privatePem = await readFile(join(dir, 'checkpoint-eu.pem'), 'utf8');
    assert.equal((await stat(join(dir, 'checkpoint-eu.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(
      await ensureCheckpointKeys(env().config),
      [],
      'idempotent: nothing created the second time',
    );
    assert.equal(
      await readFile(join(dir, 'checkpoint-eu.pem'), 'utf8'),
      privatePem,
      'never overwritten',
    );
    const publicKey = publicKeyFromPem(await readFile(join(dir, 'checkpoint-eu.pub.pem'), 'utf8'));
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    assert.equal(raw.length, 32);
    const key = await loadCheckpointSigningKey(env().config, 'eu');
    assert.equal(key.keyId, createHash('sha256').update(raw).digest('hex').slice(0, 16));
    for (const region of env().config.regions) {
      await stat(join(dir, `checkpoint-${region}.pub.pem`));
    }
    const us = await loadCheckpointSigningKey(env().config, 'us');
    assert.notEqual(us.keyId, key.keyId, 'one key per region');
  });

  test('a checkpoint signs the canonical statement of the head; an unmoved head is not signed again', async () => {
    const { db, spaceId } = await space();
    const key = await loadCheckpointSigningKey(env().config, 'eu');
    assert.equal(
      await signCheckpoint(db, spaceId, key, new Date()),
      null,
      'no history, no checkpoint',
    );
    const appended = await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceId, sampleEntries(4)),
    );
    const signedAt = new Date('2026-11-25T03:00:00.000Z');
    const checkpoint = await signCheckpoint(db, spaceId, key, signedAt);
    assert.ok(checkpoint);
    assert.deepEqual(
      {
        seq: checkpoint.seq,
        hash: checkpoint.hash,
        signedAt: checkpoint.signedAt,
        keyId: checkpoint.keyId,
      },
      { seq: 4, hash: appended[3]!.hash, signedAt: '2026-11-25T03:00:00.000Z', keyId: key.keyId },
    );
    const statement = Buffer.from(
      `{"hash":"${appended[3]!.hash}","keyId":"${key.keyId}","seq":4,"signedAt":"2026-11-25T03:00:00.000Z","spaceId":"${spaceId}","v":1}`,
    );
    assert.deepEqual(encodeCheckpoint(checkpoint), statement);
    assert.ok(verify(null, statement, key.publicKey, checkpoint.signature));
    assert.equal(await signCheckpoint(db, spaceId, key, new Date()), null);
    assert.deepEqual(await listCheckpoints(db, spaceId), [checkpoint]);
  });

  test('the daily job signs exactly the Spaces whose head moved, once, even when run twice at once', async () => {
    const moved = await space();
    const still = await space();
    const empty = await space();
    const key = await loadCheckpointSigningKey(env().config, 'eu');
    await moved.db.transaction((tx) => appendHistoryEntries(tx, moved.spaceId, sampleEntries(2)));
    await still.db.transaction((tx) => appendHistoryEntries(tx, still.spaceId, sampleEntries(2)));
    await signCheckpoint(still.db, still.spaceId, key, new Date());
    await moved.db.transaction((tx) => appendHistoryEntries(tx, moved.spaceId, sampleEntries(1)));

    const runs = await Promise.all([
      signDueCheckpoints(env().stores, env().config),
      signDueCheckpoints(env().stores, env().config),
    ]);
    const signed = runs
      .flatMap((r) => r.signed)
      .filter((s) => [moved, still, empty].some((x) => x.spaceId === s.spaceId));
    assert.ok(
      signed.length >= 1 && signed.every((s) => s.spaceId === moved.spaceId && s.seq === 3),
      JSON.stringify(signed),
    );
    assert.deepEqual(
      runs.flatMap((r) => r.failed),
      [],
    );
    assert.deepEqual(
      (await listCheckpoints(moved.db, moved.spaceId)).map((c) => c.seq),
      [3],
    );
    assert.deepEqual(
      (await listCheckpoints(still.db, still.spaceId)).map((c) => c.seq),
      [2],
    );
    assert.deepEqual(await listCheckpoints(empty.db, empty.spaceId), []);
    const again = await signDueCheckpoints(env().stores, env().config);
    assert.deepEqual(
      again.signed.filter((s) => s.spaceId === moved.spaceId),
      [],
    );
  });

  test('the daily job opens only the region stores that hold Spaces', async () => {
    await signDueCheckpoints(env().stores, env().config);
    assert.ok(!env().stores.opened().includes('region_au'), 'an unused region costs nothing');
  });

  test('a Space whose history fails to verify is reported, not signed, and does not stop the others', async () => {
    const bad = await space();
    const good = await space();
    await bad.db.transaction((tx) => appendHistoryEntries(tx, bad.spaceId, sampleEntries(2)));
    await good.db.transaction((tx) => appendHistoryEntries(tx, good.spaceId, sampleEntries(2)));
    const owner = await env().owner('region_eu');
    await owner.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE history_entries SET source = 'cli' WHERE space_id = $1 AND seq = 2`, [
        bad.spaceId,
      ]);
    });
    const run = await signDueCheckpoints(env().stores, env().config);
    assert.ok(run.signed.some((s) => s.spaceId === good.spaceId));
    const failure = run.failed.find((f) => f.spaceId === bad.spaceId);
    assert.match(failure?.reason ?? '', /does not verify at seq 2/);
    assert.deepEqual(await listCheckpoints(bad.db, bad.spaceId), []);
  });

  test('a region without a key is reported by the job, with what to do', async () => {
    const { db, spaceId } = await space();
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(1)));
    const config = {
      ...env().config,
      dataDir: join(env().config.dataDir, 'elsewhere', randomUUID()),
    };
    const run = await signDueCheckpoints(env().stores, config);
    assert.deepEqual(run.signed, []);
    assert.match(run.failed[0]?.reason ?? '', /region eu has no checkpoint key yet: run kith init/);
  });
});
