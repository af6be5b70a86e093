import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvTokenizer, type Delimiter, detectDelimiter, type SheetRow } from './csv-tokenizer.ts';
import type { ImportLimits } from './import-limits.ts';

const limits: ImportLimits = {
  maxUploadBytes: 1e9,
  maxRows: 1000,
  maxColumns: 50,
  maxCellChars: 1000,
  maxXlsxUncompressedBytes: 1e9,
  maxXlsxEntries: 100,
  workerMemoryMb: 64,
};

function tokenize(text: string, chunk: number, delimiter: Delimiter = ','): SheetRow[] {
  const tokenizer = new CsvTokenizer(delimiter, limits);
  const rows: SheetRow[] = [];
  for (let i = 0; i < text.length; i += chunk) {
    rows.push(...tokenizer.feed(text.slice(i, i + chunk)));
  }
  rows.push(...tokenizer.end());
  return rows;
}

const tricky = 'a,b,c\r\n"x, y","he said ""hi""",\r\n\r\n"multi\nline",plain"quote,z\r"",""\n"end"';

test('RFC 4180 records come out the same whatever the chunk boundaries', () => {
  const whole = tokenize(tricky, tricky.length);
  assert.deepEqual(whole, [
    { line: 1, cells: ['a', 'b', 'c'] },
    { line: 2, cells: ['x, y', 'he said "hi"', ''] },
    { line: 4, cells: ['multi\nline', 'plain"quote', 'z'] },
    { line: 6, cells: ['', ''] },
    { line: 7, cells: ['end'] },
  ]);
  for (const size of [1, 2, 3, 5, 7]) {
    assert.deepEqual(tokenize(tricky, size), whole, `chunks of ${size}`);
  }
});

test('an unclosed quote and the limits are errors naming the line', () => {
  assert.throws(() => tokenize('a\n"open\n', 3), /quoted cell opened on line 2 is never closed/);
  assert.throws(
    () => tokenize(`a\n${'x'.repeat(1001)}\n`, 64),
    /line 2 has a cell longer than 1000/,
  );
  assert.throws(() => tokenize(`a\n${','.repeat(50)}\n`, 8), /line 2 has more than 50 columns/);
  assert.throws(() => tokenize(`a\n${'x\n'.repeat(1001)}`, 100), /more than 1000 data rows/);
});

test('the delimiter is the one the header uses most, outside quotes', () => {
  assert.equal(detectDelimiter('a;b;c\n1,2'), ';');
  assert.equal(detectDelimiter('"a;b",c,d'), ',');
  assert.equal(detectDelimiter('a\tb|c\td'), '\t');
  assert.equal(detectDelimiter('a|b|c'), '|');
  assert.equal(detectDelimiter('single'), ',');
});
