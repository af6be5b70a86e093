import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { redactSubject } from './history-redaction.ts';
import { contactUpdate, createRegionSpace } from './history-test-support.ts';
import { verifyHistory } from './history-verifier.ts';
import { appendHistoryEntries } from './history-writer.ts';

const noCheckpoints = { checkpoints: [], publicKeys: new Map() };

forEachEngine('history redaction', (env) => {
  test('redacting a subject deletes its values only; entries stay and the chain still verifies', async () => {
    const db = await env().stores.region('eu');
    const spaceId = await createRegionSpace(db);
    const otherSpace = await createRegionSpace(db);
    const erased = randomUUID();
    const kept = randomUUID();
    await db.transaction(async (tx) => {
      await appendHistoryEntries(tx, spaceId, [
        contactUpdate(erased, 'email', null, 'erased@example.org'),
        contactUpdate(kept, 'email', null, 'kept@example.org'),
        contactUpdate(erased, 'email', 'erased@example.org', 'new@example.org'),
        { ...contactUpdate(kept, 'note', null, 'met erased person'), subjectId: kept },
      ]);
      await appendHistoryEntries(tx, otherSpace, [
        contactUpdate(erased, 'email', null, 'same-id@example.org'),
      ]);
    });
    const entriesBefore = await db.query(
      'SELECT * FROM history_entries WHERE space_id = $1 ORDER BY seq',
      [spaceId],
    );

    const deleted = await db.transaction((tx) => redactSubject(tx, spaceId, erased));
    assert.equal(deleted, 3, 'one value of the first entry, two of the third');

    const values = await db.query<{ seq: number; value: unknown }>(
      'SELECT seq, value FROM history_values WHERE space_id = $1 ORDER BY seq',
      [spaceId],
    );
    assert.deepEqual(values.rows, [
      { seq: 2, value: 'kept@example.org' },
      { seq: 4, value: 'met erased person' },
    ]);
    const entriesAfter = await db.query(
      'SELECT * FROM history_entries WHERE space_id = $1 ORDER BY seq',
      [spaceId],
    );
    assert.deepEqual(
      entriesAfter.rows,
      entriesBefore.rows,
      'who did what to which field, and when, is kept',
    );
    const text = JSON.stringify(entriesAfter.rows);
    assert.ok(
      !text.includes('erased@example.org') && !text.includes('new@example.org'),
      'no value is left in the entries',
    );

    const result = await verifyHistory(db, spaceId, noCheckpoints);
    assert.deepEqual([result.ok, result.count], [true, 4]);
    const other = await db.query(
      'SELECT count(*)::int AS n FROM history_values WHERE space_id = $1',
      [otherSpace],
    );
    assert.deepEqual(
      other.rows,
      [{ n: 1 }],
      'another Space’s history is untouched, even for the same id',
    );
    assert.equal(await db.transaction((tx) => redactSubject(tx, spaceId, erased)), 0, 'idempotent');
  });
});
