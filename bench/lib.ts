import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `url` until it answers 200; returns the milliseconds it took from `since`. */
export async function waitHealthy(
  url: string,
  since: number,
  timeoutMs = 120_000,
): Promise<number> {
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) {
        return performance.now() - since;
      }
    } catch {
      // not listening yet
    }
    if (performance.now() - since > timeoutMs) {
      throw new Error(`${url} not healthy after ${timeoutMs} ms`);
    }
    await sleep(25);
  }
}

/** Resident set size of a process and all its descendants, in MiB (Linux /proc). */
export function treeRssMiB(pid: number): number {
  let total = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
      for (const task of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8')
        .trim()
        .split(/\s+/)) {
        if (task) {
          visit(Number(task));
        }
      }
    } catch {
      // process gone
    }
  };
  visit(pid);
  return total;
}

export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdin.end(input ?? '');
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${command} ${args.join(' ')}: exit ${code}: ${err}`)),
    );
  });
}

/**
 * Stops a child started `detached` and resolves once its whole process group is
 * gone: `npm start` exits before the server it started has closed its stores,
 * and the next step must not find them still locked.
 */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.pid) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
    await exited;
  }
  const group = child.pid;
  for (let waited = 0; group && waited < 30_000; waited += 50) {
    try {
      process.kill(-group, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function ratio(value: number, baseline: number): string {
  return baseline === 0 ? 'n/a' : (value / baseline).toFixed(2);
}

/**
 * Runs `benchEngine` on each engine of `BENCH_ENGINES` (default `pglite,postgres`),
 * PostgreSQL on `KITH_TEST_DATABASE_URL` or a throwaway cluster started here, and
 * prints one table with a column per engine.
 */
export async function benchOnEngines(
  benchEngine: (engine: 'pglite' | 'postgres') => Promise<Record<string, string>>,
): Promise<void> {
  const { startPostgresCluster } = await import('../test/harness/postgres-cluster.ts');
  const engines = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',');
  let cluster: Awaited<ReturnType<typeof startPostgresCluster>> | undefined;
  const rows: Record<string, string>[] = [];
  try {
    if (engines.includes('pglite')) {
      rows.push(await benchEngine('pglite'));
    }
    if (engines.includes('postgres')) {
      if (!process.env.KITH_TEST_DATABASE_URL) {
        cluster = await startPostgresCluster();
        if (cluster) {
          process.env.KITH_TEST_DATABASE_URL = cluster.adminUrl;
        }
      }
      if (process.env.KITH_TEST_DATABASE_URL) {
        rows.push(await benchEngine('postgres'));
      } else {
        console.warn('PostgreSQL not available: its column is skipped');
      }
    }
  } finally {
    cluster?.stop();
  }
  console.table(
    Object.fromEntries(
      Object.keys(rows[0] ?? {}).map((key) => [
        key,
        Object.fromEntries(rows.map((r) => [r.engine, r[key]])),
      ]),
    ),
  );
}

/**
 * The flags `npm start` gives Node (package.json's start script, which bin/kith.js
 * repeats): the benchmarks run Node as Kith runs it.
 */
export const kithNodeFlags: readonly string[] = (() => {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (manifest.scripts.start ?? '').split(/\s+/);
  return words.slice(1, words.indexOf('--import')).filter((word) => word.startsWith('--'));
})();
