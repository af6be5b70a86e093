import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffContacts, isContactField } from './contact-diff.ts';
import { type ContactFields, emptyContactFields } from './contact-model.ts';

const at = new Date('2026-11-25T10:00:00Z');

function contact(fields: Partial<ContactFields>): ContactFields {
  return { ...emptyContactFields(), ...fields };
}

test('a creation records every field that holds a value, from null', () => {
  const created = contact({
    firstName: 'Ada',
    tags: ['a', 'b'],
    customFields: { age: 36 },
    consents: {
      email: { status: 'granted', source: 'api', at },
      sms: emptyContactFields().consents.sms,
      phone: emptyContactFields().consents.phone,
    },
  });
  assert.deepEqual(diffContacts(null, created), [
    { field: 'firstName', from: null, to: 'Ada' },
    { field: 'tags', from: null, to: ['a', 'b'] },
    { field: 'customFields.age', from: null, to: 36 },
    { field: 'consents.email', from: null, to: 'granted' },
    { field: 'doNotContact', from: null, to: false },
    { field: 'doNotSell', from: null, to: false },
  ]);
});

test('an update records only what changed, field by field', () => {
  const before = contact({
    firstName: 'Ada',
    email: 'a@x.org',
    tags: ['a'],
    customFields: { age: 36, size: 'm' },
  });
  const after = contact({
    firstName: 'Ada',
    email: null,
    tags: ['a', 'b'],
    customFields: { age: 37 },
    doNotSell: true,
  });
  assert.deepEqual(diffContacts(before, after), [
    { field: 'email', from: 'a@x.org', to: null },
    { field: 'tags', from: ['a'], to: ['a', 'b'] },
    { field: 'customFields.age', from: 36, to: 37 },
    { field: 'customFields.size', from: 'm', to: null },
    { field: 'doNotSell', from: false, to: true },
  ]);
  assert.deepEqual(diffContacts(after, after), []);
});

test('a consent compares by status: a new source alone is no change', () => {
  const before = contact({});
  const after = contact({
    consents: { ...before.consents, sms: { status: 'unknown', source: 'form', at } },
  });
  assert.deepEqual(diffContacts(before, after), []);
});

test('contact field names', () => {
  for (const field of ['email', 'tags', 'doNotSell', 'consents.sms', 'customFields.level_2']) {
    assert.ok(isContactField(field), field);
  }
  for (const field of [
    'id',
    'createdBy',
    'consents.fax',
    'customFields.__proto__',
    'customFields.',
  ]) {
    assert.ok(!isContactField(field), field);
  }
});
