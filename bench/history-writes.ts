/**
 * Issue #3's write figures, on PGlite and on PostgreSQL, through the HTTP app
 * in-process (fastify inject: no sockets, the whole request path otherwise):
 *   1. a single-contact PATCH with its history entry vs. the same PATCH with
 *      contact history switched off (a benchmark-only switch of createServices),
 *      same stores, same run: overhead (goal ≤ 30 %);
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

/** Mean ms per PATCH over `patches` PATCHes of one contact, after a warm-up. */
async function patchLoop(
  app: Awaited<ReturnType<typeof appOn>>['app'],
  token: string,
  url: string,
): Promise<number> {
  const patch = (i: number) =>
    app.inject({
      method: 'PATCH',
      url,
      headers: { authorization: `Bearer ${token}` },
      payload: { city: `City ${i}`, tags: [`t${i % 7}`] },
    });
  for (let i = 0; i < 100; i += 1) {
    await patch(i);
  }
  const t0 = performance.now();
  for (let i = 0; i < patches; i += 1) {
    const response = await patch(i + 100);
    if (response.statusCode !== 200) {
      throw new Error(`PATCH answered ${response.statusCode}: ${response.body}`);
    }
  }
  return (performance.now() - t0) / patches;
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
    // Alternate the two twice, so neither gains from running second.
    const withHistory: number[] = [];
    const without: number[] = [];
    for (let round = 0; round < 2; round += 1) {
      without.push(await patchLoop(off.app, owner.token, url));
      withHistory.push(await patchLoop(on.app, owner.token, url));
    }
    const msOn = Math.min(...withHistory);
    const msOff = Math.min(...without);
    const overhead = msOn / msOff - 1;

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
      'PATCH with history (ms)': msOn.toFixed(2),
      'PATCH without history (ms)': msOff.toFixed(2),
      'history overhead': `${(overhead * 100).toFixed(1)} % ${overhead <= 0.3 ? '✓' : '✗'} (goal ≤ 30 %)`,
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
    `history writes: ${patches} sequential PATCHes per variant (best of 2), ${editors} editors for ${editSeconds} s`,
  );
  for (const row of rows) {
    console.log('');
    for (const [key, value] of Object.entries(row)) {
      console.log(`  ${key.padEnd(40)} ${value}`);
    }
  }
} finally {
  cluster?.stop();
}
