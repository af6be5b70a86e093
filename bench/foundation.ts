/**
 * Issue #2's figures, on the embedded default (PGlite):
 *   1. fresh `npm start` to a healthy /api/health, and a restart on existing data;
 *   2. idle RSS of the server with the platform and one region store open;
 *   3. authenticated GET /api/v1/spaces under 50 connections, beside a bare
 *      fastify route answering the same JSON, in the same run.
 * Run: `npm run bench -- foundation` (BENCH_DURATION=seconds, default 10).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, ratio, repoRoot, run, sleep, stop, treeRssMiB, waitHealthy } from './lib.ts';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const dataDir = await mkdtemp(join(tmpdir(), 'kith-bench-'));
const port = await freePort();
const env = { ...process.env, KITH_DATA: dataDir, PORT: String(port), KITH_LOG_LEVEL: 'warn' };
const base = `http://127.0.0.1:${port}`;

function startServer() {
  return spawn('npm', ['start', '--silent'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
}

const results: Record<string, number | string> = {};
try {
  let t0 = performance.now();
  let server = startServer();
  results.freshStartMs = Math.round(await waitHealthy(`${base}/api/health`, t0));
  await stop(server);

  const cli = ['--import', 'tsx', 'src/cli.ts'];
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

  const load = (url: string, withHeaders: Record<string, string>) =>
    autocannon({ url, connections: 50, duration, headers: withHeaders });
  await load(`${base}/api/v1/spaces`, headers); // warm-up is the first run's JIT; measured below
  const kith = await load(`${base}/api/v1/spaces`, headers);

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
  await load(`http://127.0.0.1:${barePort}/api/v1/spaces`, {});
  const baseline = await load(`http://127.0.0.1:${barePort}/api/v1/spaces`, {});
  await stop(bare);
  await stop(server);

  results.spacesReqPerSec = Math.round(kith.requests.average);
  results.spacesP99Ms = kith.latency.p99;
  results.spacesErrors = kith.errors + kith.non2xx;
  results.bareReqPerSec = Math.round(baseline.requests.average);
  results.bareP99Ms = baseline.latency.p99;
  results.ratioToBare = ratio(kith.requests.average, baseline.requests.average);

  console.log('Kith foundation benchmark (embedded PGlite)');
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
  console.log(JSON.stringify(results));
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
