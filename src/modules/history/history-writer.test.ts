import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import {
  canonicalJson,
  encodeEntry,
  entryHash,
  genesisHash,
  valueDigest,
} from './history-format.ts';
import { contactUpdate, createRegionSpace, sampleEntries } from './history-test-support.ts';
import { verifyHistory } from './history-verifier.ts';
import {
  appendHistoryEntries,
  appendHistoryEntryWith,
  type HistoryEntryInput,
} from './history-writer.ts';

const noCheckpoints = { checkpoints: [], publicKeys: new Map() };

forEachEngine('history writer', (env, engine) => {
  test('entries get seq 1, 2, 3… per Space, chained from the genesis hash', async () => {
    const db = await env().stores.region('eu');
    const spaceA = await createRegionSpace(db);
    const spaceB = await createRegionSpace(db);
    const contact = randomUUID();
    const first = await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceA, [contactUpdate(contact, 'email', null, 'a@example.org')]),
    );
    const next = await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceA, [
        contactUpdate(contact, 'email', 'a@example.org', 'b@example.org'),
        contactUpdate(contact, 'city', 'Lyon', 'Paris'),
      ]),
    );
    const other = await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceB, [contactUpdate(contact, 'email', null, 'x@example.org')]),
    );
    assert.deepEqual(
      first.map((e) => e.seq),
      [1],
    );
    assert.deepEqual(
      next.map((e) => e.seq),
      [2, 3],
    );
    assert.deepEqual(
      other.map((e) => e.seq),
      [1],
      'another Space has its own sequence',
    );

    const { rows } = await db.query<{ seq: number; prev_hash: Uint8Array; hash: Uint8Array }>(
      'SELECT seq, prev_hash, hash FROM history_entries WHERE space_id = $1 ORDER BY seq',
      [spaceA],
    );
    assert.equal(Buffer.from(rows[0]!.prev_hash).toString('hex'), genesisHash.toString('hex'));
    assert.equal(Buffer.from(rows[1]!.prev_hash).toString('hex'), first[0]!.hash);
    assert.equal(Buffer.from(rows[2]!.hash).toString('hex'), next[1]!.hash);
    const head = await db.query<{ seq: number; hash: Uint8Array }>(
      'SELECT seq, hash FROM history_heads WHERE space_id = $1',
      [spaceA],
    );
    assert.equal(head.rows[0]!.seq, 3);
    assert.equal(Buffer.from(head.rows[0]!.hash).toString('hex'), next[1]!.hash);
  });

  test('the hash is SHA-256 of the previous hash and the canonical entry; values are salted digests', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const contact = randomUUID();
    const at = new Date('2026-11-25T10:00:00.123Z');
    const input: HistoryEntryInput = {
      ...contactUpdate(contact, 'phone', '+33 1 23', { n: 1 }),
      at,
    };
    const [appended] = await db.transaction((tx) => appendHistoryEntries(tx, spaceId, [input]));
    const entry = await db.query<{
      changes: { field: string; fromDigest: string; toDigest: string }[];
    }>('SELECT changes FROM history_entries WHERE space_id = $1 AND seq = 1', [spaceId]);
    const changes = entry.rows[0]!.changes;
    const values = await db.query<{
      side: string;
      salt: Uint8Array;
      value: unknown;
      subject_id: string;
    }>(
      'SELECT side, salt, value, subject_id FROM history_values WHERE space_id = $1 ORDER BY side',
      [spaceId],
    );
    assert.equal(values.rows.length, 2);
    for (const row of values.rows) {
      assert.equal(row.subject_id, contact, 'a contact entry’s values belong to the contact');
      assert.equal(row.salt.length, 16);
      const digest = valueDigest(row.salt, canonicalJson(row.value)).toString('hex');
      assert.equal(digest, row.side === 'from' ? changes[0]!.fromDigest : changes[0]!.toDigest);
    }
    assert.deepEqual(
      Object.keys(changes[0]!).sort(),
      ['field', 'fromDigest', 'toDigest'],
      'the entry holds digests, never values',
    );
    const expected = entryHash(
      genesisHash,
      encodeEntry({
        spaceId,
        seq: 1,
        at: '2026-11-25T10:00:00.123Z',
        actor: input.actor,
        action: 'contact.update',
        target: { type: 'contact', id: contact },
        changes,
        source: 'api',
        device: 'kith-tests/1.0',
        ip: '127.0.0.1',
        importId: null,
      }),
    );
    assert.equal(appended!.hash, expected.toString('hex'));
  });

  test('a missing value has no digest and no value row; the same value gets different digests', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const contact = randomUUID();
    await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceId, [
        contactUpdate(contact, 'city', null, 'Paris'),
        contactUpdate(contact, 'city', 'Paris', undefined),
        contactUpdate(randomUUID(), 'city', null, 'Paris'),
      ]),
    );
    const { rows } = await db.query<{
      changes: { fromDigest: string | null; toDigest: string | null }[];
    }>('SELECT changes FROM history_entries WHERE space_id = $1 ORDER BY seq', [spaceId]);
    assert.equal(rows[0]!.changes[0]!.fromDigest, null);
    assert.equal(rows[1]!.changes[0]!.toDigest, null);
    assert.notEqual(
      rows[0]!.changes[0]!.toDigest,
      rows[2]!.changes[0]!.toDigest,
      'salted: equal values do not link entries',
    );
    const count = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM history_values WHERE space_id = $1',
      [spaceId],
    );
    assert.equal(count.rows[0]!.n, 3);
  });

  test('entries roll back with the caller’s transaction, and the head with them', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(2)));
    await assert.rejects(
      db.transaction(async (tx) => {
        await appendHistoryEntries(tx, spaceId, sampleEntries(3));
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    const next = await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(1)));
    assert.deepEqual(
      next.map((e) => e.seq),
      [3],
    );
    const result = await verifyHistory(db, spaceId, noCheckpoints);
    assert.deepEqual([result.ok, result.count], [true, 3]);
  });

  test('a batch of 2,500 entries is appended in one call and verifies', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const importId = randomUUID().toUpperCase();
    const entries = sampleEntries(2500, [randomUUID(), randomUUID()]).map((e) => ({
      ...e,
      source: 'import' as const,
      importId,
    }));
    const appended = await db.transaction((tx) => appendHistoryEntries(tx, spaceId, entries));
    assert.equal(appended.length, 2500);
    assert.equal(appended.at(-1)!.seq, 2500);
    const result = await verifyHistory(db, spaceId, { ...noCheckpoints, pageSize: 700 });
    assert.deepEqual(result, {
      ok: true,
      count: 2500,
      firstBadSeq: null,
      reason: null,
      head: result.head,
    });
    const stored = await db.query<{ import_id: string }>(
      'SELECT DISTINCT import_id FROM history_entries WHERE space_id = $1',
      [spaceId],
    );
    assert.deepEqual(stored.rows, [{ import_id: importId.toLowerCase() }]);
  });

  test('values of every JSON shape round-trip through the store and still verify', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const awkward = [
      {
        b: 1,
        a: [1.5, -0, 1e21, 5e-324, true, false, null],
        é: 'ü',
        '\u20ac': '😀',
        'a b': { z: {}, y: [] },
      },
      'quote " backslash \\ newline \n tab \t',
      0.1 + 0.2,
      new Date('2026-01-02T03:04:05.006Z'),
      { undefinedMember: undefined, nested: [undefined] },
      '',
      0,
      false,
    ];
    await db.transaction((tx) =>
      appendHistoryEntries(
        tx,
        spaceId,
        awkward.map((value, i) => ({ ...contactUpdate(randomUUID(), `f${i}`, value, value) })),
      ),
    );
    const result = await verifyHistory(db, spaceId, noCheckpoints);
    assert.equal(result.reason, null);
    assert.deepEqual([result.ok, result.count], [true, awkward.length]);
  });

  test('an unknown action, source or a non-JSON value is refused and nothing is written', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const good = contactUpdate(randomUUID(), 'email', null, 'a@example.org');
    const bad: HistoryEntryInput[] = [
      { ...good, action: 'contact.teleport' as HistoryEntryInput['action'] },
      { ...good, source: 'fax' as HistoryEntryInput['source'] },
      { ...good, changes: [{ field: 'n', from: null, to: Number.NaN }] },
      { ...good, changes: [{ field: 'n', from: null, to: 10n }] },
      { ...good, changes: [{ field: '', from: null, to: 1 }] },
    ];
    for (const entry of bad) {
      await assert.rejects(
        db.transaction((tx) => appendHistoryEntries(tx, spaceId, [good, entry])),
        { name: 'AppError' },
      );
    }
    const count = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM history_entries WHERE space_id = $1',
      [spaceId],
    );
    assert.equal(count.rows[0]!.n, 0);
  });

  test('a hostile device label is cleaned and capped', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    await db.transaction((tx) =>
      appendHistoryEntries(tx, spaceId, [
        { ...contactUpdate(randomUUID(), 'x', 1, 2), device: `a\u0000b\r\n${'x'.repeat(5000)}` },
      ]),
    );
    const { rows } = await db.query<{ device: string }>(
      'SELECT device FROM history_entries WHERE space_id = $1',
      [spaceId],
    );
    assert.equal(rows[0]!.device.length, 512);
    assert.ok(rows[0]!.device.startsWith('abxxx'));
    assert.equal((await verifyHistory(db, spaceId, noCheckpoints)).ok, true);
  });

  if (engine === 'postgres') {
    test('concurrent appenders of one Space are serialised: no seq is lost or doubled', async () => {
      const db = await env().stores.region('eu');
      const spaceId = await createRegionSpace(db);
      const writers = Array.from({ length: 8 }, () =>
        (async () => {
          const seqs: number[] = [];
          for (let i = 0; i < 10; i += 1) {
            const [entry] = await db.transaction((tx) =>
              appendHistoryEntries(tx, spaceId, sampleEntries(1)),
            );
            seqs.push(entry!.seq);
          }
          return seqs;
        })(),
      );
      const all = (await Promise.all(writers)).flat().sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: 80 }, (_, i) => i + 1),
      );
      const result = await verifyHistory(db, spaceId, noCheckpoints);
      assert.deepEqual([result.ok, result.count], [true, 80]);
    });
  }

  test('an entry appended with its change runs the change exactly once, on every path', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const contact = randomUUID();
    // Counts its own runs in the Space's settings: a second run would show.
    const change = (by: number) => ({
      sql: `UPDATE spaces SET settings = jsonb_build_object('runs', coalesce((settings ->> 'runs')::int, 0) + $2::int)
             WHERE space_id = $1`,
      params: [spaceId, by],
    });
    const runs = async () =>
      (
        await db.query<{ runs: number | null }>(
          `SELECT (settings ->> 'runs')::int AS runs FROM spaces WHERE space_id = $1`,
          [spaceId],
        )
      ).rows[0]?.runs;
    const wide: HistoryEntryInput = {
      ...contactUpdate(contact, 'f0', 'a', 'b'),
      changes: Array.from({ length: 2600 }, (_, i) => ({ field: `f${i}`, from: i, to: i + 1 })),
    };
    const cases: [string, HistoryEntryInput][] = [
      ['the Space’s first entry (no head yet)', contactUpdate(contact, 'city', null, 'Lyon')],
      ['an edit (one statement)', contactUpdate(contact, 'city', 'Lyon', 'Paris')],
      [
        'an entry with an origin',
        { ...contactUpdate(contact, 'city', 'Paris', 'Nice'), originId: randomUUID() },
      ],
      ['an entry with too many values for one statement', wide],
    ];
    let expected = 0;
    for (const [i, [what, entry]] of cases.entries()) {
      const appended = await db.transaction((tx) =>
        appendHistoryEntryWith(tx, spaceId, entry, change(10 ** i)),
      );
      expected += 10 ** i;
      assert.equal(appended.seq, i + 1, what);
      assert.equal(await runs(), expected, `${what}: the change ran once`);
    }
    const rolledBack = db.transaction(async (tx) => {
      await appendHistoryEntryWith(
        tx,
        spaceId,
        contactUpdate(contact, 'city', 'Nice', 'Metz'),
        change(1),
      );
      throw new Error('the caller fails after the append');
    });
    await assert.rejects(rolledBack, /the caller fails/);
    assert.equal(await runs(), expected, 'a rolled back change is gone with its entry');
    const result = await verifyHistory(db, spaceId, noCheckpoints);
    assert.deepEqual([result.ok, result.count], [true, cases.length]);
  });
});
