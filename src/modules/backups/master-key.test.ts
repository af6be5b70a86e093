import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../config.ts';
import { ensureInstallationKeys } from '../../installation-keys.ts';
import { LocalKeyEncryptionKey } from './master-key.ts';
import { loadMasterKeyRing, masterKeyFile } from './master-key-files.ts';

let root = '';
after(async () => {
  if (root) {
    await rm(root, { recursive: true, force: true });
  }
});

test('init creates one 0600 master key file per region, once; the environment can supply it instead', async () => {
  root = await mkdtemp(join(tmpdir(), 'kith-master-'));
  const config = loadConfig({ KITH_DATA: root, KITH_REGIONS: 'eu,us' });
  const created = await ensureInstallationKeys(config);
  assert.deepEqual(created.backupMaster, [
    masterKeyFile(config, 'eu'),
    masterKeyFile(config, 'us'),
  ]);
  assert.equal((await stat(masterKeyFile(config, 'eu'))).mode & 0o777, 0o600);
  const key = await readFile(masterKeyFile(config, 'eu'), 'utf8');
  assert.deepEqual((await ensureInstallationKeys(config)).backupMaster, []);
  assert.equal(await readFile(masterKeyFile(config, 'eu'), 'utf8'), key);

  const supplied = randomBytes(32).toString('base64');
  const fromEnv = loadConfig({
    KITH_DATA: root,
    KITH_REGIONS: 'eu',
    KITH_REGION_EU_MASTER_KEY: supplied,
  });
  const ring = await loadMasterKeyRing(fromEnv, 'eu');
  assert.equal(ring.source, 'KITH_REGION_EU_MASTER_KEY');
  assert.equal(
    ring.current.keyId,
    new LocalKeyEncryptionKey(Buffer.from(supplied, 'base64')).keyId,
  );
  const bad = loadConfig({
    KITH_DATA: root,
    KITH_REGIONS: 'eu',
    KITH_REGION_EU_MASTER_KEY: 'short',
  });
  await assert.rejects(loadMasterKeyRing(bad, 'eu'), /not base64 of 32 bytes/);
});

test('a wrapped data key opens only with its master key and for its own Space', async () => {
  const kek = new LocalKeyEncryptionKey(randomBytes(32));
  const dataKey = randomBytes(32);
  const space = `space ${randomUUID()}`;
  const wrapped = await kek.wrap(dataKey, space);
  assert.deepEqual(await kek.unwrap(wrapped, space), dataKey);
  await assert.rejects(kek.unwrap(wrapped, `space ${randomUUID()}`), /does not unwrap/);
  await assert.rejects(
    new LocalKeyEncryptionKey(randomBytes(32)).unwrap(wrapped, space),
    /wrong master key/,
  );
});
