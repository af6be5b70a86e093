import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CsvTokenizer, type Delimiter, detectDelimiter, type SheetRow } from './csv-tokenizer.ts';
import type { ImportLimits } from './import-limits.ts';
import { decodeText, type ImportEncoding } from './text-decoding.ts';

/** Where the rows of an upload are read from: the CSV itself, or the rows an XLSX worker extracted. */
export type SheetFile =
  | { kind: 'csv'; path: string; encoding: ImportEncoding; delimiter?: Delimiter | undefined }
  | { kind: 'rows'; path: string };

const chunkBytes = 1024 * 1024;

/**
 * The records of `file` in batches (one per chunk read), header first, read
 * from disk as they are needed: memory stays flat whatever the file's size.
 */
export async function* readSheet(
  file: SheetFile,
  limits: ImportLimits,
): AsyncGenerator<SheetRow[]> {
  if (file.kind === 'rows') {
    yield* readRowsFile(file.path);
    return;
  }
  const stream = createReadStream(file.path, { highWaterMark: chunkBytes });
  let tokenizer: CsvTokenizer | undefined;
  try {
    for await (const text of decodeText(stream, file.encoding)) {
      tokenizer ??= new CsvTokenizer(file.delimiter ?? detectDelimiter(text), limits);
      const rows = tokenizer.feed(text);
      if (rows.length > 0) {
        yield rows;
      }
    }
    const last = tokenizer?.end() ?? [];
    if (last.length > 0) {
      yield last;
    }
  } finally {
    stream.destroy();
  }
}

/** The rows an XLSX worker wrote: one JSON array `[row, ...cells]` per line. */
async function* readRowsFile(path: string): AsyncGenerator<SheetRow[]> {
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let batch: SheetRow[] = [];
  try {
    for await (const text of lines) {
      const [line, ...cells] = JSON.parse(text) as [number, ...string[]];
      batch.push({ line, cells });
      if (batch.length >= 2000) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) {
      yield batch;
    }
  } finally {
    stream.destroy();
  }
}

/** The delimiter a CSV's first line uses, as `readSheet` would pick it. */
export async function delimiterOf(
  path: string,
  encoding: ImportEncoding,
): Promise<Delimiter | undefined> {
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    for await (const text of decodeText(stream, encoding)) {
      return detectDelimiter(text);
    }
    return undefined;
  } finally {
    stream.destroy();
  }
}
