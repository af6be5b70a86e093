import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { readSpaceTables } from '../../stores/space-tables.ts';
import { createRegionSpace, sampleEntries } from '../history/history-test-support.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import { parseCopyText } from './copy-text.ts';
import { countSpaceRows, readSpaceRowPages } from './space-rows.repository.ts';

test('COPY text: nulls, escapes and empty strings', () => {
  assert.deepEqual(parseCopyText('a\\tb\t\\N\t\tx\\\\y\\nz\\r\n', 4), [
    ['a\tb', null, '', 'x\\y\nz\r'],
  ]);
  assert.throws(() => parseCopyText('a\tb\n', 3), /2 columns, expected 3/);
});

forEachEngine('reading a Space’s rows by keyset pages', (env) => {
  test('pages follow the key’s order (bigint, text, composite), each row once, other Spaces never', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const other = await createRegionSpace(db);
    // 25 entries: seq 1…25, where text order ('10' < '9') would lose or repeat rows.
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(25)));
    await db.transaction((tx) => appendHistoryEntries(tx, other, sampleEntries(4)));
    const tables = await readSpaceTables(db);
    const entries = tables.find((t) => t.name === 'history_entries');
    const values = tables.find((t) => t.name === 'history_values');
    assert.ok(entries && values);
    const seqAt = entries.columns.findIndex((c) => c.name === 'seq');
    const seqs: number[] = [];
    for await (const page of readSpaceRowPages(db, spaceId, entries, 4)) {
      assert.ok(page.length <= 4);
      seqs.push(...page.map((row) => Number(row[seqAt])));
    }
    assert.deepEqual(
      seqs,
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    // history_values: key (seq, idx, side), pages of 7, each row once.
    const keys: string[] = [];
    for await (const page of readSpaceRowPages(db, spaceId, values, 7)) {
      keys.push(...page.map((row) => `${row[1]}/${row[2]}/${row[3]}`));
    }
    assert.equal(keys.length, await countSpaceRows(db, spaceId, values));
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(keys.length > 25);
  });
});
