import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeOrderedUuid } from './import-ids.ts';

const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('time-ordered ids are UUID version 7 carrying the time, and ascend within and across milliseconds', () => {
  const at = Date.UTC(2026, 11, 6, 12, 0, 0, 123);
  const ids = [
    ...Array.from({ length: 5000 }, () => timeOrderedUuid(at)),
    ...Array.from({ length: 10 }, () => timeOrderedUuid(at + 1)),
    // A clock that goes back does not break the order.
    ...Array.from({ length: 10 }, () => timeOrderedUuid(at - 5)),
  ];
  for (const id of ids) {
    assert.match(id, v7);
  }
  assert.equal(Number.parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16), at);
  assert.equal(Number.parseInt(ids[5000]!.replace(/-/g, '').slice(0, 12), 16), at + 1);
  assert.equal(new Set(ids).size, ids.length);
  const sorted = [...ids].sort();
  assert.deepEqual(ids, sorted, 'each id sorts after the one before');
});
