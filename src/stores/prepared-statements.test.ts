import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../../test/harness/engines.ts';

const insert = `INSERT INTO kith_prepared_probe (id, label, doc, at, raw)
  VALUES ($1, $2, $3::jsonb, $4, $5) RETURNING id, label, doc, at, raw`;

forEachEngine('prepared statements', (env) => {
  test('a prepared statement answers as the plain one: values, nulls, rows, counts, errors', async () => {
    const db = await env().owner('sales');
    await db.exec(`CREATE TABLE IF NOT EXISTS kith_prepared_probe
      (id int PRIMARY KEY, label text, doc jsonb, at timestamptz, raw bytea)`);
    try {
      const at = new Date('2026-01-02T03:04:05.678Z');
      const first = await db.transaction((tx) =>
        tx.query<{ id: number; label: string; doc: unknown; at: Date; raw: Uint8Array }>(
          insert,
          [1, 'a', '{"x":[1,"y"]}', at, Buffer.from('hi')],
          { prepared: true },
        ),
      );
      assert.equal(first.rowCount, 1);
      const row = first.rows[0];
      assert.equal(row?.id, 1);
      assert.equal(row?.label, 'a');
      assert.deepEqual(row?.doc, { x: [1, 'y'] });
      assert.equal(row?.at.toISOString(), at.toISOString());
      assert.equal(Buffer.from(row?.raw ?? []).toString(), 'hi');
      // The same text again (parsed once), with nulls.
      const second = await db.transaction((tx) =>
        tx.query<{ label: string | null; raw: unknown }>(
          insert,
          [2, null, '[]', '2020-01-01T00:00:00Z', null],
          { prepared: true },
        ),
      );
      assert.equal(second.rows[0]?.label, null);
      assert.equal(second.rows[0]?.raw, null);

      // A failing execution reports the database's error and its transaction rolls back.
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('UPDATE kith_prepared_probe SET label = $2 WHERE id = $1', [2, 'lost'], {
            prepared: true,
          });
          await tx.query(insert, [1, 'dup', '{}', at, null], { prepared: true });
        }),
        (error: { code?: string }) => error.code === '23505',
      );
      await assert.rejects(
        db.transaction((tx) => tx.query('SELEC 1', [], { prepared: true })),
        (error: { code?: string }) => error.code === '42601',
      );
      // Statements made after a failed one are their own.
      for (const k of [1, 2]) {
        const sum = await db.transaction((tx) =>
          tx.query<{ n: number }>(`SELECT $1::int + ${k} AS n`, [40], { prepared: true }),
        );
        assert.equal(sum.rows[0]?.n, 40 + k);
      }
      const counted = await db.transaction((tx) =>
        tx.query('UPDATE kith_prepared_probe SET label = $2 WHERE id = $1', [3, 'none'], {
          prepared: true,
        }),
      );
      assert.equal(counted.rowCount, 0);
      const { rows } = await db.query<{ id: number; label: string | null }>(
        'SELECT id, label FROM kith_prepared_probe ORDER BY id',
      );
      assert.deepEqual(
        rows.map((r) => [r.id, r.label]),
        [
          [1, 'a'],
          [2, null],
        ],
      );
    } finally {
      await db.exec('DROP TABLE kith_prepared_probe');
    }
  });
});
