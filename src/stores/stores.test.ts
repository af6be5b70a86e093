import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { forEachEngine } from '../../test/harness/engines.ts';

forEachEngine('stores', (env) => {
  test('each store is its own database and knows which store it is', async () => {
    const { stores } = env();
    const platform = await stores.platform();
    const eu = await stores.region('eu');
    const hr = await stores.department('hr');
    for (const [db, name] of [
      [platform, 'platform'],
      [eu, 'region_eu'],
      [hr, 'hr'],
    ] as const) {
      const { rows } = await db.query<{ name: string }>('SELECT name FROM kith_store');
      assert.deepEqual(rows, [{ name }]);
    }
    const tables = await eu.query<{ t: string }>(`SELECT to_regclass('public.users')::text AS t`);
    assert.equal(tables.rows[0]?.t, null, 'the region store holds no users table');
  });

  test('a region store refuses a Space of another region', async () => {
    const eu = await env().stores.region('eu');
    await eu.query(`INSERT INTO spaces (space_id, region, country) VALUES ($1, 'eu', 'FR')`, [
      randomUUID(),
    ]);
    await assert.rejects(
      eu.query(`INSERT INTO spaces (space_id, region, country) VALUES ($1, 'us', 'US')`, [
        randomUUID(),
      ]),
      /residency: Space .* belongs to region us, this store holds region eu/,
    );
  });

  test('stores open lazily: an unused region or department is never opened', async () => {
    const { stores } = env();
    await stores.platform();
    assert.ok(!stores.opened().includes('region_au'));
    assert.ok(!stores.opened().includes('sales'));
  });

  test('a region not configured is an error, not a fallback', async () => {
    assert.throws(() => env().stores.region('mars'), /region mars is not configured/);
  });
});

forEachEngine('stores: bulk COPY in and out', (env) => {
  // The application's roles cannot create tables: the probes are temporary
  // tables of one transaction, so one connection on PostgreSQL.
  test('copyIn loads rows from a buffer or a stream of chunks; copyOutChunks streams them back', async () => {
    const db = await env().stores.department('hr');
    await db.transaction(async (tx) => {
      await tx.exec('CREATE TEMP TABLE copy_probe (n int, label text) ON COMMIT DROP');
      const copied = await tx.copyIn(
        'copy_probe (n, label)',
        Buffer.from('1,"a,b"\n2,"é"\n'),
        '(FORMAT csv)',
      );
      assert.equal(copied, 2);
      async function* chunks(): AsyncIterable<Buffer> {
        // Cut inside a row: the engine, not the caller, finds the row boundaries.
        yield Buffer.from('3\tthr');
        yield Buffer.from('ee\n4\tfour\n');
      }
      assert.equal(await tx.copyIn('copy_probe (n, label)', chunks()), 2);
      const { rows } = await tx.query<{ n: number; label: string }>(
        'SELECT n, label FROM copy_probe ORDER BY n',
      );
      assert.deepEqual(rows, [
        { n: 1, label: 'a,b' },
        { n: 2, label: 'é' },
        { n: 3, label: 'three' },
        { n: 4, label: 'four' },
      ]);
      const out: Buffer[] = [];
      for await (const chunk of tx.copyOutChunks(
        'SELECT n, label FROM copy_probe ORDER BY n',
        '(FORMAT csv)',
      )) {
        out.push(chunk);
      }
      assert.equal(Buffer.concat(out).toString('utf8'), '1,"a,b"\n2,é\n3,three\n4,four\n');
    });
  });

  test('a transaction whose statement failed is rolled back and says so, even when the caller went on', async () => {
    const eu = await env().stores.region('eu');
    const spaceId = randomUUID();
    await assert.rejects(
      eu.transaction(async (tx) => {
        await tx.query(`INSERT INTO spaces (space_id, region, country) VALUES ($1, 'eu', 'FR')`, [
          spaceId,
        ]);
        await tx.query('SELECT 1 / 0').catch(() => undefined);
      }),
      /rolled back instead of committed/,
    );
    const { rows } = await eu.query('SELECT 1 FROM spaces WHERE space_id = $1', [spaceId]);
    assert.deepEqual(rows, [], 'nothing of the transaction was written');
  });

  test('a bad row fails the whole COPY and its transaction', async () => {
    const db = await env().stores.department('hr');
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.exec('CREATE TEMP TABLE copy_strict (n int NOT NULL) ON COMMIT DROP');
        await tx.copyIn('copy_strict (n)', Buffer.from('1\nnot-a-number\n'));
      }),
      /invalid input syntax for type integer/,
    );
  });

  test('copyOutChunks outside a transaction returns its connection to the pool', async () => {
    const db = await env().stores.department('hr');
    for (let round = 0; round < 25; round += 1) {
      const out: Buffer[] = [];
      for await (const chunk of db.copyOutChunks('SELECT generate_series(1, 3)')) {
        out.push(chunk);
      }
      assert.equal(Buffer.concat(out).toString(), '1\n2\n3\n');
    }
  });

  test('a consumer that stops reading early does not poison the pool', async () => {
    const db = await env().stores.department('hr');
    for (let round = 0; round < 15; round += 1) {
      for await (const _chunk of db.copyOutChunks('SELECT generate_series(1, 200000)')) {
        break;
      }
    }
    const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }]);
  });
});
