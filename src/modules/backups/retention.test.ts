import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../config.ts';
import { scheduledJobs } from '../../scheduled-jobs.ts';
import { Stores } from '../../stores/stores.ts';
import { newBackupId } from './backup-manifest.ts';
import { listBackups, pruneRegion } from './backup-operations.ts';

const roots: string[] = [];
after(async () => {
  for (const root of roots) {
    await rm(root, { recursive: true, force: true });
  }
});

async function location(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kith-retention-'));
  roots.push(root);
  return root;
}

async function fakeBackup(directory: string, spaceId: string, at: Date): Promise<string> {
  const backupId = newBackupId(at);
  await writeFile(join(directory, `${backupId}.kbk`), 'x');
  const manifest = {
    format: 'kith-backup-manifest',
    version: 1,
    backupId,
    spaceId,
    region: 'eu',
    createdAt: at.toISOString(),
    file: `${backupId}.kbk`,
    size: 1,
    sha256: '',
    rows: {},
    schema: [],
  };
  await writeFile(join(directory, `${backupId}.json`), JSON.stringify(manifest));
  return backupId;
}

test('retention is at most 35 days: longer is refused, shorter is kept', () => {
  assert.throws(
    () => loadConfig({ KITH_BACKUP_RETENTION_DAYS: '36' }),
    /KITH_BACKUP_RETENTION_DAYS must be at most 35/,
  );
  assert.equal(loadConfig({}).backups.retentionDays, 35);
  assert.equal(loadConfig({ KITH_BACKUP_RETENTION_DAYS: '7' }).backups.retentionDays, 7);
  assert.throws(() => loadConfig({ KITH_BACKUP_TIME: '25:00' }), /KITH_BACKUP_TIME/);
  const config = loadConfig({ KITH_DATA: '/srv/kith', KITH_REGION_US_BACKUPS: '/mnt/us-backups' });
  assert.equal(config.backups.locations.us, '/mnt/us-backups');
  assert.equal(config.backups.locations.eu, '/srv/kith/backups/eu');
});

test('pruning removes backups older than the retention and leftovers of killed runs', async () => {
  const root = await location();
  const config = loadConfig({ KITH_REGION_EU_BACKUPS: root, KITH_BACKUP_RETENTION_DAYS: '7' });
  const spaceId = randomUUID();
  const directory = join(root, spaceId);
  await mkdir(directory);
  const now = new Date('2026-12-02T01:30:00Z');
  const old = await fakeBackup(directory, spaceId, new Date('2026-11-24T01:30:00Z'));
  const kept = await fakeBackup(directory, spaceId, new Date('2026-11-26T01:30:00Z'));
  const leftover = join(directory, '.tmp-20261201T013000Z-00000000.kbk');
  await writeFile(leftover, 'partial');
  await utimes(leftover, new Date('2026-12-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z'));
  const fresh = join(directory, '.tmp-20261202T013000Z-00000000.kbk');
  await writeFile(fresh, 'a run in progress');
  await utimes(fresh, now, now);
  assert.equal(await pruneRegion(config, 'eu', now), 1);
  assert.deepEqual(
    (await listBackups(config, { spaceId })).map((m) => m.backupId),
    [kept],
  );
  const names = await readdir(directory);
  assert.ok(!names.some((name) => name.startsWith(old)));
  assert.ok(!names.includes('.tmp-20261201T013000Z-00000000.kbk'));
  assert.ok(
    names.includes('.tmp-20261202T013000Z-00000000.kbk'),
    'a run in progress is left alone',
  );
});

test('each region has a daily backup job at KITH_BACKUP_TIME', () => {
  const config = loadConfig({ KITH_REGIONS: 'eu,us', KITH_BACKUP_TIME: '03:15' });
  const jobs = scheduledJobs(config, new Stores(config), () => new Date());
  const backups = jobs.filter((job) => job.name.startsWith('backups.'));
  assert.deepEqual(
    backups.map((job) => [job.name, job.schedule]),
    [
      ['backups.eu', { kind: 'daily', at: '03:15' }],
      ['backups.us', { kind: 'daily', at: '03:15' }],
    ],
  );
});
