import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../../test/harness/engines.ts';
import { readSpaceTables } from './space-tables.ts';

forEachEngine('space tables of a region store', (env) => {
  test('lists every customer-data table, each after the tables it references', async () => {
    const tables = await readSpaceTables(await env().stores.region('eu'));
    const names = tables.map((table) => table.name);
    for (const expected of ['spaces', 'contacts', 'contact_tags', 'history_entries']) {
      assert.ok(names.includes(expected), `${expected} is listed`);
    }
    assert.ok(!names.includes('kith_store') && !names.includes('kith_schema_migrations'));
    for (const [index, table] of tables.entries()) {
      for (const parent of table.references) {
        assert.ok(names.indexOf(parent) < index, `${parent} comes before ${table.name}`);
      }
      assert.ok(table.primaryKey.length > 0, `${table.name} has a primary key`);
      assert.ok(
        table.columns.some((column) => column.name === 'space_id'),
        `${table.name} has space_id`,
      );
    }
    const contacts = tables.find((table) => table.name === 'contacts');
    assert.deepEqual(contacts?.primaryKey, ['space_id', 'id']);
    assert.equal(contacts?.columns.find((column) => column.name === 'id')?.type, 'uuid');
    assert.deepEqual(tables.find((table) => table.name === 'contact_tags')?.references, [
      'contacts',
    ]);
  });
});
