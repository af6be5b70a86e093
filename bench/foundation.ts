/**
 * Issue #2's figures, on the embedded default (PGlite) and on PostgreSQL:
 *   1. fresh `npm start` to a healthy /api/health, and a restart on existing data
 *      (PostgreSQL: after `kith init` has provisioned the stores);
 *   2. idle RSS of the server with the platform and one region store open;
 *   3. authenticated GET /api/v1/spaces under 50 connections, beside a bare
 *      fastify route answering the same JSON, in the same run.
 * Run: `npm run bench -- foundation` (BENCH_DURATION=seconds, default 10;
 * BENCH_ENGINES=pglite or =postgres to run one engine; PostgreSQL is
 * KITH_TEST_DATABASE_URL or a throwaway cluster).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  benchOnEngines,
  freePort,
  ratio,
  repoRoot,
  run,
  sleep,
  stop,
  treeRssMiB,
  waitHealthy,
} from './lib.ts';

const duration = Number(process.env.BENCH_DURATION ?? 10);

async function benchEngine(engine: 'pglite' | 'postgres'): Promise<Record<string, string>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kith-bench-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KITH_DATA: dataDir,
    PORT: String(port),
    KITH_LOG_LEVEL: 'warn',
  };
  if (engine === 'postgres') {
    env.KITH_DATABASE_URL = process.env.KITH_TEST_DATABASE_URL;
    env.KITH_DATABASE_PREFIX = `kbench_${randomBytes(4).toString('hex')}`;
  }
  try {
    return await measure(engine, env, `http://127.0.0.1:${port}`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function measure(
  engine: 'pglite' | 'postgres',
  env: NodeJS.ProcessEnv,
  base: string,
): Promise<Record<string, string>> {
  const startServer = () =>
    spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
    });
  const cli = ['--import', 'tsx', 'src/cli.ts'];
  const results: Record<string, number | string> = {};
  if (engine === 'postgres') {
    await run(process.execPath, [...cli, 'init'], env);
  }
  let t0 = performance.now();
  let server = startServer();
  results.freshStartMs = Math.round(await waitHealthy(`${base}/api/health`, t0));
  await stop(server);

  await run(
    process.execPath,
    [
      ...cli,
      'users',
      'create',
      '--email',
      'bench@example.org',
      '--name',
      'Bench',
      '--password-stdin',
    ],
    env,
    'bench password 1234\n',
  );
  await run(
    process.execPath,
    [
      ...cli,
      'spaces',
      'create',
      '--name',
      'Bench Space',
      '--country',
      'FR',
      '--owner',
      'bench@example.org',
    ],
    env,
  );

  t0 = performance.now();
  server = startServer();
  results.restartMs = Math.round(await waitHealthy(`${base}/api/health`, t0));

  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.org', password: 'bench password 1234' }),
  });
  const { token } = (await login.json()) as { token: string };
  // A second Space through the API opens the region store in the server.
  const created = await fetch(`${base}/api/v1/spaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: 'Second Space', country: 'DE' }),
  });
  if (created.status !== 201) {
    throw new Error(`space creation: ${created.status} ${await created.text()}`);
  }
  await sleep(5000);
  results.idleRssMiB = Math.round(treeRssMiB(server.pid ?? 0));

  const headers = { authorization: `Bearer ${token}` };
  const sample = await fetch(`${base}/api/v1/spaces`, { headers });
  const body = await sample.text();

  const barePort = await freePort();
  const bare = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/bare-server.ts', String(barePort)],
    {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true,
    },
  );
  bare.stdin.end(body);
  await new Promise((resolve) => bare.stdout.once('data', resolve));

  // Kith and the bare route take turns (rounds of duration/2 each, after a
  // warm-up of each): on a shared machine, a load that comes and goes then
  // weighs on both sides of the ratio alike.
  const load = (url: string, withHeaders: Record<string, string>, seconds: number) =>
    autocannon({ url, connections: 50, duration: seconds, headers: withHeaders });
  const kithUrl = `${base}/api/v1/spaces`;
  const bareUrl = `http://127.0.0.1:${barePort}/api/v1/spaces`;
  // Warm-up: the first run's JIT, and time for the scheduler's first-start jobs
  // (a backup of every Space), which block the event loop while PGlite runs them.
  await load(kithUrl, headers, duration);
  await load(bareUrl, {}, duration / 2);
  const kith: autocannon.Result[] = [];
  const baseline: autocannon.Result[] = [];
  for (let round = 0; round < 2; round += 1) {
    kith.push(await load(kithUrl, headers, duration / 2));
    baseline.push(await load(bareUrl, {}, duration / 2));
  }
  await stop(bare);
  await stop(server);

  const perSecond = (rounds: autocannon.Result[]) =>
    rounds.reduce((sum, r) => sum + r.requests.total, 0) / (rounds.length * (duration / 2));
  // The worse round's p99: no round may break the goal.
  const p99 = (rounds: autocannon.Result[]) => Math.max(...rounds.map((r) => r.latency.p99));
  results.spacesReqPerSec = Math.round(perSecond(kith));
  results.spacesP99Ms = p99(kith);
  results.spacesErrors = kith.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
  results.bareReqPerSec = Math.round(perSecond(baseline));
  results.bareP99Ms = p99(baseline);
  results.ratioToBare = ratio(perSecond(kith), perSecond(baseline));

  console.log(
    `Kith foundation benchmark (${engine === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'})`,
  );
  console.log(`  fresh npm start → healthy     ${results.freshStartMs} ms`);
  console.log(`  restart on existing data     ${results.restartMs} ms`);
  console.log(`  idle RSS (platform + eu)     ${results.idleRssMiB} MiB`);
  console.log(
    `  GET /spaces, 50 connections  ${results.spacesReqPerSec} req/s, p99 ${results.spacesP99Ms} ms, ${results.spacesErrors} errors`,
  );
  console.log(
    `  bare fastify, same JSON      ${results.bareReqPerSec} req/s, p99 ${results.bareP99Ms} ms`,
  );
  console.log(
    `  ratio to bare route          ${results.ratioToBare} (goal ≥ 0.40; p99 goal < 50 ms)`,
  );
  console.log(JSON.stringify({ engine, ...results }));
  return Object.fromEntries([
    ['engine', engine],
    ...Object.entries(results).map(([k, v]) => [k, String(v)]),
  ]);
}

await benchOnEngines(benchEngine);
