import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import type { Queryable } from '../../stores/database.ts';
import { createRegionSpace, sampleEntries } from './history-test-support.ts';
import { verifyHistory } from './history-verifier.ts';
import { appendHistoryEntries } from './history-writer.ts';

/**
 * SPEC 4.3 / issue #3 deliverable 3: the application cannot rewrite history. On
 * PostgreSQL its role holds SELECT, INSERT only; on both engines a trigger refuses
 * UPDATE, DELETE and TRUNCATE, even to the tables' owner.
 */
const rewrites: [string, string][] = [
  [
    'UPDATE history_entries',
    `UPDATE history_entries SET action = 'contact.delete' WHERE space_id = $1`,
  ],
  ['DELETE history_entries', 'DELETE FROM history_entries WHERE space_id = $1'],
  ['TRUNCATE history_entries', 'TRUNCATE history_entries CASCADE'],
  ['UPDATE history_checkpoints', 'UPDATE history_checkpoints SET seq = seq WHERE space_id = $1'],
  ['DELETE history_checkpoints', 'DELETE FROM history_checkpoints WHERE space_id = $1'],
  ['TRUNCATE history_checkpoints', 'TRUNCATE history_checkpoints'],
  ['UPDATE history_values', `UPDATE history_values SET value = '"x"' WHERE space_id = $1`],
  ['TRUNCATE history_values', 'TRUNCATE history_values'],
];

async function attempt(db: Queryable, sql: string, spaceId: string): Promise<unknown> {
  return db.query(sql, sql.includes('$1') ? [spaceId] : []);
}

async function stateOf(db: Queryable, spaceId: string): Promise<string> {
  const tables = ['history_entries', 'history_values', 'history_checkpoints', 'history_heads'];
  const parts = [];
  for (const table of tables) {
    parts.push(
      (await db.query(`SELECT * FROM ${table} WHERE space_id = $1 ORDER BY 2`, [spaceId])).rows,
    );
  }
  return JSON.stringify(parts);
}

forEachEngine('history is append-only', (env, engine) => {
  const seed = async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(5)));
    await db.query(
      `INSERT INTO history_checkpoints (space_id, seq, hash, signed_at, key_id, signature)
       SELECT space_id, seq, hash, now(), 'test', '\\x00'::bytea FROM history_heads WHERE space_id = $1`,
      [spaceId],
    );
    return { db, spaceId };
  };

  for (const [label, sql] of rewrites) {
    test(`${label} from the application’s own connection fails and changes nothing`, async () => {
      const { db, spaceId } = await seed();
      const before = await stateOf(db, spaceId);
      const expected = engine === 'postgres' ? /permission denied/ : /history is append-only/;
      await assert.rejects(attempt(db, sql, spaceId), expected);
      assert.equal(await stateOf(db, spaceId), before);
      const result = await verifyHistory(db, spaceId, { checkpoints: [], publicKeys: new Map() });
      assert.deepEqual([result.ok, result.count], [true, 5]);
    });

    test(`${label} as the tables’ owner is refused by the trigger`, async () => {
      const { db, spaceId } = await seed();
      const owner = await env().owner('region_eu');
      const before = await stateOf(db, spaceId);
      await assert.rejects(
        attempt(owner, sql, spaceId),
        /history is append-only: (UPDATE|DELETE|TRUNCATE) on history_/,
      );
      assert.equal(await stateOf(db, spaceId), before);
    });
  }

  test('erasure may delete values: the one rewrite the application is allowed', async () => {
    const { db, spaceId } = await seed();
    const deleted = await db.query('DELETE FROM history_values WHERE space_id = $1 AND seq = 1', [
      spaceId,
    ]);
    assert.ok(deleted.rowCount > 0);
  });

  if (engine === 'postgres') {
    test('the application’s role can neither disable the triggers nor grant itself more', async () => {
      const { db } = await seed();
      await assert.rejects(
        db.query('ALTER TABLE history_entries DISABLE TRIGGER USER'),
        /must be owner/,
      );
      await assert.rejects(db.query('SET session_replication_role = replica'), /permission denied/);
      // A GRANT by a non-owner grants nothing (PostgreSQL only warns): the grants below are unchanged.
      await db
        .query('GRANT UPDATE, DELETE, TRUNCATE ON history_entries TO CURRENT_USER')
        .catch(() => undefined);
      const { rows } = await db.query<{ p: string }>(
        `SELECT privilege_type AS p FROM information_schema.role_table_grants
          WHERE table_name = 'history_entries' AND grantee = current_user ORDER BY 1`,
      );
      assert.deepEqual(
        rows.map((r) => r.p),
        ['INSERT', 'SELECT'],
      );
    });
  }
});
