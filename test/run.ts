/**
 * `npm test`: runs every suite on PGlite and on a real PostgreSQL server.
 * PostgreSQL comes from KITH_TEST_DATABASE_URL, or a throwaway cluster started
 * here when the server binaries exist. In CI (CI=true) a run without PostgreSQL
 * fails; locally its half is skipped with a notice. Arguments filter test files.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PostgresCluster, startPostgresCluster } from './harness/postgres-cluster.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      found.push(...findTests(path));
    } else if (entry.endsWith('.test.ts')) {
      found.push(relative(root, path));
    }
  }
  return found;
}

const filters = process.argv.slice(2);
const files = [...findTests(join(root, 'src')), ...findTests(join(root, 'test'))]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

let cluster: PostgresCluster | undefined;
let databaseUrl = process.env.KITH_TEST_DATABASE_URL;
if (!databaseUrl && process.env.KITH_TEST_ENGINES !== 'pglite') {
  try {
    cluster = await startPostgresCluster();
    databaseUrl = cluster?.adminUrl;
  } catch (error) {
    console.error(`PostgreSQL: could not start a throwaway cluster: ${String(error)}`);
  }
}
if (databaseUrl) {
  console.log(
    `PostgreSQL: ${cluster ? 'throwaway cluster' : 'KITH_TEST_DATABASE_URL'}; every store suite runs on PGlite and PostgreSQL`,
  );
} else if (process.env.CI) {
  console.error(
    'PostgreSQL: not available, and CI requires it (install postgresql or set KITH_TEST_DATABASE_URL)',
  );
  process.exit(1);
} else {
  console.warn(
    'NOTICE: PostgreSQL not available: the PostgreSQL half of every store suite is SKIPPED (install postgresql or set KITH_TEST_DATABASE_URL)',
  );
}

const stop = () => {
  cluster?.stop();
  cluster = undefined;
};
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=600000',
    '--test-reporter=spec',
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...(databaseUrl ? { KITH_TEST_DATABASE_URL: databaseUrl } : {}) },
  },
);
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
stop();
process.exit(code);
