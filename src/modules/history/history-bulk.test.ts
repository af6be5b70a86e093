import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import type { Database } from '../../stores/database.ts';
import { appendHistoryBulk, HistoryBulkAppender } from './history-bulk.ts';
import { canonicalJson, encodeEntry, entryHashHex, valueDigestHex } from './history-format.ts';
import { contactUpdate, createRegionSpace, testActor } from './history-test-support.ts';
import { verifyHistory } from './history-verifier.ts';
import { appendHistoryEntries, type HistoryEntryInput } from './history-writer.ts';

const noCheckpoints = { checkpoints: [], publicKeys: new Map() };

/** Entries whose values stress the COPY text encoding: tabs, newlines, backslashes, quotes, Unicode. */
function awkwardEntries(count: number, importId: string): HistoryEntryInput[] {
  const at = new Date('2026-12-03T04:00:00.250Z');
  return Array.from({ length: count }, (_, i) => {
    const contact = randomUUID();
    return {
      actor: { ...testActor, name: i % 2 ? 'Zoë \\ "Tab"\tName' : testActor.name },
      action: i % 3 === 0 ? 'contact.update' : 'contact.create',
      target: { type: 'contact', id: contact },
      changes: [
        { field: 'firstName', from: null, to: `Line\nbreak ${i} \\N \r é 🙂` },
        { field: 'tags', from: i % 3 === 0 ? ['a'] : null, to: ['x\ty', `t${i}`] },
        { field: 'customFields.score', from: undefined, to: i % 5 === 0 ? null : i / 4 },
        { field: 'customFields.nested', from: { b: 1, a: [true, null] }, to: 'a\\b' },
        { field: 'doNotContact', from: null, to: false },
      ],
      source: 'import',
      device: i % 4 === 0 ? 'agent\u0001with\ncontrols' : null,
      ip: i % 4 === 0 ? '192.0.2.1' : null,
      importId,
      at,
    } satisfies HistoryEntryInput;
  });
}

interface StoredEntry {
  seq: number;
  at: Date;
  actor: unknown;
  action: string;
  target_type: string;
  target_id: string;
  changes: { field: string; fromDigest: string | null; toDigest: string | null }[];
  source: string;
  device: string | null;
  ip: string | null;
  import_id: string | null;
  format_version: number;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

async function storedEntries(db: Database, spaceId: string): Promise<StoredEntry[]> {
  const { rows } = await db.query<StoredEntry>(
    `SELECT seq::int AS seq, at, actor, action, target_type, target_id, changes, source, device, ip, import_id,
            format_version, prev_hash, hash
       FROM history_entries WHERE space_id = $1 ORDER BY seq`,
    [spaceId],
  );
  return rows;
}

async function storedValues(db: Database, spaceId: string) {
  const { rows } = await db.query<{
    seq: number;
    idx: number;
    side: string;
    salt: Uint8Array;
    value: unknown;
    subject_id: string | null;
  }>(
    `SELECT seq::int AS seq, idx, side, salt, value, subject_id FROM history_values
      WHERE space_id = $1 ORDER BY seq, idx, side`,
    [spaceId],
  );
  return rows;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

forEachEngine('history bulk append', (env) => {
  test('a bulk append continues the chain: single, bulk, single appends verify end to end', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const importId = randomUUID();
    await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceId, [
        contactUpdate(randomUUID(), 'city', null, 'Lyon'),
        contactUpdate(randomUUID(), 'city', 'Lyon', 'Paris'),
      ]),
    );
    const appended = await db.transaction((tx) =>
      appendHistoryBulk(tx, spaceId, awkwardEntries(1500, importId)),
    );
    assert.deepEqual(
      appended.map((e) => e.seq),
      Array.from({ length: 1500 }, (_, i) => i + 3),
    );
    const [last] = await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceId, [contactUpdate(randomUUID(), 'city', null, 'Nice')]),
    );
    assert.equal(last?.seq, 1503);

    const entries = await storedEntries(db, spaceId);
    assert.equal(hex(entries[1502]!.prev_hash), hex(entries[1501]!.hash));
    assert.equal(hex(entries[1501]!.hash), appended.at(-1)?.hash);
    const head = await db.query<{ seq: number; hash: Uint8Array }>(
      'SELECT seq::int AS seq, hash FROM history_heads WHERE space_id = $1',
      [spaceId],
    );
    assert.equal(head.rows[0]?.seq, 1503);
    const verification = await verifyHistory(db, spaceId, noCheckpoints);
    assert.equal(verification.ok, true, verification.reason ?? '');
    assert.equal(verification.count, 1503);
  });

  test('COPY input larger than one piece, with multi-byte text across piece boundaries, stores every value intact', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    // ~10 MB of UTF-8 (3- and 4-byte characters, escapes): several 4 MB pieces.
    const big = (i: number) => `${i}:${'é🙂\t\\→'.repeat(2000 + i)}`;
    const entries = Array.from({ length: 250 }, (_, i) =>
      contactUpdate(randomUUID(), 'notes', i % 3 ? null : `old ${i}`, big(i)),
    );
    await db.transaction((tx) => appendHistoryBulk(tx, spaceId, entries));
    const { rows } = await db.query<{ seq: number; value: unknown }>(
      `SELECT seq::int AS seq, value FROM history_values WHERE space_id = $1 AND side = 'to' ORDER BY seq`,
      [spaceId],
    );
    assert.equal(rows.length, 250);
    for (const [i, row] of rows.entries()) {
      assert.equal(row.value, big(i), `value of entry ${i + 1}`);
    }
    const verification = await verifyHistory(db, spaceId, noCheckpoints);
    assert.deepEqual([verification.ok, verification.count], [true, 250]);
  });

  test('bulk entries are exactly what single appends write: same columns, values and canonical hashes', async () => {
    const db = await env().stores.region('eu');
    const single = await createRegionSpace(db);
    const bulk = await createRegionSpace(db);
    const importId = randomUUID();
    const inputs = awkwardEntries(300, importId);
    await db.transaction((tx) => appendHistoryEntries(tx, single, inputs));
    await db.transaction((tx) => appendHistoryBulk(tx, bulk, inputs));

    const a = await storedEntries(db, single);
    const b = await storedEntries(db, bulk);
    assert.equal(b.length, 300);
    const comparable = (e: StoredEntry) => ({
      ...e,
      // Digests differ by their random salts; which sides have one does not.
      changes: e.changes.map((c) => ({
        field: c.field,
        from: c.fromDigest !== null,
        to: c.toDigest !== null,
      })),
      prev_hash: undefined,
      hash: undefined,
    });
    assert.deepEqual(b.map(comparable), a.map(comparable));
    assert.equal(b[1]?.device, null);
    assert.equal(b[0]?.device, 'agentwithcontrols', 'labels cleaned as single appends do');

    const va = await storedValues(db, single);
    const vb = await storedValues(db, bulk);
    const withoutSalt = (v: (typeof va)[number]) => ({ ...v, salt: undefined });
    assert.deepEqual(vb.map(withoutSalt), va.map(withoutSalt));

    // Each bulk entry's hash is the canonical encoding chained from the one before,
    // and each stored value matches its digest: recomputed here, not by the verifier.
    let prev = '0'.repeat(64);
    const valuesBySeq = new Map<number, typeof vb>();
    for (const value of vb) {
      valuesBySeq.set(value.seq, [...(valuesBySeq.get(value.seq) ?? []), value]);
    }
    for (const entry of b) {
      assert.equal(hex(entry.prev_hash), prev);
      const recomputed = entryHashHex(
        prev,
        encodeEntry({
          spaceId: bulk,
          seq: entry.seq,
          at: entry.at.toISOString(),
          actor: entry.actor,
          action: entry.action,
          target: { type: entry.target_type, id: entry.target_id },
          changes: entry.changes,
          source: entry.source,
          device: entry.device,
          ip: entry.ip,
          importId: entry.import_id,
        }),
      );
      assert.equal(hex(entry.hash), recomputed, `entry ${entry.seq}`);
      for (const value of valuesBySeq.get(entry.seq) ?? []) {
        const change = entry.changes[value.idx]!;
        const digest = value.side === 'from' ? change.fromDigest : change.toDigest;
        assert.equal(valueDigestHex(hex(value.salt), canonicalJson(value.value)), digest);
      }
      prev = recomputed;
    }
    const verification = await verifyHistory(db, bulk, noCheckpoints);
    assert.equal(verification.ok, true, verification.reason ?? '');
  });

  test('a bulk append is refused whole for an invalid entry, and rolls back with its transaction', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const entries = awkwardEntries(10, randomUUID());
    await assert.rejects(
      db.transaction((tx) =>
        appendHistoryBulk(tx, spaceId, [
          ...entries,
          { ...entries[0]!, action: 'contact.teleport' as 'contact.create' },
        ]),
      ),
      /unknown history action/,
    );
    await assert.rejects(
      db.transaction(async (tx) => {
        await appendHistoryBulk(tx, spaceId, entries);
        throw new Error('later failure');
      }),
      /later failure/,
    );
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM history_entries WHERE space_id = $1',
      [spaceId],
    );
    assert.equal(rows[0]?.n, 0);
  });

  test('an appender spread over several calls continues one chain and moves the head once, at close', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const importId = randomUUID();
    const [first, second, third] = [0, 1, 2].map(() => awkwardEntries(120, importId));
    const appended = await db.transaction(async (tx) => {
      const appender = await HistoryBulkAppender.open(tx, spaceId);
      const a = await appender.append(first!);
      // The next call starts while this one is still being written: they are taken in turn.
      const [b, c] = await Promise.all([
        appender.append(second!, { yieldEvery: 7 }),
        appender.append(third!, { yieldEvery: 5 }),
      ]);
      const { rows } = await tx.query<{ seq: number }>(
        'SELECT seq::int AS seq FROM history_heads WHERE space_id = $1',
        [spaceId],
      );
      assert.equal(rows[0]?.seq, 0, 'the head moves at close only');
      await appender.close();
      return [...a, ...b, ...c];
    });
    assert.deepEqual(
      appended.map((e) => e.seq),
      Array.from({ length: 360 }, (_, i) => i + 1),
    );
    const entries = await storedEntries(db, spaceId);
    assert.deepEqual(
      entries.map((e) => e.target_id),
      [...first!, ...second!, ...third!].map((e) => e.target.id),
    );
    const [last] = await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceId, [contactUpdate(randomUUID(), 'city', null, 'Nice')]),
    );
    assert.equal(last?.seq, 361);
    const verification = await verifyHistory(db, spaceId, noCheckpoints);
    assert.deepEqual([verification.ok, verification.count], [true, 361]);
  });
});
