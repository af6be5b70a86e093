import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contactInput } from '../contacts/contacts.schemas.ts';
import { plainInput } from './import-row.ts';

/** Values each field may take in a row's input, valid or not, edge cases first. */
const samples: Record<string, unknown[]> = {
  firstName: [
    'Ann',
    '  Ann  ',
    '',
    'a'.repeat(200),
    'a'.repeat(201),
    'A\u0000n',
    'A\tB',
    '\ud800',
    3,
  ],
  lastName: ['Lé', 'x'.repeat(201), ' '.repeat(250)],
  street: ['1 rue', 's'.repeat(300), 's'.repeat(301)],
  postcode: ['75001', '1'.repeat(20), '1'.repeat(21)],
  city: ['Paris', 'c'.repeat(201)],
  email: [
    'a@example.org',
    '',
    'bad',
    'a@b',
    `${'a'.repeat(250)}@example.org`,
    ' a@example.org',
    'a.b+c@x-y.io',
    'a..b@x.io',
  ],
  phone: ['+33 6 12 34 56 78', '', '12', '(01) 23-45.67', 'abc', '++123'],
  country: ['FR', 'fr', 'FRA', '', 'F1'],
  tags: [
    ['a', 'b'],
    [' a ', 'b'],
    [''],
    ['x'.repeat(65)],
    Array.from({ length: 51 }, (_, i) => `t${i}`),
    Array.from({ length: 50 }, (_, i) => `t${i}`),
    ['a\nb'],
    'a',
  ],
  doNotContact: [true, false, 'maybe'],
  doNotSell: [false, 'yes'],
  consents: [
    { email: 'granted' },
    { sms: 'denied', phone: 'unknown' },
    { email: 'maybe' },
    { fax: 'granted' },
    {},
  ],
  customFields: [
    { age: 3 },
    { member: true },
    { note: 'n'.repeat(2000) },
    { note: 'n'.repeat(2001) },
    { age: 'x' },
    { ['k'.repeat(64)]: 1 },
    { age: Number.POSITIVE_INFINITY },
    { gone: null },
  ],
  other: [undefined, 'x'],
};

test('the hand-written row check accepts only what contactInput accepts, with the same output', () => {
  const fields = Object.keys(samples);
  let accepted = 0;
  let refused = 0;
  // Every single field with each of its samples, then pairs of fields.
  const inputs: Record<string, unknown>[] = [{}];
  for (const field of fields) {
    for (const value of samples[field] ?? []) {
      if (value !== undefined) {
        inputs.push({ [field]: value });
      }
    }
  }
  for (let i = 0; i < fields.length; i++) {
    for (let j = i + 1; j < fields.length; j++) {
      const a = fields[i] as string;
      const b = fields[j] as string;
      for (const va of samples[a] ?? []) {
        for (const vb of samples[b] ?? []) {
          inputs.push({ [a]: va, [b]: vb });
        }
      }
    }
  }
  for (const raw of inputs) {
    const fast = plainInput(raw);
    const schema = contactInput.safeParse(raw);
    if (fast === undefined) {
      refused += 1;
      continue;
    }
    accepted += 1;
    assert.ok(schema.success, `accepted by hand but refused by the schema: ${JSON.stringify(raw)}`);
    assert.deepEqual(fast, schema.data, JSON.stringify(raw));
  }
  // Typical valid rows take the fast path.
  assert.ok(
    plainInput({
      email: 'a@example.org',
      firstName: 'Ann',
      tags: ['x'],
      consents: { email: 'granted' },
    }),
  );
  assert.ok(accepted > 100 && refused > 100, `${accepted} accepted, ${refused} refused`);
});
