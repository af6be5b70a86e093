import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentDisposition } from './download-name.ts';
import { looksLikeFormula, neutraliseFormula } from './formula-neutraliser.ts';
import { escapeCellText, stringCell, valueCell } from './spreadsheet-xml.ts';

test('cells a spreadsheet would run are neutralised with a leading quote', () => {
  for (const payload of [
    '=1+1',
    '+1',
    '-1',
    '@SUM(A1)',
    '   =cmd|/c calc',
    '\u00a0=1',
    '\tabc',
    '\rabc',
    '\0abc',
    '\uff1d1+1',
  ]) {
    assert.ok(looksLikeFormula(payload), JSON.stringify(payload));
    assert.equal(neutraliseFormula(payload), `'${payload}`);
  }
  for (const text of ['Ada', 'a=b', 'x-1', 'mail@example.org', '', ' ', "'=already"]) {
    assert.equal(neutraliseFormula(text), text, JSON.stringify(text));
  }
});

test('XLSX cells are inline strings, never formulas, and escape what XML cannot hold', () => {
  const column = { name: 'first_name', type: 'text', kind: 'string' } as const;
  const cell = valueCell(column, '=HYPERLINK("http://evil","x")');
  assert.equal(cell, '<c t="inlineStr"><is><t>\'=HYPERLINK("http://evil","x")</t></is></c>');
  assert.doesNotMatch(cell, /<f>/);
  assert.equal(escapeCellText('a<b & c>d'), 'a&lt;b &amp; c&gt;d');
  assert.equal(escapeCellText('bell\u0007 cr\r'), 'bell_x0007_ cr_x000D_');
  assert.equal(escapeCellText('literal _x0041_'), 'literal _x005F_x0041_');
  assert.match(stringCell(' padded '), /xml:space="preserve"/);
  assert.equal(
    valueCell({ name: 'n', type: 'bigint', kind: 'number' }, '-42'),
    '<c><v>-42</v></c>',
  );
  assert.match(
    valueCell({ name: 'n', type: 'bigint', kind: 'number' }, '9007199254740993'),
    /inlineStr/,
    'beyond 15 digits a number is kept exactly, as text',
  );
  assert.equal(
    valueCell({ name: 'b', type: 'boolean', kind: 'boolean' }, 'true'),
    '<c t="b"><v>1</v></c>',
  );
  assert.equal(valueCell(column, null), '<c/>');
  assert.equal(stringCell('x'.repeat(40_000)).length < 33_000, true, 'cut to Excel’s cell limit');
});

test('Content-Disposition: an ASCII filename and the exact name as RFC 5987 filename*', () => {
  assert.equal(
    contentDisposition('Les Amis export 2026-12-02.json'),
    `attachment; filename="Les Amis export 2026-12-02.json"; filename*=UTF-8''Les%20Amis%20export%202026-12-02.json`,
  );
  const hostile = contentDisposition('Zoé "x"\r\nSet-Cookie: a=b; ../..\\evil.json');
  assert.doesNotMatch(hostile, /[\r\n]/);
  const ascii = /filename="([^"]*)"/.exec(hostile)?.[1] ?? '';
  assert.match(ascii, /^[A-Za-z0-9 ._()-]+$/);
  assert.ok(!ascii.startsWith('.'));
  assert.match(
    hostile,
    /filename\*=UTF-8''Zo%C3%A9%20%22x%22Set-Cookie%3A%20a%3Db%3B%20\.\.%2F\.\.%5Cevil\.json$/,
  );
});
