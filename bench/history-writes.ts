/**
 * Issue #3's write figures, on PGlite and on PostgreSQL, through the HTTP app
 * in-process (fastify inject: no sockets, the whole request path otherwise):
 *   1. a single-contact PATCH with its history entry vs. the same PATCH with
 *      contact history switched off (a benchmark-only switch of createServices),
 *      same stores, same run: overhead (goal ≤ 30 %). The machine is shared and
 *      noisy, so the two variants run in short alternating blocks (BENCH_BLOCK
 *      PATCHes each, default 20; the order flips every pair so neither always
 *      runs second) until each has made BENCH_PATCHES (default 2000); the
 *      overhead is the median of the paired blocks' ratios, and each variant's
 *      figure the median of its blocks. On PGlite, which works in this
 *      process, the overhead in CPU time is printed too: it does not see the
 *      machine's other load;
 *   2. 8 concurrent editors on one Space for BENCH_EDIT_SECONDS (default 30):
 *      edits/s, then every acknowledged edit has exactly one entry and the chain
 *      verifies.
 * Run: `npm run bench -- history-writes` (BENCH_ENGINES=pglite to skip PostgreSQL).
 */
import { randomUUID } from 'node:crypto';
import { buildApp } from '../src/app.ts';
import { operatorCaller } from '../src/context.ts';
import { verifyHistory } from '../src/modules/history/history-verifier.ts';
import { MemoryMailer } from '../src/modules/mail/mailer.ts';
import { createServices } from '../src/services.ts';
import { type PostgresCluster, startPostgresCluster } from '../test/harness/postgres-cluster.ts';
import { createTestEnv, type EngineName, type TestEnv } from '../test/harness/test-env.ts';

const patches = Number(process.env.BENCH_PATCHES ?? 2000);
const blockSize = Number(process.env.BENCH_BLOCK ?? 20);
const blocks = Math.max(2, Math.ceil(patches / blockSize));
const editSeconds = Number(process.env.BENCH_EDIT_SECONDS ?? 30);
const editors = 8;

async function appOn(env: TestEnv, withHistory: boolean) {
  const services = createServices(env.config, env.stores, {
    mailer: new MemoryMailer(),
    ...(withHistory ? {} : { benchmarkWithoutContactHistory: true as const }),
  });
  const app = await buildApp({ config: env.config, services, healthCheck: async () => {} });
  return { app, services };
}

async function login(services: ReturnType<typeof createServices>, name: string) {
  const email = `${name.toLowerCase()}.${randomUUID().slice(0, 8)}@example.org`;
  const password = 'correct horse battery staple';
  const user = await services.identity.createUser(operatorCaller(), { email, name, password });
  const session = await services.identity.login(
    { email, password },
    { device: 'bench', ip: '127.0.0.1' },
  );
  return { id: user.id, email, token: session.token };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The value at quantile q (0..1) of `values`, nearest rank. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

type App = Awaited<ReturnType<typeof appOn>>['app'];

/**
 * PATCHes of one contact in alternating blocks through `withHistory` and
 * `without` (the same contact, every PATCH a change: city and tags): per pair
 * of blocks the ratio of their mean ms per PATCH.
 */
async function pairedPatchBlocks(
  withHistory: App,
  without: App,
  token: string,
  url: string,
): Promise<{ on: number[]; off: number[]; ratios: number[]; cpuRatios: number[] }> {
  let n = 0;
  let cpu = 0;
  const block = async (app: App, count: number): Promise<number> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < count; i += 1) {
      n += 1;
      const response = await app.inject({
        method: 'PATCH',
        url,
        headers: { authorization: `Bearer ${token}` },
        payload: { city: `City ${n}`, tags: [`t${n % 7}`] },
      });
      if (response.statusCode !== 200) {
        throw new Error(`PATCH answered ${response.statusCode}: ${response.body}`);
      }
    }
    const ms = (performance.now() - t0) / count;
    const used = process.cpuUsage(c0);
    cpu = (used.user + used.system) / 1000 / count;
    return ms;
  };
  // Warm-up: both paths compiled, prepared and cached before anything counts.
  await block(without, 100);
  await block(withHistory, 100);
  const on: number[] = [];
  const off: number[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let b = 0; b < blocks; b += 1) {
    let msOn: number;
    let msOff: number;
    let cpuOn: number;
    let cpuOff: number;
    if (b % 2 === 0) {
      msOff = await block(without, blockSize);
      cpuOff = cpu;
      msOn = await block(withHistory, blockSize);
      cpuOn = cpu;
    } else {
      msOn = await block(withHistory, blockSize);
      cpuOn = cpu;
      msOff = await block(without, blockSize);
      cpuOff = cpu;
    }
    on.push(msOn);
    off.push(msOff);
    ratios.push(msOn / msOff);
    cpuRatios.push(cpuOn / cpuOff);
  }
  return { on, off, ratios, cpuRatios };
}

async function benchEngine(engine: EngineName): Promise<Record<string, string>> {
  const env = await createTestEnv(engine);
  try {
    const on = await appOn(env, true);
    const off = await appOn(env, false);
    const owner = await login(on.services, 'Owner');
    const created = await on.app.inject({
      method: 'POST',
      url: '/api/v1/spaces',
      headers: { authorization: `Bearer ${owner.token}` },
      payload: { name: 'Bench', country: 'FR' },
    });
    const spaceId = (created.json() as { id: string }).id;
    const newContact = async (i: number) => {
      const response = await on.app.inject({
        method: 'POST',
        url: `/api/v1/spaces/${spaceId}/contacts`,
        headers: { authorization: `Bearer ${owner.token}` },
        payload: { firstName: `First ${i}`, lastName: `Last ${i}`, email: `c${i}@example.org` },
      });
      return (response.json() as { id: string }).id;
    };
    const single = await newContact(0);
    const url = `/api/v1/spaces/${spaceId}/contacts/${single}`;
    const paired = await pairedPatchBlocks(on.app, off.app, owner.token, url);
    const msOn = median(paired.on);
    const msOff = median(paired.off);
    const overhead = median(paired.ratios) - 1;
    const percent = (ratio: number) => `${((ratio - 1) * 100).toFixed(0)}`;
    const spread = `${percent(quantile(paired.ratios, 0.25))}…${percent(quantile(paired.ratios, 0.75))} %`;
    // PGlite does all its work in this process: its CPU time is blind to the
    // other processes of a shared machine (PostgreSQL's server work is not in it).
    const cpuOverhead =
      engine === 'pglite'
        ? `${percent(median(paired.cpuRatios))} % (this process's CPU time, median of pairs)`
        : undefined;

    // 8 editors, each a member of the Space, editing 100 shared contacts at random.
    const contacts = await Promise.all(Array.from({ length: 100 }, (_, i) => newContact(i + 1)));
    const team = [];
    for (let i = 0; i < editors; i += 1) {
      const editor = await login(on.services, `Editor${i}`);
      await on.app.inject({
        method: 'POST',
        url: `/api/v1/spaces/${spaceId}/members`,
        headers: { authorization: `Bearer ${owner.token}` },
        payload: { email: editor.email, role: 'organizer' },
      });
      team.push(editor);
    }
    const db = await env.stores.region('eu');
    const countUpdates = async () =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM history_entries WHERE space_id = $1 AND action = 'contact.update'`,
          [spaceId],
        )
      ).rows[0]?.n ?? 0;
    const updatesBefore = await countUpdates();
    let acknowledged = 0;
    let refused = 0;
    const until = performance.now() + editSeconds * 1000;
    await Promise.all(
      team.map(async (editor, e) => {
        let i = 0;
        while (performance.now() < until) {
          i += 1;
          const contact = contacts[(i * 31 + e * 17) % contacts.length];
          const response = await on.app.inject({
            method: 'PATCH',
            url: `/api/v1/spaces/${spaceId}/contacts/${contact}`,
            headers: { authorization: `Bearer ${editor.token}` },
            payload: { city: `Editor ${e} edit ${i}` },
          });
          if (response.statusCode === 200) {
            acknowledged += 1;
          } else {
            refused += 1;
          }
        }
      }),
    );
    const entries = (await countUpdates()) - updatesBefore;
    const verified = await verifyHistory(db, spaceId, { checkpoints: [], publicKeys: new Map() });
    await on.app.close();
    await off.app.close();
    return {
      engine,
      'PATCH with history (ms, median block)': msOn.toFixed(2),
      'PATCH without history (ms, median block)': msOff.toFixed(2),
      'history overhead (median of pairs)': `${(overhead * 100).toFixed(1)} % ${overhead <= 0.3 ? '✓' : '✗'} (goal ≤ 30 %)`,
      'overhead, middle half of pairs': spread,
      ...(cpuOverhead ? { 'overhead in CPU time': cpuOverhead } : {}),
      [`${editors} editors, ${editSeconds} s (edits/s)`]: (acknowledged / editSeconds).toFixed(0),
      'acknowledged / entries / refused': `${acknowledged} / ${entries} / ${refused} ${acknowledged === entries ? '✓' : '✗'}`,
      'chain verifies': `${verified.ok ? '✓' : '✗'} (${verified.count} entries)`,
    };
  } finally {
    await env.close();
  }
}

const engines = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',') as EngineName[];
let cluster: PostgresCluster | undefined;
try {
  const rows: Record<string, string>[] = [];
  for (const engine of engines) {
    if (engine === 'postgres' && !process.env.KITH_TEST_DATABASE_URL) {
      cluster = await startPostgresCluster();
      if (!cluster) {
        console.log('PostgreSQL: no server binaries; skipped');
        continue;
      }
      process.env.KITH_TEST_DATABASE_URL = cluster.adminUrl;
    }
    rows.push(await benchEngine(engine));
  }
  console.log(
    `history writes: ${blocks * blockSize} sequential PATCHes per variant in ${blocks} alternating blocks of ${blockSize} (medians), ${editors} editors for ${editSeconds} s`,
  );
  for (const row of rows) {
    console.log('');
    for (const [key, value] of Object.entries(row)) {
      console.log(`  ${key.padEnd(42)} ${value}`);
    }
  }
} finally {
  cluster?.stop();
}
