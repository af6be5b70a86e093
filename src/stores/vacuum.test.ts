import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../../test/harness/engines.ts';
import { vacuumWhereNeeded } from './vacuum.ts';

forEachEngine('vacuum of what the platform writes', (env) => {
  test('a table with many dead rows is vacuumed; an untouched one is not', async () => {
    const db = await env().owner('sales');
    await db.exec('CREATE TABLE IF NOT EXISTS kith_vacuum_probe (n int)');
    await db.query('INSERT INTO kith_vacuum_probe SELECT g FROM generate_series(1, 500) g');
    await db.query('DELETE FROM kith_vacuum_probe WHERE n <= 400');
    const vacuumed = await vacuumWhereNeeded(db);
    assert.ok(vacuumed.includes('kith_vacuum_probe'), `vacuumed: ${vacuumed.join(', ')}`);
    const again = await vacuumWhereNeeded(db);
    assert.ok(!again.includes('kith_vacuum_probe'), 'nothing left to vacuum right after');
    await db.exec('DROP TABLE kith_vacuum_probe');
  });
});
