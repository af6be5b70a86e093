import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import type { Transaction } from '../../stores/database.ts';
import { readVerificationPage } from './history.repository.ts';
import { encodeEntry } from './history-format.ts';
import { createRegionSpace } from './history-test-support.ts';
import { toVerifiable, verifyHistory } from './history-verifier.ts';
import { checkChainPage, entriesWithActorJsonSql, entryEncodingSql } from './history-verify-sql.ts';
import { appendHistoryEntries, type HistoryEntryInput } from './history-writer.ts';

const noCheckpoints = { checkpoints: [], publicKeys: new Map() };

/** Strings whose JSON escaping, UTF-8 or length could trip SQL's encoding. */
const awkwardStrings = [
  '',
  'plain',
  'tab\there, new\nline, cr\r, ff\f, bs\b, back\\slash, "quoted", /slash/',
  '\u0001\u0002\u001e\u001f\u007f',
  'é à ü — 東京 😀 𝄞 \u2028 \u2029 \ufeff e\u0301',
  'x'.repeat(20_000),
  `long ${'é😀"\\\n'.repeat(3_000)}`,
];

/** Values: SQL writes strings, booleans, null and small integers; the rest are left to JS. */
const awkwardValues: unknown[] = [
  ...awkwardStrings.filter((s) => s !== ''),
  '',
  0,
  -1,
  123456789012345,
  1234567890123456,
  0.1,
  1e21,
  1e-7,
  -0,
  true,
  false,
  { b: 1, a: [1, 'x', { d: null, c: 'é' }], 'e\u0301': 2, é: 3, A: 'Z' },
  ['volunteer', 'b\\c', '\u0001'],
  [],
  {},
];

function awkwardEntries(): HistoryEntryInput[] {
  const entries: HistoryEntryInput[] = [];
  awkwardStrings.forEach((text, i) => {
    entries.push({
      actor: { type: 'user', id: randomUUID(), name: `${text} ${i}`, role: i % 2 ? null : text },
      action: 'contact.update',
      target: { type: 'contact', id: `${text}/${i}` },
      changes: [{ field: text || 'f', from: text || null, to: null }],
      source: 'api',
      device: text,
      ip: i % 3 ? null : text.slice(0, 60),
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i * 7)),
    });
  });
  // Several changes (the aggregated path), none, and every value kind.
  entries.push({
    actor: { type: 'system', id: 'scheduler', name: 'Kith', role: null },
    action: 'settings.update',
    target: { type: 'space', id: randomUUID() },
    changes: [],
    source: 'system',
    importId: randomUUID(),
  });
  for (let i = 0; i < awkwardValues.length; i += 3) {
    entries.push({
      actor: { type: 'staff', id: randomUUID(), name: 'Ståff "ops"', role: 'support' },
      action: 'contact.update',
      target: { type: 'contact', id: randomUUID() },
      changes: awkwardValues.slice(i, i + 3).map((value, j) => ({
        field: `${awkwardStrings[j + 2]}${j}`,
        from: value,
        to: awkwardValues[(i + j + 5) % awkwardValues.length],
      })),
      source: 'import',
      importId: randomUUID(),
      at: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)),
    });
  }
  return entries;
}

forEachEngine('history verification in the database', (env) => {
  const seed = async (entries: HistoryEntryInput[], oneByOne = false) => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    if (oneByOne) {
      for (const entry of entries) {
        await db.transaction((tx) => appendHistoryEntries(tx, spaceId, [entry]));
      }
    } else {
      await db.transaction((tx) => appendHistoryEntries(tx, spaceId, entries));
    }
    return { db, spaceId };
  };

  const tamper = async (fn: (tx: Transaction) => Promise<void>) => {
    const owner = await env().owner('region_eu');
    await owner.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await fn(tx);
    });
  };

  test('SQL writes the same canonical encoding as history-format.ts, awkward values included', async () => {
    const entries = awkwardEntries();
    const { db, spaceId } = await seed(entries);
    // A second Space appended one entry at a time (the single-statement path).
    const single = await seed(entries.slice(0, 4), true);
    for (const [space, count] of [
      [spaceId, entries.length],
      [single.spaceId, 4],
    ] as const) {
      const page = await readVerificationPage(db, space, 0, count);
      const { rows } = await db.query<{ seq: number | string; encoded: string | null }>(
        `SELECT seq, ${entryEncodingSql} AS encoded FROM ${entriesWithActorJsonSql} AS e ORDER BY seq`,
        [space, 0, count, JSON.stringify(space)],
      );
      assert.equal(rows.length, count);
      for (const [i, row] of rows.entries()) {
        const tuple = page.entries[i];
        assert.ok(tuple);
        const js = encodeEntry({ spaceId: space, ...toVerifiable(tuple) });
        assert.equal(row.encoded, js, `entry ${row.seq}`);
      }
      const check = await checkChainPage(db, space, 0, count, []);
      assert.equal(check.count, count);
      assert.equal(check.firstSuspectSeq, null, 'the database vouches for every entry');
      assert.equal(check.firstBadValueSeq, null, 'and every value it checks');
    }
    const check = await checkChainPage(db, spaceId, 0, entries.length, []);
    // Objects, arrays and non-integer numbers are left to JS, with their digests.
    assert.ok(check.valuesToCheck.length > 0);
    for (const [, , , , text, digest] of check.valuesToCheck) {
      assert.match(String(digest), /^[0-9a-f]{64}$/);
      assert.ok(!/^"/.test(text) && text !== 'true' && text !== 'false', text);
    }
    const result = await verifyHistory(db, spaceId, { ...noCheckpoints, pageSize: 4 });
    assert.deepEqual([result.ok, result.count], [true, entries.length]);
  });

  test('changes of any other shape are never encoded otherwise than history-format.ts does', async () => {
    // The single-change fast path decides the shape from texts and byte counts:
    // each of these must encode as JS does, or not at all (left to JS).
    const crafted: unknown[] = [
      [],
      [
        { field: 'a', fromDigest: null, toDigest: 'b' },
        { field: 'c', fromDigest: 'd', toDigest: null },
      ],
      { 0: { field: 'a', fromDigest: null, toDigest: null } },
      [{ field: 1, fromDigest: null, toDigest: null }],
      [{ field: null, fromDigest: null, toDigest: null }],
      [{ field: 'a', fromDigest: 12, toDigest: null }],
      [{ field: 'a', fromDigest: 1.5, toDigest: 'x' }],
      [{ field: 'a', fromDigest: { x: 'y' }, toDigest: null }],
      [{ field: 'a', fromDigest: ['1'], toDigest: null }],
      [{ field: 'a', fromDigest: null, toDigest: true }],
      [{ field: 'a', fromDigest: null, toDigest: null, x: 1 }],
      [{ field: 'a', fromDigest: null, toDigest: null, aa: null }],
      [{ field: 'a', fromDigest: null }],
      [{ field: 'a', toDigest: null, fromDigest: null, fromdigest: null }],
      [{ field: 'a", "toDigest": "b', fromDigest: null, toDigest: null }],
      [{ field: 'a, ', fromDigest: 'ab", "x', toDigest: 'cd\\' }],
      [{ field: 'é😀\n\u0001"', fromDigest: '1.0', toDigest: '' }],
      [{ field: 'a', fromDigest: 'x', toDigest: 'y' }, 1],
      [
        { field: 'a', fromDigest: 'x', toDigest: 'y' },
        { field: 'a', fromDigest: 'x', toDigest: 'y' },
      ],
      [[{ field: 'a', fromDigest: null, toDigest: null }]],
      [{ field: { field: 'a' }, fromDigest: null, toDigest: null }],
      '[{"field": "a", "toDigest": null, "fromDigest": null}]',
      [{ field: 'a', fromDigest: null, toDigest: null }],
    ];
    const entries = awkwardEntries().slice(0, 3);
    const { db, spaceId } = await seed(entries);
    const seq = 2;
    let encodedBySql = 0;
    for (const changes of crafted) {
      await tamper((tx) =>
        tx
          .query(
            'UPDATE history_entries SET changes = $3::jsonb WHERE space_id = $1 AND seq = $2',
            [spaceId, seq, JSON.stringify(changes)],
          )
          .then(() => undefined),
      );
      const page = await readVerificationPage(db, spaceId, 0, entries.length);
      const { rows } = await db.query<{ encoded: string | null }>(
        `SELECT ${entryEncodingSql} AS encoded FROM ${entriesWithActorJsonSql} AS e WHERE seq = $2 + ${seq}`,
        [spaceId, 0, entries.length, JSON.stringify(spaceId)],
      );
      const tuple = page.entries[seq - 1];
      assert.ok(tuple);
      const js = encodeEntry({ spaceId, ...toVerifiable(tuple) });
      const encoded = rows[0]?.encoded ?? null;
      if (encoded !== null) {
        assert.equal(encoded, js, JSON.stringify(changes));
        encodedBySql += 1;
      }
      const check = await checkChainPage(db, spaceId, 0, entries.length, []);
      assert.equal(check.firstSuspectSeq, seq, JSON.stringify(changes));
      const result = await verifyHistory(db, spaceId, noCheckpoints);
      assert.deepEqual([result.ok, result.firstBadSeq], [false, seq], JSON.stringify(changes));
    }
    // The writer's shapes (one change, several, none) are encoded by SQL.
    assert.ok(encodedBySql >= 5, `SQL encoded ${encodedBySql}`);
  });

  test('a broken link is caught even where every entry hashes right on its own', async () => {
    const entries = awkwardEntries();
    const { db, spaceId } = await seed(entries);
    // Entry 4 re-hashed over a different prev_hash: its own hash holds, its links do not.
    const page = await readVerificationPage(db, spaceId, 0, entries.length);
    const tuple = page.entries[3];
    assert.ok(tuple);
    const encoded = encodeEntry({ spaceId, ...toVerifiable(tuple) });
    const prev = Buffer.alloc(32, 7);
    const hash = createHash('sha256').update(prev).update(encoded).digest();
    await tamper((tx) =>
      tx
        .query(
          'UPDATE history_entries SET prev_hash = $3, hash = $4 WHERE space_id = $1 AND seq = $2',
          [spaceId, 4, prev, hash],
        )
        .then(() => undefined),
    );
    const { rows } = await db.query<{ ok: boolean }>(
      `SELECT sha256(prev_hash || convert_to(${entryEncodingSql}, 'UTF8')) = hash AS ok
         FROM ${entriesWithActorJsonSql} AS e WHERE seq = 4`,
      [spaceId, 0, entries.length, JSON.stringify(spaceId)],
    );
    assert.equal(rows[0]?.ok, true, 'entry 4 hashes right on its own');
    const check = await checkChainPage(db, spaceId, 0, entries.length, []);
    assert.equal(check.firstSuspectSeq, 4);
    const result = await verifyHistory(db, spaceId, { ...noCheckpoints, pageSize: 3 });
    assert.deepEqual([result.ok, result.firstBadSeq], [false, 4]);
  });

  test('the database vouches for no tampered entry, and verify names it across pages', async () => {
    const entries = awkwardEntries();
    const { db, spaceId } = await seed(entries);
    const cases: [string, string, unknown[]][] = [
      [
        'actor with an extra key',
        `UPDATE history_entries SET actor = actor || '{"x": 1}' WHERE space_id = $1 AND seq = $2`,
        [],
      ],
      [
        'actor name',
        `UPDATE history_entries SET actor = jsonb_set(actor, '{name}', '"Mallory"') WHERE space_id = $1 AND seq = $2`,
        [],
      ],
      [
        'change with an extra key',
        `UPDATE history_entries SET changes = jsonb_set(changes, '{0,x}', 'null') WHERE space_id = $1 AND seq = $2`,
        [],
      ],
      [
        'time moved by a millisecond',
        `UPDATE history_entries SET at = at + interval '1 millisecond' WHERE space_id = $1 AND seq = $2`,
        [],
      ],
      [
        'device',
        `UPDATE history_entries SET device = coalesce(device, '') || ' ' WHERE space_id = $1 AND seq = $2`,
        [],
      ],
    ];
    for (const [what, sql] of cases) {
      const seq = 6;
      const owner = await env().owner('region_eu');
      const before = await owner.query<{
        actor: unknown;
        changes: unknown;
        at: Date;
        device: string | null;
      }>(
        'SELECT actor, changes, at, device FROM history_entries WHERE space_id = $1 AND seq = $2',
        [spaceId, seq],
      );
      await tamper((tx) => tx.query(sql, [spaceId, seq]).then(() => undefined));
      const check = await checkChainPage(db, spaceId, 0, entries.length, []);
      assert.equal(check.firstSuspectSeq, seq, what);
      const result = await verifyHistory(db, spaceId, { ...noCheckpoints, pageSize: 4 });
      assert.deepEqual([result.ok, result.firstBadSeq, result.count], [false, seq, seq - 1], what);
      const old = before.rows[0];
      assert.ok(old);
      await tamper((tx) =>
        tx
          .query(
            `UPDATE history_entries SET actor = $3, changes = $4, at = $5, device = $6 WHERE space_id = $1 AND seq = $2`,
            [
              spaceId,
              seq,
              JSON.stringify(old.actor),
              JSON.stringify(old.changes),
              old.at,
              old.device,
            ],
          )
          .then(() => undefined),
      );
      assert.equal((await verifyHistory(db, spaceId, noCheckpoints)).ok, true, `${what} undone`);
    }
  });

  test('a modified string or object value is caught at its entry, on the page it sits in', async () => {
    const entries = awkwardEntries();
    const { db, spaceId } = await seed(entries);
    for (const kind of ['string', 'object']) {
      const { rows } = await db.query<{ seq: number | string }>(
        `SELECT max(seq) AS seq FROM history_values WHERE space_id = $1 AND jsonb_typeof(value) = $2`,
        [spaceId, kind],
      );
      const seq = Number(rows[0]?.seq);
      assert.ok(seq > 0);
      const newValue = kind === 'string' ? '"changed"' : '{"changed": true}';
      await tamper((tx) =>
        tx
          .query(
            `UPDATE history_values SET value = $3::jsonb WHERE space_id = $1 AND seq = $2
                AND jsonb_typeof(value) = $4`,
            [spaceId, seq, newValue, kind],
          )
          .then(() => undefined),
      );
      const result = await verifyHistory(db, spaceId, { ...noCheckpoints, pageSize: 3 });
      assert.deepEqual([result.ok, result.firstBadSeq], [false, seq], kind);
      assert.match(result.reason ?? '', /value of entry .* was modified/);
      await tamper((tx) =>
        tx
          .query('DELETE FROM history_values WHERE space_id = $1 AND seq = $2', [spaceId, seq])
          .then(() => undefined),
      );
    }
    assert.equal((await verifyHistory(db, spaceId, noCheckpoints)).ok, true);
  });
});
