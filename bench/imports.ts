/**
 * Issue #4's import figure, on PGlite and on PostgreSQL (a throwaway cluster, or
 * KITH_TEST_DATABASE_URL): a generated CSV of N contacts imported through the
 * service (upload hashed to disk, every row checked by the contacts rules,
 * staged, committed in one transaction with a history entry per contact),
 * beside a raw `COPY ... FROM` of the same file into a bare table on the same
 * engine, in the same run. Prints rows/s, the ratio (goal ≥ 0.5) and the peak
 * RSS of this process above its idle level (PGlite runs inside it; PostgreSQL
 * does not, so there it is the application's own memory).
 * Run: `npm run bench -- imports [--rows N]` (default 1,000,000; BENCH_ENGINES=pglite
 * or postgres runs that engine alone). The machine is shared: figures move with its load.
 */
import { createReadStream, openAsBlob, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { operatorCaller } from '../src/context.ts';
import { saveUpload, uploadDirectory } from '../src/modules/imports/import-upload.ts';
import { createServices } from '../src/services.ts';
import { storeLocation } from '../src/stores/store-locations.ts';
import { type PostgresCluster, startPostgresCluster } from '../test/harness/postgres-cluster.ts';
import { createTestEnv, type EngineName } from '../test/harness/test-env.ts';

const rowsFlag = process.argv.indexOf('--rows');
const total = Number(
  rowsFlag === -1 ? (process.env.BENCH_IMPORT_ROWS ?? 1_000_000) : process.argv[rowsFlag + 1],
);
if (!Number.isInteger(total) || total < 1) {
  console.error('--rows must be a positive integer');
  process.exit(2);
}

const header = 'email,first name,last name,phone,city,postcode,tags,newsletter';
const rawColumns =
  'email text, first_name text, last_name text, phone text, city text, postcode text, tags text, newsletter text';

async function writeCsv(path: string): Promise<void> {
  await writeFile(path, `${header}\n`);
  const lines: string[] = [];
  for (let i = 0; i < total; i++) {
    lines.push(
      `person${i}@example.org,First${i},Last${i % 5000},+33 6 ${String(i).padStart(8, '0')},City ${i % 300},${String(10000 + (i % 90000))},tag${i % 20};all,${i % 3 === 0 ? 'yes' : 'no'}`,
    );
    if (lines.length >= 50_000 || i === total - 1) {
      await appendFile(path, `${lines.join('\n')}\n`);
      lines.length = 0;
    }
  }
}

/** Peak RSS while `fn` runs, sampled every 50 ms, in MiB. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const value = await fn();
    return { value, peakMiB: peak / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

/** CPU seconds (user + system) of process `pid` so far, from /proc; undefined where it cannot be read. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * The CPU time of the PostgreSQL backends serving `url`'s database, by pid
 * (readable only when the server runs on this machine, as the throwaway
 * cluster does). The import's own share is the difference of two readings.
 */
async function backendCpu(url: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      const seconds = processCpuSeconds(pid);
      if (seconds !== undefined) {
        cpu.set(pid, seconds);
      }
    }
    return cpu;
  } finally {
    await client.end();
  }
}

function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) {
    total += seconds - (before.get(pid) ?? 0);
  }
  return total;
}

async function rawCopy(engine: EngineName, csv: string, regionUrl: string | undefined) {
  if (engine === 'pglite') {
    const directory = await mkdtemp(join(tmpdir(), 'kith-bench-copy-'));
    const db = await PGlite.create(directory);
    try {
      await db.exec(`CREATE TABLE bench_raw (${rawColumns})`);
      const started = performance.now();
      await db.query(`COPY bench_raw FROM '/dev/blob' WITH (FORMAT csv, HEADER true)`, [], {
        blob: await openAsBlob(csv),
      });
      return performance.now() - started;
    } finally {
      await db.close();
      await rm(directory, { recursive: true, force: true });
    }
  }
  const client = new pg.Client({ connectionString: regionUrl });
  await client.connect();
  try {
    await client.query(`CREATE TABLE bench_raw (${rawColumns})`);
    const started = performance.now();
    await pipeline(
      createReadStream(csv, { highWaterMark: 1024 * 1024 }),
      client.query(copyFrom('COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)')),
    );
    const elapsed = performance.now() - started;
    await client.query('DROP TABLE bench_raw');
    return elapsed;
  } finally {
    await client.end();
  }
}

async function benchEngine(engine: EngineName, csv: string): Promise<Record<string, string>> {
  const env = await createTestEnv(engine, {
    KITH_REGIONS: 'eu',
    KITH_IMPORT_MAX_ROWS: String(total),
    KITH_IMPORT_MAX_BYTES: String(4 * 1024 * 1024 * 1024),
  });
  try {
    const services = createServices(env.config, env.stores);
    const user = await services.identity.createUser(operatorCaller(), {
      email: 'bench@example.org',
      name: 'Bench Importer',
      password: 'correct horse battery staple',
    });
    const space = await services.spaces.create(
      operatorCaller(),
      { name: 'Bench', country: 'FR' },
      { userId: user.id },
    );
    const region = storeLocation(env.config, 'region_eu');
    const copyMs = await rawCopy(
      engine,
      csv,
      region.engine === 'postgres' ? region.adminUrl : undefined,
    );
    global.gc?.();
    const idleMiB = process.memoryUsage().rss / 1024 / 1024;
    const caller = {
      actor: { type: 'user' as const, id: user.id, name: user.name },
      source: 'cli' as const,
    };
    let lastShown = 0;
    const serverUrl = region.engine === 'postgres' ? region.adminUrl : undefined;
    const serverBefore = serverUrl ? await backendCpu(serverUrl) : undefined;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const { value: view, peakMiB } = await withPeakRss(async () => {
      const upload = await saveUpload(
        createReadStream(csv, { highWaterMark: 1024 * 1024 }),
        await uploadDirectory(env.config.dataDir),
        'bench.csv',
        env.config.imports.maxUploadBytes,
      );
      const { id, done } = await services.imports.start(caller, space.id, upload, {}, (p) => {
        if (performance.now() - lastShown > 5000) {
          lastShown = performance.now();
          console.error(`  ${engine}: ${p.progress.phase} ${p.progress.done}/${p.progress.total}`);
        }
      });
      await done;
      return services.imports.get(caller, space.id, id);
    });
    const importMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpu =
      serverUrl && serverBefore ? cpuBetween(serverBefore, await backendCpu(serverUrl)) : undefined;
    if (view.status !== 'committed' || view.counts.created !== total) {
      throw new Error(
        `import ended ${view.status}: ${JSON.stringify(view.counts)} ${view.error?.message}`,
      );
    }
    const copyRate = total / (copyMs / 1000);
    const importRate = total / (importMs / 1000);
    return {
      engine,
      rows: String(total),
      'raw COPY rows/s': copyRate.toFixed(0),
      'import rows/s (committed, with history)': importRate.toFixed(0),
      'ratio import/COPY (goal ≥ 0.5)': (importRate / copyRate).toFixed(3),
      'import seconds': (importMs / 1000).toFixed(1),
      // CPU time is steadier than wall time on a shared machine: A/B comparisons read these.
      'import CPU s, this process (PGlite included)': ((cpu.user + cpu.system) / 1e6).toFixed(1),
      'import CPU s, PostgreSQL backends': serverCpu === undefined ? '-' : serverCpu.toFixed(1),
      'idle RSS before the import, MiB': idleMiB.toFixed(0),
      'peak RSS during the import, MiB': peakMiB.toFixed(0),
      'peak RSS above idle, MiB': (peakMiB - idleMiB).toFixed(0),
    };
  } finally {
    await env.close();
  }
}

const directory = await mkdtemp(join(tmpdir(), 'kith-bench-imports-'));
const csv = join(directory, 'contacts.csv');
let cluster: PostgresCluster | undefined;
const results: Record<string, string>[] = [];
try {
  await writeCsv(csv);
  if (process.env.BENCH_ENGINES !== 'postgres') {
    results.push(await benchEngine('pglite', csv));
  }
  if (process.env.BENCH_ENGINES !== 'pglite') {
    if (!process.env.KITH_TEST_DATABASE_URL) {
      cluster = await startPostgresCluster();
      if (cluster) {
        process.env.KITH_TEST_DATABASE_URL = cluster.adminUrl;
      }
    }
    if (process.env.KITH_TEST_DATABASE_URL) {
      results.push(await benchEngine('postgres', csv));
    } else {
      console.warn('PostgreSQL not available: its column is skipped');
    }
  }
} finally {
  cluster?.stop();
  await rm(directory, { recursive: true, force: true });
}
console.table(
  Object.fromEntries(
    Object.keys(results[0] ?? {}).map((key) => [
      key,
      Object.fromEntries(results.map((r) => [r.engine, r[key]])),
    ]),
  ),
);
