import type { ImportLimits } from './import-limits.ts';
import { badFile, limitExceeded } from './import-limits.ts';

/** One record of a sheet: its cells and the line (CSV) or row (XLSX) it starts on, 1-based. */
export interface SheetRow {
  readonly line: number;
  readonly cells: string[];
}

export const delimiters = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof delimiters)[number];

const quote = 34;
const lineFeed = 10;
const carriageReturn = 13;

/**
 * RFC 4180 CSV, fed decoded text chunk by chunk: quoted cells may hold the
 * delimiter, doubled quotes and line breaks; CRLF, LF and CR all end a record;
 * blank lines are skipped. Leniency where files in the wild need it: a quote
 * inside an unquoted cell, or text after a closing quote, is kept as text.
 * Limits (columns, cell length, rows) are checked as the text arrives.
 */
export class CsvTokenizer {
  private readonly delimiter: number;
  private line = 1;
  private recordLine = 1;
  private cells: string[] = [];
  private field = '';
  private quoted = false;
  private inQuotes = false;
  private pendingQuote = false;
  private pendingCarriageReturn = false;
  private rows = 0;

  constructor(
    delimiter: Delimiter,
    private readonly limits: ImportLimits,
    /** Rows allowed including the header. */
    private readonly maxRecords = limits.maxRows + 1,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** The records completed by `text`. */
  feed(text: string): SheetRow[] {
    const out: SheetRow[] = [];
    let i = 0;
    const n = text.length;
    if (this.pendingCarriageReturn) {
      this.pendingCarriageReturn = false;
      if (n > 0 && text.charCodeAt(0) === lineFeed) {
        i = 1;
      }
    }
    if (this.pendingQuote && n > 0) {
      this.pendingQuote = false;
      if (text.charCodeAt(0) === quote) {
        this.append('"');
        i = 1;
      } else {
        this.inQuotes = false;
      }
    }
    while (i < n) {
      if (this.inQuotes) {
        const close = text.indexOf('"', i);
        const end = close === -1 ? n : close;
        this.append(text.slice(i, end));
        this.countLines(text, i, end);
        if (close === -1) {
          return out;
        }
        if (close + 1 >= n) {
          this.pendingQuote = true;
          return out;
        }
        if (text.charCodeAt(close + 1) === quote) {
          this.append('"');
          i = close + 2;
        } else {
          this.inQuotes = false;
          i = close + 1;
        }
        continue;
      }
      let j = i;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === this.delimiter || c === lineFeed || c === carriageReturn) {
          break;
        }
        if (c === quote && j === i && this.field === '' && !this.quoted) {
          break;
        }
      }
      if (j > i) {
        this.append(text.slice(i, j));
      }
      if (j >= n) {
        return out;
      }
      const c = text.charCodeAt(j);
      i = j + 1;
      if (c === quote) {
        this.inQuotes = true;
        this.quoted = true;
      } else if (c === this.delimiter) {
        this.endField();
      } else {
        this.endField();
        this.endRecord(out);
        this.line += 1;
        this.recordLine = this.line;
        if (c === carriageReturn) {
          if (i < n && text.charCodeAt(i) === lineFeed) {
            i += 1;
          } else if (i >= n) {
            this.pendingCarriageReturn = true;
          }
        }
      }
    }
    return out;
  }

  /** The last record, once the input has ended; an unclosed quote is an error. */
  end(): SheetRow[] {
    if (this.inQuotes && !this.pendingQuote) {
      throw badFile(
        `a quoted cell opened on line ${this.recordLine} is never closed: check the quotes`,
      );
    }
    const out: SheetRow[] = [];
    if (this.field !== '' || this.quoted || this.cells.length > 0) {
      this.endField();
      this.endRecord(out);
    }
    return out;
  }

  private append(text: string): void {
    this.field += text;
    if (this.field.length > this.limits.maxCellChars) {
      throw limitExceeded(
        `line ${this.recordLine} has a cell longer than ${this.limits.maxCellChars} characters`,
        this.limits.maxCellChars,
        'KITH_IMPORT_MAX_CELL_CHARS',
      );
    }
  }

  private countLines(text: string, from: number, to: number): void {
    let at = text.indexOf('\n', from);
    while (at !== -1 && at < to) {
      this.line += 1;
      at = text.indexOf('\n', at + 1);
    }
  }

  private endField(): void {
    this.cells.push(this.field);
    this.field = '';
    this.quoted = false;
    if (this.cells.length > this.limits.maxColumns) {
      throw limitExceeded(
        `line ${this.recordLine} has more than ${this.limits.maxColumns} columns`,
        this.limits.maxColumns,
        'KITH_IMPORT_MAX_COLUMNS',
      );
    }
  }

  private endRecord(out: SheetRow[]): void {
    const cells = this.cells;
    this.cells = [];
    if (cells.length === 1 && cells[0] === '') {
      return;
    }
    this.rows += 1;
    if (this.rows > this.maxRecords) {
      throw limitExceeded(
        `the file has more than ${this.maxRecords - 1} data rows`,
        this.maxRecords - 1,
        'KITH_IMPORT_MAX_ROWS',
      );
    }
    out.push({ line: this.recordLine, cells });
  }
}

/** The delimiter the header line uses most, outside quotes, among `, ; tab |` (`,` when none). */
export function detectDelimiter(text: string): Delimiter {
  const counts = new Map<Delimiter, number>(delimiters.map((d) => [d, 0]));
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      inQuotes = !inQuotes;
    } else if (!inQuotes && (c === '\n' || c === '\r')) {
      break;
    } else if (!inQuotes && counts.has(c as Delimiter)) {
      counts.set(c as Delimiter, (counts.get(c as Delimiter) ?? 0) + 1);
    }
  }
  let best: Delimiter = ',';
  for (const [delimiter, count] of counts) {
    if (count > (counts.get(best) ?? 0)) {
      best = delimiter;
    }
  }
  return best;
}
