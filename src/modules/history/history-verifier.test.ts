import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import type { Transaction } from '../../stores/database.ts';
import { ensureCheckpointKeys, loadCheckpointSigningKey } from './checkpoint-keys.ts';
import { signCheckpoint, verifyStoredHistory } from './checkpoints.ts';
import { canonicalJson, encodeEntry, entryHash } from './history-format.ts';
import { createRegionSpace, sampleEntries, testActor } from './history-test-support.ts';
import { appendHistoryEntries } from './history-writer.ts';

/**
 * Issue #3 deliverable 5: tampering as the database owner, with the append-only
 * triggers (and foreign keys) bypassed, is caught every time, and verify names
 * the first entry that does not match.
 */
forEachEngine('history verify catches tampering', (env) => {
  before(async () => {
    await ensureCheckpointKeys(env().config);
  });

  /** 30 entries in three transactions, a checkpoint at 20 and one at 30. */
  const seed = async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const key = await loadCheckpointSigningKey(env().config, 'eu');
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(12)));
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(8)));
    await signCheckpoint(db, spaceId, key, new Date());
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(10)));
    await signCheckpoint(db, spaceId, key, new Date());
    const verify = () => verifyStoredHistory(env().config, db, 'eu', spaceId);
    return { db, spaceId, verify };
  };

  /** Runs `fn` as the database owner with every trigger (append-only, foreign keys) bypassed. */
  const tamper = async (fn: (tx: Transaction) => Promise<void>) => {
    const owner = await env().owner('region_eu');
    await owner.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await fn(tx);
    });
  };

  /** Renumbers entries (and their values) with `seq >= from` by `delta`, through a free range. */
  const shift = async (tx: Transaction, spaceId: string, from: number, delta: number) => {
    for (const table of ['history_entries', 'history_values']) {
      await tx.query(`UPDATE ${table} SET seq = seq + 1000000 WHERE space_id = $1 AND seq >= $2`, [
        spaceId,
        from,
      ]);
      await tx.query(
        `UPDATE ${table} SET seq = seq - 1000000 + $2 WHERE space_id = $1 AND seq >= 1000000`,
        [spaceId, delta],
      );
    }
  };

  const expectBad = async (
    verify: () => Promise<{
      ok: boolean;
      firstBadSeq: number | null;
      reason: string | null;
      count: number;
    }>,
    seq: number,
    reason: RegExp,
  ) => {
    const result = await verify();
    assert.equal(result.ok, false, 'tampering is caught');
    assert.equal(result.firstBadSeq, seq, `first bad seq (${result.reason})`);
    assert.match(result.reason ?? '', reason);
    assert.equal(result.count, seq - 1, 'every entry before it verified');
  };

  test('an untouched history verifies, against both checkpoints', async () => {
    const { verify } = await seed();
    const result = await verify();
    assert.deepEqual(
      [result.ok, result.count, result.firstBadSeq, result.reason],
      [true, 30, null, null],
    );
  });

  test('a modified value is caught at its entry', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      const changed = await tx.query(
        `UPDATE history_values SET value = '"mallory@example.org"' WHERE space_id = $1 AND seq = 7 AND idx = 0 AND side = 'to'`,
        [spaceId],
      );
      assert.equal(changed.rowCount, 1);
    });
    await expectBad(verify, 7, /a value of entry 7 was modified \(field email, to\)/);
  });

  test('a modified actor is caught at its entry', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query(
        `UPDATE history_entries SET actor = jsonb_set(actor, '{name}', '"Someone Else"') WHERE space_id = $1 AND seq = 12`,
        [spaceId],
      );
    });
    await expectBad(verify, 12, /entry 12 was modified/);
  });

  test('a deleted entry is caught at its seq', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query('DELETE FROM history_values WHERE space_id = $1 AND seq = 9', [spaceId]);
      await tx.query('DELETE FROM history_entries WHERE space_id = $1 AND seq = 9', [spaceId]);
    });
    await expectBad(verify, 9, /entry 9 is missing/);
  });

  test('a deleted entry with the later ones renumbered to close the gap is caught at its seq', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query('DELETE FROM history_values WHERE space_id = $1 AND seq = 9', [spaceId]);
      await tx.query('DELETE FROM history_entries WHERE space_id = $1 AND seq = 9', [spaceId]);
      await shift(tx, spaceId, 10, -1);
      await tx.query('UPDATE history_heads SET seq = 29 WHERE space_id = $1', [spaceId]);
    });
    await expectBad(verify, 9, /entry 9 does not follow entry 8/);
  });

  test('two swapped entries are caught at the first of them', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      for (const table of ['history_entries', 'history_values']) {
        await tx.query(`UPDATE ${table} SET seq = 1000005 WHERE space_id = $1 AND seq = 5`, [
          spaceId,
        ]);
        await tx.query(`UPDATE ${table} SET seq = 5 WHERE space_id = $1 AND seq = 8`, [spaceId]);
        await tx.query(`UPDATE ${table} SET seq = 8 WHERE space_id = $1 AND seq = 1000005`, [
          spaceId,
        ]);
      }
    });
    await expectBad(verify, 5, /entry 5 does not follow entry 4/);
  });

  test('two entries with their contents swapped (seq kept) are caught at the first of them', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query(
        `UPDATE history_entries e SET actor = o.actor, changes = o.changes, target_id = o.target_id, prev_hash = o.prev_hash, hash = o.hash
           FROM (SELECT seq, actor, changes, target_id, prev_hash, hash FROM history_entries WHERE space_id = $1 AND seq IN (3, 4)) o
          WHERE e.space_id = $1 AND e.seq IN (3, 4) AND o.seq = 7 - e.seq`,
        [spaceId],
      );
    });
    await expectBad(verify, 3, /entry 3 does not follow entry 2/);
  });

  test('an entry inserted in the middle, with a well-formed hash, is named', async () => {
    const { db, spaceId, verify } = await seed();
    const prev = await db.query<{ hash: Uint8Array }>(
      'SELECT hash FROM history_entries WHERE space_id = $1 AND seq = 9',
      [spaceId],
    );
    const prevHash = Buffer.from(prev.rows[0]!.hash);
    const forged = {
      spaceId,
      seq: 10,
      at: new Date().toISOString(),
      actor: { ...testActor, name: 'Nobody' },
      action: 'contact.delete',
      target: { type: 'contact', id: randomUUID() },
      changes: [],
      source: 'api',
      device: null,
      ip: null,
      importId: null,
    };
    const hash = entryHash(prevHash, encodeEntry(forged));
    await tamper(async (tx) => {
      await shift(tx, spaceId, 10, 1);
      await tx.query(
        `INSERT INTO history_entries (space_id, seq, at, actor, action, target_type, target_id, changes, source, format_version, prev_hash, hash)
         VALUES ($1, 10, $2, $3::jsonb, 'contact.delete', 'contact', $4, '[]', 'api', 1, $5, $6)`,
        [spaceId, forged.at, canonicalJson(forged.actor), forged.target.id, prevHash, hash],
      );
      await tx.query('UPDATE history_heads SET seq = 31 WHERE space_id = $1', [spaceId]);
    });
    await expectBad(verify, 10, /entry 10 was inserted/);
  });

  test('an entry inserted at the end without the writer is caught', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query(
        `INSERT INTO history_entries (space_id, seq, at, actor, action, target_type, target_id, changes, source, format_version, prev_hash, hash)
         SELECT space_id, 31, at, actor, action, target_type, target_id, changes, source, 1, hash, hash
           FROM history_entries WHERE space_id = $1 AND seq = 30`,
        [spaceId],
      );
    });
    await expectBad(verify, 31, /entry 31 was modified/);
  });

  test('a truncated tail is caught against the last checkpoint, even with the head moved back', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query('DELETE FROM history_values WHERE space_id = $1 AND seq > 25', [spaceId]);
      await tx.query('DELETE FROM history_entries WHERE space_id = $1 AND seq > 25', [spaceId]);
      await tx.query(
        `UPDATE history_heads h SET seq = 25, hash = e.hash FROM history_entries e
          WHERE h.space_id = $1 AND e.space_id = $1 AND e.seq = 25`,
        [spaceId],
      );
    });
    await expectBad(verify, 26, /entries 26 to 30 are missing: a checkpoint signed entry 30/);
  });

  test('a rewrite that recomputes every later hash is caught by the checkpoint it contradicts', async () => {
    const { db, spaceId, verify } = await seed();
    const { rows } = await db.query<
      Record<string, unknown> & { seq: number; at: Date; prev_hash: Uint8Array }
    >('SELECT * FROM history_entries WHERE space_id = $1 AND seq >= 15 ORDER BY seq', [spaceId]);
    let prevHash: Buffer = Buffer.from(rows[0]!.prev_hash);
    const rewritten: { seq: number; prev: Buffer; hash: Buffer; actor: unknown }[] = [];
    for (const row of rows) {
      const actor = row.seq === 15 ? { ...(row.actor as object), name: 'Someone Else' } : row.actor;
      const hash = entryHash(
        prevHash,
        encodeEntry({
          spaceId,
          seq: row.seq,
          at: row.at.toISOString(),
          actor,
          action: row.action as string,
          target: { type: row.target_type, id: row.target_id },
          changes: row.changes,
          source: row.source as string,
          device: row.device as string | null,
          ip: row.ip as string | null,
          importId: row.import_id as string | null,
        }),
      );
      rewritten.push({ seq: row.seq, prev: prevHash, hash, actor });
      prevHash = hash;
    }
    await tamper(async (tx) => {
      for (const r of rewritten) {
        await tx.query(
          'UPDATE history_entries SET actor = $3::jsonb, prev_hash = $4, hash = $5 WHERE space_id = $1 AND seq = $2',
          [spaceId, r.seq, canonicalJson(r.actor), r.prev, r.hash],
        );
      }
      await tx.query('UPDATE history_heads SET hash = $2 WHERE space_id = $1', [spaceId, prevHash]);
    });
    await expectBad(
      verify,
      20,
      /entry 20 does not match the checkpoint signed .*: the history up to it was rewritten/,
    );
  });

  test('a head that does not match the last entry is caught', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query(
        `UPDATE history_heads SET hash = '\\x${'ab'.repeat(32)}' WHERE space_id = $1`,
        [spaceId],
      );
    });
    await expectBad(verify, 30, /the head does not match entry 30/);
  });

  test('a value added where the entry committed to none is caught', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query(
        `INSERT INTO history_values (space_id, seq, idx, side, salt, value) VALUES ($1, 4, 1, 'from', $2, '"planted"')`,
        [spaceId, Buffer.alloc(16)],
      );
    });
    await expectBad(verify, 4, /entry 4 has a value that no change commits to/);
  });

  test('a forged or altered checkpoint is caught', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query(
        `UPDATE history_checkpoints SET signed_at = signed_at + interval '1 second' WHERE space_id = $1 AND seq = 20`,
        [spaceId],
      );
    });
    await expectBad(verify, 20, /the checkpoint at 20 has an invalid signature/);
  });

  test('a checkpoint signed by an unknown key is caught', async () => {
    const { spaceId, verify } = await seed();
    await tamper(async (tx) => {
      await tx.query(
        `UPDATE history_checkpoints SET key_id = '0123456789abcdef' WHERE space_id = $1 AND seq = 30`,
        [spaceId],
      );
    });
    await expectBad(
      verify,
      30,
      /signed by key 0123456789abcdef, which is not among the public keys/,
    );
  });

  test('a checkpoint is never signed over a history that does not continue the last one', async () => {
    const { db, spaceId } = await seed();
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(3)));
    await tamper(async (tx) => {
      await tx.query(
        `UPDATE history_entries SET action = 'contact.erase' WHERE space_id = $1 AND seq = 32`,
        [spaceId],
      );
    });
    const key = await loadCheckpointSigningKey(env().config, 'eu');
    await assert.rejects(
      signCheckpoint(db, spaceId, key, new Date()),
      /does not verify at seq 32 .*: no checkpoint signed/,
    );
    const { rows } = await db.query<{ n: number }>(
      'SELECT max(seq)::int AS n FROM history_checkpoints WHERE space_id = $1',
      [spaceId],
    );
    assert.equal(rows[0]!.n, 30);
  });
});
