import type { Writable } from 'node:stream';
import { type ExportColumn, type ExportRow, isJsonNumber } from './export-columns.ts';
import { type ExportContent, type ExportTable, exportFormatVersion } from './export-content.ts';
import type { CopyPage } from './space-copy.repository.ts';
import { writeChunk } from './stream-writes.ts';

/**
 * The lossless formats (docs/export-format.md, "JSON" and "NDJSON"). Every row is
 * one object on its own line, so both are written page by page and read back
 * line by line (`json-export-reader.ts`) in constant memory.
 */

/** The JSON text of one value of `column` (null stays null). */
function jsonValue(column: ExportColumn, text: string | null): string {
  if (text === null) {
    return 'null';
  }
  switch (column.kind) {
    case 'boolean':
      return text === 'true' ? 'true' : 'false';
    case 'number':
      return isJsonNumber(text) ? text : JSON.stringify(text);
    case 'json':
      // jsonb text is one line; a json column keeps its author's line breaks, which
      // the one-row-per-line layout cannot carry: re-serialise those.
      return text.includes('\n') || text.includes('\r') ? JSON.stringify(JSON.parse(text)) : text;
    default:
      return JSON.stringify(text);
  }
}

/** A function that turns a row of `columns` into its JSON object text. */
function rowEncoder(columns: readonly ExportColumn[]): (row: ExportRow) => string {
  const keys = columns.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column.name)}:`);
  return (row) => {
    let text = '';
    for (let i = 0; i < columns.length; i += 1) {
      text += keys[i] + jsonValue(columns[i] as ExportColumn, row[i] ?? null);
    }
    return `${text}}`;
  };
}

function headerFields(content: ExportContent): string {
  const { exportId, spaceId, region, createdAt } = content.header;
  return `"format":"kith-export","version":${exportFormatVersion},"exportId":${JSON.stringify(exportId)},"spaceId":${JSON.stringify(spaceId)},"region":${JSON.stringify(region)},"createdAt":${JSON.stringify(createdAt)}`;
}

function columnsJson(columns: readonly ExportColumn[]): string {
  return JSON.stringify(columns.map(({ name, type }) => ({ name, type })));
}

/** The rows of a table of a JSON export by the writer: `\n{…}`, then `,\n{…}` for each next. */
async function writeJsonRows(
  out: Writable,
  table: ExportTable,
  content: ExportContent,
): Promise<number> {
  const encode = rowEncoder(table.columns);
  let count = 0;
  for await (const page of table.pages()) {
    let text = '';
    for (const row of page) {
      text += `${count === 0 ? '\n' : ',\n'}${encode(row)}`;
      count += 1;
    }
    await writeChunk(out, text);
    content.onRows(table.name, page.length);
  }
  return count;
}

/**
 * The same rows from COPY (copy-layouts.ts), each `{…},\n`: the first goes after
 * a `\n`, and the last's `,\n` is held back and dropped at the end.
 */
async function writeCopiedJsonRows(
  out: Writable,
  table: ExportTable,
  content: ExportContent,
  pages: AsyncIterable<CopyPage>,
): Promise<number> {
  let count = 0;
  let held = Buffer.alloc(0);
  for await (const page of pages) {
    if (count === 0) {
      await writeChunk(out, '\n');
    }
    for await (const chunk of page.chunks) {
      if (chunk.length >= 2) {
        if (held.length > 0) {
          await writeChunk(out, held);
        }
        await writeChunk(out, chunk.subarray(0, chunk.length - 2));
        held = Buffer.from(chunk.subarray(chunk.length - 2));
      } else {
        const bytes = Buffer.concat([held, chunk]);
        if (bytes.length > 2) {
          await writeChunk(out, bytes.subarray(0, bytes.length - 2));
        }
        held = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 2)));
      }
    }
    count += page.rows;
    content.onRows(table.name, page.rows);
  }
  if (count > 0 && held.toString() !== ',\n') {
    throw new Error(`the JSON rows of ${table.name} do not end as COPY writes them`);
  }
  return count;
}

/** `{"format":"kith-export","version":1,…,"tables":{"<name>":{"columns":[…],"rows":[\n{…},\n…]}},"rowCounts":{…}}` */
export async function writeJsonExport(out: Writable, content: ExportContent): Promise<void> {
  const counts: Record<string, number> = {};
  await writeChunk(out, `{${headerFields(content)},"tables":{\n`);
  for (const [t, table] of content.tables.entries()) {
    await writeChunk(
      out,
      `${JSON.stringify(table.name)}:{"columns":${columnsJson(table.columns)},"rows":[`,
    );
    const copied = table.copy?.('json');
    const count = copied
      ? await writeCopiedJsonRows(out, table, content, copied)
      : await writeJsonRows(out, table, content);
    counts[table.name] = count;
    await writeChunk(out, `\n]}${t < content.tables.length - 1 ? ',' : ''}\n`);
  }
  await writeChunk(out, `},"rowCounts":${JSON.stringify(counts)}}\n`);
}

/** A header line, then per table a `{"table","columns"}` line and one `{"table","row"}` line per row, then `{"end":true,"rowCounts"}`. */
export async function writeNdjsonExport(out: Writable, content: ExportContent): Promise<void> {
  const counts: Record<string, number> = {};
  await writeChunk(out, `{${headerFields(content)}}\n`);
  for (const table of content.tables) {
    const encode = rowEncoder(table.columns);
    const name = JSON.stringify(table.name);
    await writeChunk(out, `{"table":${name},"columns":${columnsJson(table.columns)}}\n`);
    const prefix = `{"table":${name},"row":`;
    let count = 0;
    const copied = table.copy?.('ndjson');
    if (copied) {
      // COPY writes each line whole (copy-layouts.ts).
      for await (const page of copied) {
        for await (const chunk of page.chunks) {
          await writeChunk(out, chunk);
        }
        count += page.rows;
        content.onRows(table.name, page.rows);
      }
    } else {
      for await (const page of table.pages()) {
        let text = '';
        for (const row of page) {
          text += `${prefix}${encode(row)}}\n`;
        }
        count += page.length;
        await writeChunk(out, text);
        content.onRows(table.name, page.length);
      }
    }
    counts[table.name] = count;
  }
  await writeChunk(out, `{"end":true,"rowCounts":${JSON.stringify(counts)}}\n`);
}
