import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../../test/harness/engines.ts';
import type { CopyOut } from './database.ts';

/**
 * PostgreSQL's COPY out as the stores read it (copy-out-stream.ts unwraps the
 * protocol's messages itself): whole output, rows framed by their messages,
 * CR LF row ends for CSV files, errors and notices in the middle of a COPY.
 */

async function text(chunks: AsyncIterable<Buffer>): Promise<string> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) {
    all.push(chunk);
  }
  return Buffer.concat(all).toString('utf8');
}

function crlfOf(db: CopyOut): NonNullable<CopyOut['copyOutCrlfChunks']> {
  assert.ok(db.copyOutCrlfChunks, 'PostgreSQL frames rows: CR LF row ends are available');
  return db.copyOutCrlfChunks.bind(db);
}

forEachEngine('stores: COPY out', (env, engine) => {
  test('large outputs arrive whole, in order, byte for byte', async () => {
    const db = await env().stores.department('hr');
    // ~2 MB over many socket reads: message headers and rows cut at every place.
    const select = `SELECT i, repeat(chr(97 + i % 26), i % 97), md5(i::text) FROM generate_series(1, 60000) AS i`;
    const out = await text(db.copyOutChunks(select, '(FORMAT csv)'));
    const lines = out.split('\n');
    assert.equal(lines.pop(), '', 'the output ends with a row end');
    assert.equal(lines.length, 60000);
    for (const i of [1, 2, 96, 97, 12345, 60000]) {
      const [n, letters, digest] = (lines[i - 1] as string).split(',');
      assert.equal(Number(n), i);
      // An empty string is written "" in CSV (a null would be nothing).
      assert.equal(
        letters,
        i % 97 === 0 ? '""' : String.fromCharCode(97 + (i % 26)).repeat(i % 97),
      );
      assert.match(digest as string, /^[0-9a-f]{32}$/);
    }
  });

  test('a COPY that fails before or in the middle of its rows rejects, and the store goes on', async () => {
    const db = await env().stores.department('hr');
    await assert.rejects(text(db.copyOutChunks('SELEC 1')), /syntax error/);
    // The error comes after some 100,000 rows have been sent.
    const failing = `SELECT CASE WHEN i < 100000 THEN i ELSE 1 / (200000 - i) END FROM generate_series(1, 300000) AS i`;
    await assert.rejects(text(db.copyOutChunks(failing)), /division by zero/);
    // Inside a transaction too; the transaction is then aborted, and says so
    // at its end even though the caller went on.
    await assert.rejects(
      db.transaction(async (tx) => {
        await assert.rejects(text(tx.copyOutChunks(failing)), /division by zero/);
      }),
      /rolled back instead of committed/,
    );
    const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }]);
  });

  test('a consumer that fails in the middle of a COPY inside a transaction: the transaction rejects with its error, and the store goes on', async () => {
    const db = await env().stores.department('hr');
    for (let round = 0; round < 3; round += 1) {
      await assert.rejects(
        db.transaction(async (tx) => {
          for await (const _chunk of tx.copyOutChunks('SELECT generate_series(1, 2000000)')) {
            throw new Error('the export output failed');
          }
        }),
        /the export output failed/,
      );
    }
    await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ one: number }>('SELECT 1 AS one');
      assert.deepEqual(rows, [{ one: 1 }]);
    });
  });

  if (engine !== 'postgres') {
    return;
  }

  test('CR LF row ends: every row ends with CR LF; line breaks inside quoted fields stay', async () => {
    const db = await env().stores.department('hr');
    const long = 'z'.repeat(300_000);
    const select = `SELECT n, label FROM (VALUES
        (1, 'plain'), (2, E'two\\nlines'), (3, E'cr\\r\\nlf'), (4, 'say "hi"'), (5, ''),
        (6, NULL), (7, 'é,à'), (8, '${long}'), (9, E'ends with\\n'), (10, E'\\n')) AS t (n, label)
      ORDER BY n`;
    const expected = [
      '1,plain',
      '2,"two\nlines"',
      '3,"cr\r\nlf"',
      '4,"say ""hi"""',
      '5,""',
      '6,',
      '7,"é,à"',
      `8,${long}`,
      '9,"ends with\n"',
      '10,"\n"',
    ]
      .map((line) => `${line}\r\n`)
      .join('');
    assert.equal(await text(crlfOf(db)(select, '(FORMAT csv)')), expected);
    await db.transaction(async (tx) => {
      assert.equal(await text(crlfOf(tx)(select, '(FORMAT csv)')), expected);
    });
  });

  test('CR LF row ends over many rows equal the plain output with each row end replaced', async () => {
    const db = await env().stores.department('hr');
    const select = `SELECT i, 'row ' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE i * 2 END FROM generate_series(1, 200000) AS i`;
    const plain = await text(db.copyOutChunks(select, '(FORMAT csv)'));
    const crlf = await text(crlfOf(db)(select, '(FORMAT csv)'));
    assert.equal(crlf.length, plain.length + 200000);
    assert.equal(crlf, plain.replaceAll('\n', '\r\n'));
  });

  test('notices sent in the middle of a COPY are skipped, not taken for rows', async () => {
    const db = await env().stores.department('hr');
    await db.transaction(async (tx) => {
      await tx.exec(`CREATE FUNCTION pg_temp.noisy(i int) RETURNS int LANGUAGE plpgsql AS $$
        BEGIN
          IF i % 1000 = 0 THEN RAISE NOTICE 'at %', i; END IF;
          RETURN i;
        END $$`);
      const out = await text(
        crlfOf(tx)('SELECT pg_temp.noisy(i) FROM generate_series(1, 5000) AS i', '(FORMAT csv)'),
      );
      const expected = Array.from({ length: 5000 }, (_, i) => `${i + 1}\r\n`).join('');
      assert.equal(out, expected);
      const { rows } = await tx.query<{ n: number }>('SELECT pg_temp.noisy(7) AS n');
      assert.deepEqual(rows, [{ n: 7 }]);
    });
  });

  test('a consumer that stops early leaves the pool usable', async () => {
    const db = await env().stores.department('hr');
    for (let round = 0; round < 12; round += 1) {
      for await (const _chunk of crlfOf(db)('SELECT generate_series(1, 200000)', '(FORMAT csv)')) {
        break;
      }
    }
    const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }]);
  });
});
