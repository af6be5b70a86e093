import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  likePrefix,
  normaliseText,
  phoneDigits,
  searchColumnsOf,
  searchPrefixesOf,
} from './contact-search.ts';

test('normaliseText folds case, accents, compatibility forms and whitespace', () => {
  assert.equal(normaliseText('Éloïse'), 'eloise');
  assert.equal(normaliseText('  ÉLO  Ïse '), 'elo ise');
  assert.equal(normaliseText('Ｊｅａｎ'), 'jean');
  assert.equal(normaliseText('Łukasz Størmer'), 'lukasz stormer');
  assert.equal(normaliseText('Straße'), 'strasse');
  assert.equal(normaliseText('İstanbul'), 'istanbul');
  assert.equal(normaliseText(null), '');
});

test('normaliseText on ASCII text is the full folding (its fast path changes nothing)', () => {
  const full = (value: string) =>
    value.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').replace(/\s+/gu, ' ').trim();
  for (let code = 0; code < 128; code += 1) {
    const value = ` A${String.fromCharCode(code)}b\t\tC  ${String.fromCharCode(code)} `;
    assert.equal(normaliseText(value), full(value), `code ${code}`);
  }
  assert.equal(normaliseText("  Jean-Luc\u000b\fO'Neil\r\n"), "jean-luc o'neil");
});

test('phoneDigits keeps digits only', () => {
  assert.equal(phoneDigits('+33 (0)6 12-34.56'), '3306123456');
  assert.equal(phoneDigits(null), '');
});

test('search columns: full name is "first last", normalised', () => {
  assert.deepEqual(
    searchColumnsOf({
      firstName: 'Éloïse',
      lastName: 'Dupré',
      email: 'E@X.org',
      phone: '+1 (555) 010',
    }),
    {
      firstName: 'eloise',
      lastName: 'dupre',
      fullName: 'eloise dupre',
      email: 'e@x.org',
      phone: '1555010',
    },
  );
  assert.equal(
    searchColumnsOf({ firstName: null, lastName: 'Ng', email: null, phone: null }).fullName,
    'ng',
  );
});

test('a query searches phone digits only when it looks like a phone number', () => {
  assert.deepEqual(searchPrefixesOf('+33 6'), { text: '+33 6', digits: '336' });
  assert.deepEqual(searchPrefixesOf('élo'), { text: 'elo', digits: null });
  assert.deepEqual(searchPrefixesOf('a1'), { text: 'a1', digits: null });
});

test('LIKE wildcards in a prefix are literal', () => {
  assert.equal(likePrefix('50%_off\\'), '50\\%\\_off\\\\%');
});
