import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { canonicalJson, encodeEntry, entryHash, genesisHash } from './history-format.ts';
import { createRegionSpace } from './history-test-support.ts';
import { verifyHistory } from './history-verifier.ts';
import { canonicalChanges, canonicalOfJsonText, copyField } from './history-verify-copy.ts';
import { appendHistoryEntries, type HistoryEntryInput } from './history-writer.ts';

const noCheckpoints = { checkpoints: [], publicKeys: new Map() };

/** Values whose text PostgreSQL writes differently from canonical JSON, or COPY escapes. */
const awkwardValues: unknown[] = [
  'plain@example.org',
  'tab\there, new\nline, back\\slash, "quoted"',
  'é à ü — 東京 😀 \u2028 \u007f',
  '\u0001\u001f',
  0.1,
  1e21,
  1e-7,
  -0,
  12345678901234567000,
  true,
  false,
  { b: 1, a: [1, 'x', { d: null, c: 'é' }], 'e\u0301': 2, é: 3, A: 'Z' },
  ['volunteer', 'b\\c'],
  '',
];

test('the bulk path canonicalises what PostgreSQL writes exactly as canonicalJson does', () => {
  for (const value of awkwardValues) {
    // jsonb output style: spaces after colons and commas, keys by length.
    const pgStyle = JSON.stringify(value, null, 1)?.replace(/\n\s*/g, ' ') ?? 'null';
    assert.equal(canonicalOfJsonText(pgStyle), canonicalJson(value), String(pgStyle));
  }
  const changes = [
    { toDigest: 'ab', field: 'x"y', fromDigest: null },
    { field: 'z', fromDigest: 'cd', toDigest: 'ef', extra: 1 },
    ['not', 'a', 'change'],
  ];
  assert.equal(canonicalChanges(changes), canonicalJson(changes));
  assert.equal(copyField('\\N'), null);
  assert.equal(copyField('a\\tb\\\\c\\nd\\x41\\101'), 'a\tb\\c\ndAA');
});

/**
 * Entries with awkward actors, devices and values go through the one-statement
 * append (hashed by the database) and the COPY verifier, and agree with the
 * format as history-format.ts computes it.
 */
forEachEngine('history bulk verify and single-statement append', (env) => {
  const entry = (i: number, value: unknown): HistoryEntryInput => ({
    actor: { type: 'user', id: randomUUID(), name: `Zoë "Z" \\ O'Neil\t${i} 😀`, role: null },
    action: 'contact.update',
    target: { type: 'contact', id: randomUUID() },
    changes: [
      { field: 'custom.naïve\\field', from: value, to: null },
      { field: 'city', from: null, to: `Montréal ${i}` },
    ],
    source: 'api',
    device: 'Mozilla/5.0 (\\x) "é"',
    ip: '2001:db8::1',
    at: new Date(Date.UTC(2026, 10, 25, 10, 0, 0, i)),
  });

  test('one entry at a time: the database hashes the exact bytes of the format', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    let prev = genesisHash;
    for (const [i, value] of awkwardValues.entries()) {
      const input = entry(i, value);
      const [appended] = await db.transaction((tx) => appendHistoryEntries(tx, spaceId, [input]));
      const { rows } = await db.query<{ changes: unknown }>(
        'SELECT changes FROM history_entries WHERE space_id = $1 AND seq = $2',
        [spaceId, i + 1],
      );
      const expected = entryHash(
        prev,
        encodeEntry({
          spaceId,
          seq: i + 1,
          at: (input.at as Date).toISOString(),
          actor: input.actor,
          action: input.action,
          target: input.target,
          changes: rows[0]!.changes,
          source: input.source,
          device: input.device ?? null,
          ip: input.ip ?? null,
          importId: null,
        }),
      );
      assert.equal(appended!.seq, i + 1);
      assert.equal(appended!.hash, expected.toString('hex'));
      prev = expected;
    }
    const result = await verifyHistory(db, spaceId, { ...noCheckpoints, pageSize: 5 });
    assert.deepEqual(
      [result.ok, result.count, result.firstBadSeq],
      [true, awkwardValues.length, null],
    );
  });

  test('a batch with the same values verifies, and a changed value is still caught', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    await db.transaction((tx) =>
      appendHistoryEntries(
        tx,
        spaceId,
        awkwardValues.map((value, i) => entry(i, value)),
      ),
    );
    assert.equal((await verifyHistory(db, spaceId, noCheckpoints)).ok, true);
    const owner = await env().owner('region_eu');
    await owner.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(
        `UPDATE history_values SET value = '"tab\\there"'::jsonb WHERE space_id = $1 AND seq = 2 AND side = 'from'`,
        [spaceId],
      );
    });
    const result = await verifyHistory(db, spaceId, noCheckpoints);
    assert.deepEqual([result.ok, result.firstBadSeq, result.count], [false, 2, 1]);
    assert.match(result.reason ?? '', /value of entry 2 was modified/);
  });
});
