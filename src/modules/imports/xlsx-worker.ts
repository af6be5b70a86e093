import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parentPort, workerData } from 'node:worker_threads';
import yauzl from 'yauzl';
import { type AppError, isAppError } from '../../errors.ts';
import { badFile, type ImportLimits, limitExceeded } from './import-limits.ts';
import { parseRow, parseSharedStrings } from './spreadsheet-xml.ts';

/**
 * Runs in a worker thread with a capped heap (see xlsx-extract.ts): reads the
 * first sheet of an XLSX and writes its rows as JSON lines `[row, ...cells]`.
 * Every limit is checked as bytes arrive, before they are kept: the entry count
 * and declared sizes from the central directory, then the bytes actually
 * inflated (a zip bomb stops at the limit, not at the end of its output).
 */
interface Job {
  path: string;
  outPath: string;
  limits: ImportLimits;
}

const maxRowXmlChars = 64 * 1024 * 1024;

class Inflated {
  private total = 0;
  constructor(private readonly limits: ImportLimits) {}
  add(bytes: number): void {
    this.total += bytes;
    if (this.total > this.limits.maxXlsxUncompressedBytes) {
      throw limitExceeded(
        `the XLSX inflates to more than ${this.limits.maxXlsxUncompressedBytes} bytes`,
        this.limits.maxXlsxUncompressedBytes,
        'KITH_IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES',
      );
    }
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true },
      (error, zip) => (error || !zip ? reject(zipError(error)) : resolve(zip)),
    );
  });
}

function zipError(error: Error | null | undefined): AppError {
  const message = error?.message ?? 'unreadable';
  if (/absolute path|invalid relative path|invalid characters in fileName/.test(message)) {
    return badFile(
      `the XLSX holds an entry named outside the archive (${message.split(': ')[0]}): refused`,
    );
  }
  return badFile(`the file is not a readable XLSX (zip: ${message})`);
}

/** Every entry of the archive, by name, checked against the entry-count and declared-size limits. */
function readEntries(zip: yauzl.ZipFile, limits: ImportLimits): Promise<Map<string, yauzl.Entry>> {
  if (zip.entryCount > limits.maxXlsxEntries) {
    return Promise.reject(
      limitExceeded(
        `the XLSX has ${zip.entryCount} entries`,
        limits.maxXlsxEntries,
        'KITH_IMPORT_MAX_XLSX_ENTRIES',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    let declared = 0;
    zip.on('entry', (entry: yauzl.Entry) => {
      declared += entry.uncompressedSize;
      if (declared > limits.maxXlsxUncompressedBytes) {
        reject(
          limitExceeded(
            'the XLSX declares more uncompressed bytes than allowed',
            limits.maxXlsxUncompressedBytes,
            'KITH_IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES',
          ),
        );
        return;
      }
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', (error: Error) => reject(zipError(error)));
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) =>
      error || !stream ? reject(zipError(error)) : resolve(stream),
    );
  });
}

/** The text of an entry, inflated under the limit. */
async function* entryText(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  inflated: Inflated,
): AsyncGenerator<string> {
  const stream = await openEntry(zip, entry);
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of stream) {
      inflated.add((chunk as Buffer).length);
      const text = decoder.write(chunk as Buffer);
      if (text.includes('<!DOCTYPE') || text.includes('<!ENTITY')) {
        throw badFile('the XLSX holds an XML document type declaration: refused');
      }
      yield text;
    }
  } catch (error) {
    throw isAppError(error) ? error : zipError(error as Error);
  } finally {
    stream.destroy();
  }
  yield decoder.end();
}

async function wholeText(zip: yauzl.ZipFile, entry: yauzl.Entry | undefined, inflated: Inflated) {
  let text = '';
  if (entry) {
    for await (const chunk of entryText(zip, entry, inflated)) {
      text += chunk;
    }
  }
  return text;
}

/** The first sheet's entry name, from the workbook and its relationships. */
async function firstSheetName(
  zip: yauzl.ZipFile,
  entries: Map<string, yauzl.Entry>,
  inflated: Inflated,
): Promise<string> {
  const workbook = await wholeText(zip, entries.get('xl/workbook.xml'), inflated);
  const relations = await wholeText(zip, entries.get('xl/_rels/workbook.xml.rels'), inflated);
  const relationId = /<sheet\b[^>]*\sr:id="([^"]+)"/.exec(workbook)?.[1];
  const target = relationId
    ? (new RegExp(`<Relationship\\b[^>]*\\sId="${relationId}"[^>]*\\sTarget="([^"]+)"`).exec(
        relations,
      )?.[1] ??
      new RegExp(`<Relationship\\b[^>]*\\sTarget="([^"]+)"[^>]*\\sId="${relationId}"`).exec(
        relations,
      )?.[1])
    : undefined;
  if (!target) {
    return 'xl/worksheets/sheet1.xml';
  }
  return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
}

async function write(out: WriteStream, line: string): Promise<void> {
  if (!out.write(line)) {
    await once(out, 'drain');
  }
}

async function extract(job: Job): Promise<void> {
  const { limits } = job;
  const zip = await openZip(job.path);
  const out = createWriteStream(job.outPath, { mode: 0o600 });
  try {
    const entries = await readEntries(zip, limits);
    const inflated = new Inflated(limits);
    const sheet = entries.get(await firstSheetName(zip, entries, inflated));
    if (!sheet) {
      throw badFile('the XLSX has no worksheet: save the sheet again, or as CSV');
    }
    const sharedStrings = parseSharedStrings(
      await wholeText(zip, entries.get('xl/sharedStrings.xml'), inflated),
    );
    let buffer = '';
    let rows = 0;
    let lastRow = 0;
    for await (const text of entryText(zip, sheet, inflated)) {
      buffer += text;
      let end = 0;
      for (const match of buffer.matchAll(/<row\b[^>]*?(?:\/>|>[\s\S]*?<\/row>)/g)) {
        end = (match.index ?? 0) + match[0].length;
        const row = parseRow(match[0], sharedStrings);
        lastRow = row.row ?? lastRow + 1;
        if (row.cells.length > limits.maxColumns) {
          throw limitExceeded(
            `row ${lastRow} has more than ${limits.maxColumns} columns`,
            limits.maxColumns,
            'KITH_IMPORT_MAX_COLUMNS',
          );
        }
        if (row.cells.some((cell) => cell.length > limits.maxCellChars)) {
          throw limitExceeded(
            `row ${lastRow} has a cell longer than ${limits.maxCellChars} characters`,
            limits.maxCellChars,
            'KITH_IMPORT_MAX_CELL_CHARS',
          );
        }
        if (row.cells.every((cell) => cell.trim() === '')) {
          continue;
        }
        rows += 1;
        if (rows > limits.maxRows + 1) {
          throw limitExceeded(
            `the sheet has more than ${limits.maxRows} data rows`,
            limits.maxRows,
            'KITH_IMPORT_MAX_ROWS',
          );
        }
        await write(out, `${JSON.stringify([lastRow, ...row.cells])}\n`);
      }
      buffer = buffer.slice(end);
      if (buffer.length > maxRowXmlChars) {
        throw limitExceeded(
          `a row of the sheet is longer than ${maxRowXmlChars} characters of XML`,
          maxRowXmlChars,
          'KITH_IMPORT_MAX_CELL_CHARS',
        );
      }
    }
  } finally {
    zip.close();
    out.end();
    await once(out, 'close');
  }
}

const port = parentPort;
if (port) {
  extract(workerData as Job).then(
    () => port.postMessage({ ok: true }),
    (error: unknown) =>
      port.postMessage(
        isAppError(error)
          ? { ok: false, code: error.code, message: error.message }
          : {
              ok: false,
              code: 'invalid_input',
              message: `the XLSX could not be read: ${String((error as Error)?.message ?? error)}`,
            },
      ),
  );
}
