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
