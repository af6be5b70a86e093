import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AppError } from '../../errors.ts';
import { exportFormatVersion } from './export-content.ts';

/**
 * Reads a Kith JSON export line by line, in constant memory. It relies on the
 * layout Kith writes (docs/export-format.md, "JSON"): the header line, one line
 * per table header, one line per row, and the closing `rowCounts` line.
 */
export type ExportEvent =
  | { kind: 'header'; header: Record<string, unknown> }
  | { kind: 'table'; name: string; columns: { name: string; type: string }[] }
  | { kind: 'row'; table: string; row: Record<string, unknown> }
  | { kind: 'end'; rowCounts: Record<string, number> };

function invalid(line: number, what: string): AppError {
  return new AppError(
    'invalid_input',
    `line ${line} of the file is not a Kith JSON export (version ${exportFormatVersion}): ${what}`,
  );
}

export async function* readJsonExport(path: string): AsyncGenerator<ExportEvent> {
  const lines = createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  let table: string | undefined;
  let ended = false;
  const parse = (text: string) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw invalid(number, 'not JSON');
    }
  };
  for await (const line of lines) {
    number += 1;
    if (number === 1) {
      if (!line.startsWith(`{"format":"kith-export","version":${exportFormatVersion},`)) {
        throw invalid(number, 'the header names another format or version');
      }
      if (!line.endsWith('"tables":{')) {
        throw invalid(number, 'the header does not open the tables');
      }
      yield { kind: 'header', header: parse(`${line}}}`) as Record<string, unknown> };
    } else if (table !== undefined && line.startsWith('{')) {
      const row = parse(line.endsWith(',') ? line.slice(0, -1) : line);
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw invalid(number, 'a row is not an object');
      }
      yield { kind: 'row', table, row: row as Record<string, unknown> };
    } else if (table !== undefined && (line === ']}' || line === ']},')) {
      table = undefined;
    } else if (table === undefined && line.endsWith('"rows":[') && line.startsWith('"')) {
      const parsed = parse(`{${line}]}}`) as Record<
        string,
        { columns: { name: string; type: string }[] }
      >;
      const [name, value] = Object.entries(parsed)[0] ?? [];
      if (!name || !value || !Array.isArray(value.columns)) {
        throw invalid(number, 'a table header has no columns');
      }
      table = name;
      yield { kind: 'table', name, columns: value.columns };
    } else if (table === undefined && line.startsWith('},"rowCounts":')) {
      const parsed = parse(`{${line.slice(2)}`) as { rowCounts: Record<string, number> };
      ended = true;
      yield { kind: 'end', rowCounts: parsed.rowCounts };
    } else if (line.trim() !== '') {
      throw invalid(number, 'unexpected content');
    }
  }
  if (!ended) {
    throw invalid(number, 'the file ends before its rowCounts: it is truncated');
  }
}
