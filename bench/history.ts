/**
 * Issue #3's history figures, on PGlite and on PostgreSQL (a throwaway cluster,
 * or KITH_TEST_DATABASE_URL), side by side:
 *   1. appending N entries in batches of 10,000 (the import path), entries/s;
 *   2. verifying the N entries (< 20 s for 1M), beside node:crypto's raw SHA-256
 *      over exactly the bytes the verifier hashes, in the same run, and the CPU
 *      time this process spent verifying (on PGlite that is all the work, so it
 *      is the figure to compare on a busy machine; PostgreSQL's is in the server);
 *   3. one contact's history among the N entries (p95 < 20 ms);
 *   4. a Space page filtered by actor (p95 < 50 ms).
 * Queries go through the service's path without HTTP: repository + presenter.
 * Run: `npm run bench -- history` (`--rows N` or BENCH_HISTORY_ENTRIES, default
 * 1,000,000; BENCH_ENGINES=pglite to skip PostgreSQL).
 */

import { createHash, randomUUID } from 'node:crypto';
import {
  readEntriesNewestFirst,
  readVerificationPage,
} from '../src/modules/history/history.repository.ts';
import { canonicalJson, encodeEntry } from '../src/modules/history/history-format.ts';
import { toHistoryEntryView } from '../src/modules/history/history-presenter.ts';
import { toVerifiable, verifyHistory } from '../src/modules/history/history-verifier.ts';
import {
  appendHistoryEntries,
  type HistoryEntryInput,
} from '../src/modules/history/history-writer.ts';
import type { Database } from '../src/stores/database.ts';
import { createTestEnv, type EngineName } from '../test/harness/test-env.ts';
import { benchOnEngines } from './lib.ts';

const rowsArg = process.argv.indexOf('--rows');
const total = Number(
  (rowsArg >= 0 ? process.argv[rowsArg + 1] : undefined) ??
    process.env.BENCH_HISTORY_ENTRIES ??
    1_000_000,
);
const batchSize = 10_000;
const contacts = Math.max(1, Math.floor(total / 10));
const actors = Array.from({ length: 50 }, (_, i) => ({
  type: 'user' as const,
  id: randomUUID(),
  name: `Member ${i}`,
  role: i === 0 ? 'superadmin' : 'admin',
}));
const contactIds = Array.from({ length: contacts }, () => randomUUID());

function entryAt(i: number): HistoryEntryInput {
  const contact = contactIds[i % contacts] as string;
  return {
    actor: actors[i % actors.length] as HistoryEntryInput['actor'],
    action: 'contact.update',
    target: { type: 'contact', id: contact },
    changes: [{ field: 'email', from: `before.${i}@example.org`, to: `after.${i}@example.org` }],
    source: 'api',
    device: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    ip: '203.0.113.42',
    at: new Date(Date.UTC(2026, 0, 1) + i * 1000),
  };
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function timeQueries(
  count: number,
  run: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 20; i += 1) {
    await run(i);
  }
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const t0 = performance.now();
    await run(i);
    samples.push(performance.now() - t0);
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

/** node:crypto's raw SHA-256 over exactly the inputs the verifier hashes (entry and value digests). */
async function rawSha256(db: Database, spaceId: string): Promise<{ ms: number; bytes: number }> {
  let ms = 0;
  let bytes = 0;
  for (let after = 0; after < total; after += batchSize) {
    const page = await readVerificationPage(db, spaceId, after, Math.min(after + batchSize, total));
    const inputs: Buffer[] = [];
    for (const row of page.entries) {
      const encoded = encodeEntry({ spaceId, ...toVerifiable(row) });
      inputs.push(Buffer.concat([Buffer.from(row[12], 'hex'), Buffer.from(encoded)]));
    }
    for (const value of page.values) {
      inputs.push(
        Buffer.concat([Buffer.from(value[3], 'hex'), Buffer.from(canonicalJson(value[4]))]),
      );
    }
    const t0 = performance.now();
    for (const input of inputs) {
      createHash('sha256').update(input).digest();
    }
    ms += performance.now() - t0;
    bytes += inputs.reduce((sum, b) => sum + b.length, 0);
  }
  return { ms, bytes };
}

async function benchEngine(engine: EngineName): Promise<Record<string, string>> {
  const env = await createTestEnv(engine);
  try {
    const db = await env.stores.region('eu');
    const spaceId = randomUUID();
    await db.query(`INSERT INTO spaces (space_id, region, country) VALUES ($1, 'eu', 'FR')`, [
      spaceId,
    ]);
    let t0 = performance.now();
    for (let done = 0; done < total; done += batchSize) {
      const batch = Array.from({ length: Math.min(batchSize, total - done) }, (_, j) =>
        entryAt(done + j),
      );
      await db.transaction((tx) => appendHistoryEntries(tx, spaceId, batch));
    }
    const appendMs = performance.now() - t0;
    await (await env.owner('region_eu')).exec('VACUUM ANALYZE');

    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const result = await verifyHistory(db, spaceId, { checkpoints: [], publicKeys: new Map() });
    const verifyMs = performance.now() - t0;
    const verifyCpu = process.cpuUsage(cpu0);
    if (!result.ok || result.count !== total) {
      throw new Error(`verify failed: ${JSON.stringify(result)}`);
    }
    const raw = await rawSha256(db, spaceId);

    const contact = await timeQueries(300, async (i) => {
      const rows = await readEntriesNewestFirst(
        db,
        spaceId,
        { contactId: contactIds[(i * 7919) % contacts] },
        51,
      );
      return rows.slice(0, 50).map(toHistoryEntryView);
    });
    const actor = await timeQueries(300, async (i) => {
      const deep = i % 2 === 1 ? { beforeSeq: Math.max(2, (i * 104729) % total) } : {};
      const rows = await readEntriesNewestFirst(
        db,
        spaceId,
        { actorId: actors[i % actors.length]!.id, ...deep },
        51,
      );
      return rows.slice(0, 50).map(toHistoryEntryView);
    });
    const verifyRate = total / (verifyMs / 1000);
    const rawRate = total / (raw.ms / 1000);
    return {
      engine,
      entries: total.toLocaleString('en'),
      'append (entries/s)': Math.round(total / (appendMs / 1000)).toLocaleString('en'),
      'verify (s)': (verifyMs / 1000).toFixed(1),
      'verify CPU of this process (s)': ((verifyCpu.user + verifyCpu.system) / 1e6).toFixed(1),
      'verify (entries/s)': Math.round(verifyRate).toLocaleString('en'),
      'raw SHA-256 same bytes (entries/s)': `${Math.round(rawRate).toLocaleString('en')} (${(raw.bytes / raw.ms / 1000).toFixed(0)} MB/s)`,
      'verify / raw SHA-256': (verifyRate / rawRate).toFixed(2),
      'contact history p50/p95 (ms)': `${contact.p50.toFixed(1)} / ${contact.p95.toFixed(1)}`,
      'actor page p50/p95 (ms)': `${actor.p50.toFixed(1)} / ${actor.p95.toFixed(1)}`,
      targets: [
        total < 1_000_000 || verifyMs < 20_000 ? 'verify ✓' : 'verify ✗',
        contact.p95 < 20 ? 'contact ✓' : 'contact ✗',
        actor.p95 < 50 ? 'actor ✓' : 'actor ✗',
      ].join(' '),
    };
  } finally {
    await env.close();
  }
}

await benchOnEngines(benchEngine);
