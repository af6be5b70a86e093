import assert from 'node:assert/strict';
import { PassThrough, type Writable } from 'node:stream';
import { before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import type { Database } from '../../stores/database.ts';
import { createRegionSpace } from '../history/history-test-support.ts';
import { neutraliseSql } from './copy-layouts.ts';
import { CrlfLines, countLineFeeds, crlfEveryLine } from './crlf-lines.ts';
import { writeCsvExport } from './csv-writer.ts';
import { type ExportContent, type ExportTable, regionTables } from './export-content.ts';
import { readZip } from './exports.test-support.ts';
import { neutraliseFormula } from './formula-neutraliser.ts';
import { writeJsonExport, writeNdjsonExport } from './json-writers.ts';
import type { CopySource } from './space-copy.repository.ts';
import { writeXlsxExport } from './xlsx-writer.ts';

/** Texts that every rule of the writers has to get right. */
const texts: (string | null)[] = [
  null,
  '',
  'plain',
  'Zoé 😀',
  '=1+1',
  '+33 6',
  '-1',
  '@SUM(A1)',
  '\tx',
  '\rx',
  '  =cmd',
  '\u00a0@x',
  '\u3000-x',
  '\uff1dx',
  '\uff0bx',
  '\uff0dx',
  '\uff20x',
  ' lead',
  'trail ',
  '\u2003em',
  'em\u2003',
  'x\ufeff',
  'a,b',
  'say "hi"',
  'line\nbreak',
  'line\r\nbreak',
  'cr\rx',
  '\n',
  '_x0041_',
  '__x0041_x0042_',
  'a_x00zz_',
  'snake_case',
  '<b>&amp;</b>',
  '\u0001\u001f\u000b\u000c',
  'x\ufffe\uffff',
  'back\\slash',
  '\u2028\u2029',
  '\\.',
  `${'é'.repeat(20_000)}${'x'.repeat(20_000)}`,
  `=${'a'.repeat(40_000)}`,
];

const numbers = ['0', '-0', '12.50', '123456789012345', '1234567890123456', '-0.000001', null];
const floats = ['NaN', 'Infinity', '-Infinity', '1e+20', '0.1', '-2.5', null];
const jsons = ['{"a": "=x"}', '"=x"', '-5', '"line\\nbreak"', '[1, "two", null]', 'null', null];

/** A table of every kind of column, filled from the corpus above. */
async function createCorpus(owner: Database, db: Database, spaceId: string): Promise<void> {
  await owner.exec(`
    CREATE TABLE IF NOT EXISTS corpus_values (
      space_id uuid NOT NULL REFERENCES spaces (space_id) ON DELETE CASCADE,
      id integer NOT NULL,
      label text, code text COLLATE "C", small smallint, big bigint, amount numeric,
      ratio double precision, flag boolean, data jsonb, tags text[], raw bytea, day date,
      at timestamptz, local timestamp, ref uuid,
      PRIMARY KEY (space_id, id)
    );
    GRANT ALL ON corpus_values TO PUBLIC;`);
  for (const [i, text] of texts.entries()) {
    await db.query(
      `INSERT INTO corpus_values VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        spaceId,
        i,
        text,
        text === null ? null : `${text}-${i}`.slice(0, 200),
        i % 3 === 0 ? null : -i,
        i % 4 === 0 ? null : 2 ** 40 * i,
        numbers[i % numbers.length],
        floats[i % floats.length],
        i % 5 === 0 ? null : i % 2 === 0,
        jsons[i % jsons.length],
        i % 6 === 0 ? null : [text ?? 'x', '=y', 'a"b'],
        i % 7 === 0 ? null : Buffer.from([i, 0, 255]),
        i % 8 === 0 ? null : i === 9 ? '0044-03-15 BC' : '2026-02-03',
        i % 3 === 1 ? null : i === 5 ? 'infinity' : new Date(Date.UTC(2026, 0, 1, 0, 0, i, 123)),
        i % 3 === 2 ? null : '2026-01-01 10:00:00.5',
        i % 2 === 0 ? null : '00000000-0000-4000-8000-000000000001',
      ],
    );
  }
  await db.query(
    `INSERT INTO contacts (space_id, id, first_name, last_name, custom_fields, created_at, updated_at)
     SELECT $1, gen_random_uuid(), $2 || i, 'Nom', jsonb_build_object('note', $2 || i), now(), now()
       FROM generate_series(1, 7) AS i`,
    [spaceId, '=HYPERLINK("x")'],
  );
}

async function output(
  writer: (out: Writable, content: ExportContent) => Promise<void>,
  tables: ExportTable[],
): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (chunk: Buffer) => parts.push(chunk));
  const content: ExportContent = {
    header: {
      exportId: '00000000-0000-4000-8000-000000000000',
      spaceId: '00000000-0000-4000-8000-000000000000',
      region: 'eu',
      createdAt: '2026-12-03T05:00:00.000000Z',
      format: 'csv',
    },
    tables,
    onRows: () => undefined,
  };
  await writer(out, content);
  out.end();
  return Buffer.concat(parts);
}

/** The tables read by COPY in pages of `pageRows`, and the same tables left to the writers. */
function bothWays(tables: ExportTable[], pageRows: number) {
  const copied = tables.map(
    (table): ExportTable => ({
      ...table,
      copy: (layout) => table.copy?.(layout, () => pageRows),
    }),
  );
  const written = tables.map(({ copy: _copy, ...table }): ExportTable => table);
  return { copied, written };
}

/**
 * `text`'s lines sorted, each without the CR or comma that ends it (which the
 * table's last row lacks in JSON), sheet rows one a line: the same rows in any order.
 */
function anyOrder(text: string): string {
  return text
    .replaceAll('</row>', '</row>\n')
    .split('\n')
    .map((line) => line.replace(/\r$/, '').replace(/,$/, ''))
    .sort()
    .join('\n');
}

test('the SQL and the JavaScript neutralisers: same rule (pure, see the engines below)', () => {
  assert.equal(neutraliseFormula(' =x'), "' =x");
  assert.match(neutraliseSql('v'), /^CASE WHEN ascii\(v\) IN/);
});

test('CRLF lines: a line feed inside quotes is data, across chunk boundaries', () => {
  const lines = new CrlfLines();
  const out = Buffer.concat([
    lines.transform(Buffer.from('a,"x\n')),
    lines.transform(Buffer.from('y""\n",b\nc\n')),
  ]);
  assert.equal(out.toString(), 'a,"x\ny""\n",b\r\nc\r\n');
});

test('CRLF lines: the same bytes as a byte-by-byte walk, on random text cut at random points', () => {
  const reference = (text: Buffer) => {
    const out: number[] = [];
    let quoted = false;
    for (const byte of text) {
      if (byte === 0x22) {
        quoted = !quoted;
      } else if (byte === 0x0a && !quoted) {
        out.push(0x0d);
      }
      out.push(byte);
    }
    return Buffer.from(out);
  };
  const alphabet = ['"', '\n', 'a', ',', 'é', '""', '\r'];
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 300; round += 1) {
    const text = Buffer.from(
      Array.from({ length: random(200) }, () => alphabet[random(alphabet.length)]).join(''),
    );
    const lines = new CrlfLines();
    const pieces: Buffer[] = [];
    for (let at = 0; at < text.length; ) {
      const size = 1 + random(40);
      pieces.push(lines.transform(text.subarray(at, at + size)));
      at += size;
    }
    assert.deepEqual(Buffer.concat(pieces), reference(text), `round ${round}`);
  }
});

test('CRLF on a whole page: every byte kept, a CR before each line feed', () => {
  const page = Buffer.from('Zoé 😀,"{""a"": 1}"\n\u00ff\u0100,x\n');
  assert.equal(countLineFeeds([page, Buffer.from('\n\n')]), 4);
  assert.equal(crlfEveryLine(page).toString('utf8'), 'Zoé 😀,"{""a"": 1}"\r\n\u00ff\u0100,x\r\n');
});

forEachEngine('COPY layouts match the writers', (env, engine) => {
  let db: Database;
  let spaceId = '';
  const withTables = async <T>(fn: (tables: ExportTable[]) => Promise<T>): Promise<T> => {
    // PostgreSQL reads in a transaction (streamed pages), PGlite page by page.
    if (engine === 'postgres') {
      return db.transaction(async (tx) => fn(await regionTables(tx as CopySource, spaceId)));
    }
    return fn(await regionTables(db, spaceId));
  };

  before(async () => {
    db = await env().stores.region('eu');
    spaceId = await createRegionSpace(db);
    await createCorpus(await env().owner('region_eu'), db, spaceId);
  });

  test('neutralisation in SQL agrees with formula-neutraliser.ts on the corpus', async () => {
    for (const text of texts) {
      const { rows } = await db.query<{ v: string | null }>(
        `SELECT ${neutraliseSql('$1::text')} AS v`,
        [text],
      );
      assert.equal(rows[0]?.v, text === null ? null : neutraliseFormula(text), String(text));
    }
  });

  test('a table within one page comes whole with its counted rows (PostgreSQL: one COPY); bounded, in pages of at most the bound', async () => {
    await withTables(async (tables) => {
      const corpus = tables.find((table) => table.name === 'corpus_values');
      const pages: number[] = [];
      for await (const page of corpus?.copy?.('csv') ?? []) {
        pages.push(page.rows);
      }
      assert.ok((corpus?.expectedRows ?? 0) > 4);
      assert.deepEqual(pages, [corpus?.expectedRows]);
      // Bounded below its rows (an XLSX sheet's room), PostgreSQL pages by key too.
      const bounded: number[] = [];
      for await (const page of corpus?.copy?.('csv', () => 4) ?? []) {
        bounded.push(page.rows);
      }
      assert.equal(
        bounded.reduce((sum, rows) => sum + rows, 0),
        corpus?.expectedRows,
      );
      assert.ok(bounded.every((rows) => rows <= 4));
    });
  });

  for (const pageRows of [4, 1000]) {
    test(`CSV, JSON, NDJSON and XLSX: the same bytes as the writers (pages of ${pageRows})`, async () => {
      await withTables(async (tables) => {
        const { copied, written } = bothWays(tables, pageRows);
        const corpus = copied.find((table) => table.name === 'corpus_values');
        for (const layout of ['csv', 'json', 'ndjson', 'xlsx'] as const) {
          assert.ok(corpus?.copy?.(layout), `the corpus table has a ${layout} COPY layout`);
        }
        // PostgreSQL reads a table that fits in one page by one COPY in storage
        // order (space-copy.repository.ts): there the same lines, in any order.
        const same = engine === 'postgres' ? anyOrder : (text: string) => text;
        for (const writer of [writeJsonExport, writeNdjsonExport]) {
          const fast = (await output(writer, copied)).toString('utf8');
          const slow = (await output(writer, written)).toString('utf8');
          assert.equal(same(fast), same(slow), writer.name);
          assert.ok(fast.includes('"label":"line\\nbreak"'), writer.name);
        }
        for (const writer of [writeCsvExport, writeXlsxExport]) {
          const fast = readZip(await output(writer, copied));
          const slow = readZip(await output(writer, written));
          assert.deepEqual([...fast.keys()], [...slow.keys()], writer.name);
          for (const [name, bytes] of slow) {
            const mine = fast.get(name)?.toString('utf8') ?? '';
            // A COPY sheet separates its rows by a line feed, white space between elements.
            const theirs =
              writer === writeXlsxExport ? mine.replaceAll('</row>\n', '</row>') : mine;
            assert.equal(same(theirs), same(bytes.toString('utf8')), `${writer.name} ${name}`);
          }
        }
      });
    });
  }
});
