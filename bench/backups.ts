/**
 * Issue #5's backup figures on PostgreSQL (a throwaway cluster, or
 * KITH_TEST_DATABASE_URL) and PGlite, for one Space of N contacts:
 *   1. backup throughput (rows/s, MB/s) beside `pg_dump` of the same rows piped
 *      through `gzip -1` and `openssl enc -aes-256-ctr`, same run (goal ≥ 0.5×);
 *   2. restore beside `psql` loading the same plain dump (goal ≥ 0.5×); both
 *      load into an emptied table with the same indexes;
 *   3. peak RSS above idle during backup and restore (goal < 300 MB on PostgreSQL).
 * Run: `npm run bench -- backups [--rows N]` (default 1,000,000;
 * BENCH_ENGINES=postgres or pglite to run one). The machine may be shared:
 * compare the ratios, not the absolute figures.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operatorCaller } from '../src/context.ts';
import { spaceBackupDirectory } from '../src/modules/backups/backup-manifest.ts';
import { writeSpaceBackup } from '../src/modules/backups/backup-writer.ts';
import { dataKeyForReading } from '../src/modules/backups/data-keys.ts';
import { ensureMasterKeys, loadMasterKeyRing } from '../src/modules/backups/master-key-files.ts';
import { restoreBackup } from '../src/modules/backups/restore.ts';
import { storeLocation } from '../src/stores/store-locations.ts';
import { type PostgresCluster, startPostgresCluster } from '../test/harness/postgres-cluster.ts';
import { createTestEnv, type EngineName, type TestEnv } from '../test/harness/test-env.ts';

const rowsArg = process.argv.indexOf('--rows');
const total = Number(
  rowsArg > 0 ? process.argv[rowsArg + 1] : (process.env.BENCH_BACKUP_ROWS ?? 1_000_000),
);
const mb = (bytes: number) => bytes / 1024 / 1024;

/** Samples this process's RSS while `fn` runs; returns its duration and the peak. */
async function measured<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; ms: number; peakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const t0 = performance.now();
  try {
    const value = await fn();
    return {
      value,
      ms: performance.now() - t0,
      peakMiB: mb(Math.max(peak, process.memoryUsage().rss)),
    };
  } finally {
    clearInterval(timer);
  }
}

async function seed(env: TestEnv): Promise<string> {
  const db = await env.stores.region('eu');
  const spaceId = randomUUID();
  await db.query(`INSERT INTO spaces (space_id, region, country) VALUES ($1, 'eu', 'FR')`, [
    spaceId,
  ]);
  const step = 100_000;
  for (let done = 0; done < total; done += step) {
    await db.query(
      `INSERT INTO contacts (space_id, id, first_name, last_name, email, phone, city, postcode, country,
                             custom_fields, created_at, updated_at, first_name_search, last_name_search,
                             name_search, email_search)
       SELECT $1, gen_random_uuid(), 'First' || i, 'Last' || i, 'person' || i || '@example.org',
              '+3361234' || lpad(i::text, 4, '0'), 'Paris', '75011', 'FR', '{"level": 3}'::jsonb,
              now(), now(), 'first' || i, 'last' || i, 'first' || i || ' last' || i, 'person' || i || '@example.org'
         FROM generate_series($2::int, $3::int) AS i`,
      [spaceId, done + 1, Math.min(total, done + step)],
    );
  }
  await (await env.owner('region_eu')).exec('VACUUM ANALYZE');
  return spaceId;
}

function shell(script: string): number {
  const t0 = performance.now();
  execFileSync('bash', ['-o', 'pipefail', '-c', script], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return performance.now() - t0;
}

async function benchEngine(engine: EngineName): Promise<void> {
  const env = await createTestEnv(engine);
  const work = await mkdtemp(join(tmpdir(), 'kith-bench-backups-'));
  try {
    await ensureMasterKeys(env.config);
    const spaceId = await seed(env);
    const db = await env.stores.region('eu');
    const ring = await loadMasterKeyRing(env.config, 'eu');
    global.gc?.();
    const idle = mb(process.memoryUsage().rss);
    const backup = await measured(() =>
      writeSpaceBackup({ config: env.config, db, ring, now: new Date() }, spaceId, 'eu'),
    );
    const manifest = backup.value;
    const rowsPerSecond = total / (backup.ms / 1000);
    console.log(
      `\n[${engine}] ${total.toLocaleString('en')} contacts, idle RSS ${idle.toFixed(0)} MiB`,
    );
    console.log(
      `  backup: ${(backup.ms / 1000).toFixed(1)} s, ${Math.round(rowsPerSecond).toLocaleString('en')} rows/s, file ${mb(manifest.size).toFixed(1)} MiB, peak RSS +${(backup.peakMiB - idle).toFixed(0)} MiB`,
    );
    const owner = await env.owner('region_eu');
    let dumpMs: number | undefined;
    let psqlMs: number | undefined;
    const location = storeLocation(env.config, 'region_eu');
    const url = location.engine === 'postgres' ? location.adminUrl : undefined;
    if (url) {
      const plain = join(work, 'contacts.sql');
      dumpMs = shell(
        `pg_dump --data-only --table=contacts '${url}' | gzip -1 | openssl enc -aes-256-ctr -pbkdf2 -pass pass:bench -out '${join(work, 'dump.enc')}'`,
      );
      const encrypted = (await stat(join(work, 'dump.enc'))).size;
      console.log(
        `  pg_dump | gzip -1 | openssl enc -aes-256-ctr: ${(dumpMs / 1000).toFixed(1)} s (${mb(encrypted).toFixed(1)} MiB) → backup at ${(dumpMs / backup.ms).toFixed(2)}× its throughput (goal ≥ 0.5×)`,
      );
      shell(`pg_dump --data-only --table=contacts '${url}' > '${plain}'`);
      await owner.exec('TRUNCATE contacts CASCADE');
      psqlMs = shell(`psql -q -v ON_ERROR_STOP=1 '${url}' -f '${plain}'`);
      console.log(`  psql loading the plain dump: ${(psqlMs / 1000).toFixed(1)} s`);
    }
    await owner.exec('TRUNCATE contacts CASCADE');
    await owner.exec('VACUUM ANALYZE contacts');
    global.gc?.();
    const idleBeforeRestore = mb(process.memoryUsage().rss);
    const dataKey = await dataKeyForReading(db, ring, spaceId);
    const restore = await measured(() =>
      restoreBackup(db, {
        manifest,
        directory: spaceBackupDirectory(env.config, 'eu', spaceId),
        dataKey,
        targetSpaceId: spaceId,
        actor: { ...operatorCaller().actor, role: null },
        source: 'cli',
        now: new Date(),
      }),
    );
    if (restore.value.rows.contacts !== total) {
      throw new Error(`restore gave ${restore.value.rows.contacts} contacts`);
    }
    console.log(
      `  restore (in place, one transaction): ${(restore.ms / 1000).toFixed(1)} s, ${Math.round(total / (restore.ms / 1000)).toLocaleString('en')} rows/s, peak RSS +${(restore.peakMiB - idleBeforeRestore).toFixed(0)} MiB`,
    );
    if (psqlMs !== undefined) {
      console.log(
        `  → restore at ${(psqlMs / restore.ms).toFixed(2)}× psql's throughput (goal ≥ 0.5×)`,
      );
    }
  } finally {
    await env.close();
    await rm(work, { recursive: true, force: true });
  }
}

let cluster: PostgresCluster | undefined;
try {
  const engines = (process.env.BENCH_ENGINES ?? 'postgres,pglite').split(',') as EngineName[];
  if (engines.includes('postgres') && !process.env.KITH_TEST_DATABASE_URL) {
    cluster = await startPostgresCluster();
    if (cluster) {
      process.env.KITH_TEST_DATABASE_URL = cluster.adminUrl;
    }
  }
  for (const engine of engines) {
    if (engine === 'postgres' && !process.env.KITH_TEST_DATABASE_URL) {
      console.log(
        '[postgres] skipped: no PostgreSQL (install postgresql or set KITH_TEST_DATABASE_URL)',
      );
      continue;
    }
    await benchEngine(engine);
  }
  console.log('\nThe machine is shared with other work: compare ratios, not absolute figures.');
} finally {
  cluster?.stop();
}
