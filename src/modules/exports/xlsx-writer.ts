import type { Writable } from 'node:stream';
import type { ExportTable } from './export-content.ts';
import { type ExportContent, exportFormatVersion } from './export-content.ts';
import {
  copyTextRow,
  escapeAttribute,
  mainNamespace,
  maxSheetRows,
  mayNeedEscape,
  relationshipNamespace,
  stringCell,
  valueCell,
  xmlDeclaration,
} from './spreadsheet-xml.ts';
import { ZipOutput } from './zip-output.ts';

/**
 * XLSX written as a stream (docs/export-format.md, "XLSX"): each table's sheets
 * go into the zip as they are read, and the workbook, which lists them, comes
 * last. A streaming writer of our own, because exceljs holds far more memory and
 * runs far slower (issue #4's bar: ≥ 100k rows/s, < 300 MB).
 */
const xlsxDeflateLevel = 1;
const sheetHead = `${xmlDeclaration}<worksheet xmlns="${mainNamespace}"><sheetData>`;
const sheetTail = '</sheetData></worksheet>';

interface Sheet {
  readonly name: string;
  readonly path: string;
}

/** The sheet name of part `part` of `table` (Excel: ≤ 31 characters, unique). */
function sheetName(table: string, part: number): string {
  const suffix = part === 1 ? '' : ` (${part})`;
  return table.slice(0, 31 - suffix.length) + suffix;
}

function headerRow(table: ExportTable): string {
  return `<row>${table.columns.map((column) => stringCell(column.name, 1)).join('')}</row>`;
}

export async function writeXlsxExport(out: Writable, content: ExportContent): Promise<void> {
  const zip = new ZipOutput(out, new Date(content.header.createdAt));
  const sheets: Sheet[] = [];
  const counts: Record<string, number> = {};
  const addSheet = (name: string) => {
    const sheet = { name, path: `worksheets/sheet${sheets.length + 2}.xml` };
    sheets.push(sheet);
    return sheet;
  };
  for (const table of content.tables) {
    counts[table.name] =
      (await writeCopiedSheets(zip, table, content, addSheet)) ??
      (await writeTableSheets(zip, table, content, addSheet));
  }
  const info = { name: 'export', path: 'worksheets/sheet1.xml' };
  await zip.entry(
    `xl/${info.path}`,
    (write) => write(infoSheet(content, counts)),
    xlsxDeflateLevel,
  );
  const all = [info, ...sheets];
  await zip.entry('[Content_Types].xml', (write) => write(contentTypes(all)));
  await zip.entry('_rels/.rels', (write) => write(rootRelationships));
  await zip.entry('xl/workbook.xml', (write) => write(workbook(all)));
  await zip.entry('xl/_rels/workbook.xml.rels', (write) => write(workbookRelationships(all)));
  await zip.entry('xl/styles.xml', (write) => write(styles));
  await zip.close();
}

/**
 * Writes `table` from COPY, each line of export texts its `<row>`, over as many
 * sheets as Excel's row limit needs: pages are sized never to cross it. Returns
 * its rows, or undefined when the table has no COPY layout.
 */
async function writeCopiedSheets(
  zip: ZipOutput,
  table: ExportTable,
  content: ExportContent,
  addSheet: (name: string) => Sheet,
): Promise<number | undefined> {
  let room = maxSheetRows - 1;
  const pages = table.copy?.('xlsx', () => room)?.[Symbol.asyncIterator]();
  if (!pages) {
    return undefined;
  }
  let next = await pages.next();
  let count = 0;
  for (let part = 1; part === 1 || !next.done; part += 1) {
    const sheet = addSheet(sheetName(table.name, part));
    await zip.entry(
      `xl/${sheet.path}`,
      async (write) => {
        await write(sheetHead + headerRow(table));
        while (!next.done && room > 0) {
          const rows = new CopyTextRows(table);
          for await (const chunk of next.value.chunks) {
            for (const part of rows.transform(chunk)) {
              await write(part);
            }
          }
          rows.end();
          room -= next.value.rows;
          count += next.value.rows;
          content.onRows(table.name, next.value.rows);
          if (room > 0) {
            next = await pages.next();
          }
        }
        await write(sheetTail);
      },
      xlsxDeflateLevel,
    );
    if (room === 0) {
      room = maxSheetRows - 1;
      next = await pages.next();
    }
  }
  return count;
}

/** Characters of `<row>`s gathered into one write (the zip encodes it into its block). */
const outputChars = 64 * 1024;

/**
 * The `<row>`s of a page of COPY text, chunk by chunk: a chunk may end inside a
 * line (PostgreSQL streams), whose start waits, as bytes, for the next chunk.
 */
class CopyTextRows {
  private rest: Buffer | undefined;

  constructor(private readonly table: ExportTable) {}

  /**
   * The rows of the whole lines so far, as strings of about `outputChars`: one
   * write (and one UTF-8 encoding into the zip's block) per many rows, and no
   * page-long string to flatten. Each string is made when the previous one has
   * been taken (a generator): a PGlite page is one chunk, and its rows held all
   * at once, as strings of concatenations, took ~200 MB.
   */
  *transform(chunk: Buffer): Generator<string> {
    const bytes = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const end = bytes.lastIndexOf(0x0a);
    this.rest = end + 1 < bytes.length ? bytes.subarray(end + 1) : undefined;
    if (end < 0) {
      return;
    }
    let text = '';
    const lines = bytes.toString('utf8', 0, end);
    const escapes = mayNeedEscape(lines);
    for (const line of lines.split('\n')) {
      text += copyTextRow(this.table.columns, line, escapes);
      if (text.length >= outputChars) {
        yield text;
        text = '';
      }
    }
    if (text !== '') {
      yield text;
    }
  }

  /** Checks that the page ended with a whole line. */
  end(): void {
    if (this.rest) {
      throw new Error(`COPY output of ${this.table.name} ended inside a row`);
    }
  }
}

/** Writes `table` over as many sheets as Excel's row limit needs (at least one); returns its rows. */
async function writeTableSheets(
  zip: ZipOutput,
  table: ExportTable,
  content: ExportContent,
  addSheet: (name: string) => Sheet,
): Promise<number> {
  const pages = table.pages()[Symbol.asyncIterator]();
  let pending: (readonly (string | null)[])[] = [];
  let exhausted = false;
  let count = 0;
  for (let part = 1; part === 1 || !exhausted; part += 1) {
    const sheet = addSheet(sheetName(table.name, part));
    await zip.entry(
      `xl/${sheet.path}`,
      async (write) => {
        await write(sheetHead + headerRow(table));
        let rowsInSheet = 1;
        while (rowsInSheet < maxSheetRows) {
          if (pending.length === 0) {
            const next = exhausted ? undefined : await pages.next();
            if (!next || next.done) {
              exhausted = true;
              break;
            }
            pending = next.value;
          }
          const take = pending.slice(0, maxSheetRows - rowsInSheet);
          pending = pending.slice(take.length);
          let text = '';
          for (const row of take) {
            text += '<row>';
            for (let i = 0; i < table.columns.length; i += 1) {
              text += valueCell(table.columns[i] as never, row[i] ?? null);
            }
            text += '</row>';
          }
          rowsInSheet += take.length;
          count += take.length;
          await write(text);
          content.onRows(table.name, take.length);
        }
        await write(sheetTail);
      },
      xlsxDeflateLevel,
    );
    if (pending.length === 0 && !exhausted) {
      // The sheet is full exactly at a page boundary: see whether rows remain.
      const next = await pages.next();
      exhausted = next.done === true;
      pending = next.done ? [] : next.value;
    }
  }
  return count;
}

function infoSheet(content: ExportContent, counts: Record<string, number>): string {
  const { exportId, spaceId, region, createdAt } = content.header;
  const pairs: [string, string][] = [
    ['format', 'kith-export'],
    ['version', String(exportFormatVersion)],
    ['exportId', exportId],
    ['spaceId', spaceId],
    ['region', region],
    ['createdAt', createdAt],
  ];
  const rows = pairs.map(([key, value]) => `<row>${stringCell(key, 1)}${stringCell(value)}</row>`);
  rows.push(`<row/><row>${stringCell('table', 1)}${stringCell('rows', 1)}</row>`);
  for (const table of content.tables) {
    rows.push(`<row>${stringCell(table.name)}<c><v>${counts[table.name] ?? 0}</v></c></row>`);
  }
  return `${sheetHead}${rows.join('')}${sheetTail}`;
}

const rootRelationships = `${xmlDeclaration}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${relationshipNamespace}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

function contentTypes(sheets: readonly Sheet[]): string {
  const overrides = sheets
    .map(
      (sheet) =>
        `<Override PartName="/xl/${sheet.path}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
    )
    .join('');
  return `${xmlDeclaration}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>${overrides}</Types>`;
}

function workbook(sheets: readonly Sheet[]): string {
  const list = sheets
    .map(
      (sheet, i) =>
        `<sheet name="${escapeAttribute(sheet.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`,
    )
    .join('');
  return `${xmlDeclaration}<workbook xmlns="${mainNamespace}" xmlns:r="${relationshipNamespace}"><sheets>${list}</sheets></workbook>`;
}

function workbookRelationships(sheets: readonly Sheet[]): string {
  const list = sheets
    .map(
      (sheet, i) =>
        `<Relationship Id="rId${i + 1}" Type="${relationshipNamespace}/worksheet" Target="${sheet.path}"/>`,
    )
    .join('');
  return `${xmlDeclaration}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${list}<Relationship Id="rId${sheets.length + 1}" Type="${relationshipNamespace}/styles" Target="styles.xml"/></Relationships>`;
}

const styles = `${xmlDeclaration}<styleSheet xmlns="${mainNamespace}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>`;
