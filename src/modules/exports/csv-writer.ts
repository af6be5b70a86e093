import type { Writable } from 'node:stream';
import { CrlfLines, countLineFeeds, crlfEveryLine } from './crlf-lines.ts';
import type { ExportColumn, ExportRow } from './export-columns.ts';
import type { ExportContent, ExportTable } from './export-content.ts';
import { manifestJson } from './export-manifest.ts';
import { neutraliseFormula } from './formula-neutraliser.ts';
import { ZipOutput } from './zip-output.ts';

/** Deflate level of CSV entries: level 1 keeps the writer near COPY's speed and still shrinks text ~4×. */
const csvDeflateLevel = 1;
const byteOrderMark = '\ufeff';
const needsQuotes = /[",\r\n]/;

/** One CSV field (RFC 4180): null is an empty field, the empty string is `""`. */
function csvField(column: ExportColumn, text: string | null): string {
  if (text === null) {
    return '';
  }
  const value = column.kind === 'string' || column.kind === 'json' ? neutraliseFormula(text) : text;
  if (value === '') {
    return '""';
  }
  return needsQuotes.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvLine(columns: readonly ExportColumn[], row: ExportRow): string {
  let line = '';
  for (let i = 0; i < columns.length; i += 1) {
    line += (i === 0 ? '' : ',') + csvField(columns[i] as ExportColumn, row[i] ?? null);
  }
  return `${line}\r\n`;
}

/**
 * Writes the rows of `table`; returns how many. The engine's COPY writes the
 * CSV (copy-layouts.ts: the same fields, neutralised in SQL) where it can; the
 * JavaScript writer above does the rest (members).
 */
async function writeRows(
  table: ExportTable,
  content: ExportContent,
  write: (chunk: string | Buffer) => Promise<void>,
): Promise<number> {
  let count = 0;
  const copied = table.copy?.('csv');
  if (copied) {
    const lines = new CrlfLines();
    for await (const page of copied) {
      const { chunks } = page;
      if (page.crlf) {
        // PostgreSQL wrote each row's CR LF as it framed the row.
        for await (const chunk of chunks) {
          await write(chunk);
        }
      } else if (!(Symbol.asyncIterator in chunks) && countLineFeeds(chunks) === page.rows) {
        // A whole page (PGlite) with no line feed inside a field: no quote to follow.
        for (const chunk of chunks) {
          await write(crlfEveryLine(chunk));
        }
      } else {
        for await (const chunk of chunks) {
          await write(lines.transform(chunk));
        }
      }
      count += page.rows;
      content.onRows(table.name, page.rows);
    }
    return count;
  }
  for await (const page of table.pages()) {
    let text = '';
    for (const row of page) {
      text += csvLine(table.columns, row);
    }
    count += page.length;
    await write(text);
    content.onRows(table.name, page.length);
  }
  return count;
}

/**
 * A zip of `<table>.csv` per table (UTF-8 with BOM, CRLF, a header line of column
 * names) and `manifest.json` last, once the row counts are known.
 */
export async function writeCsvExport(out: Writable, content: ExportContent): Promise<void> {
  const zip = new ZipOutput(out, new Date(content.header.createdAt));
  const counts: Record<string, number> = {};
  for (const table of content.tables) {
    let count = 0;
    await zip.entry(
      `${table.name}.csv`,
      async (write) => {
        const header = table.columns.map((column) => column.name).join(',');
        await write(`${byteOrderMark}${header}\r\n`);
        count = await writeRows(table, content, write);
      },
      csvDeflateLevel,
    );
    counts[table.name] = count;
  }
  await zip.entry('manifest.json', (write) => write(manifestJson(content, counts)));
  await zip.close();
}
