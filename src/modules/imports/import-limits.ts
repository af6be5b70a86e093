import { AppError } from '../../errors.ts';

/** What one import may hold (SPEC 4.4). Set by `KITH_IMPORT_*` variables; see config.ts. */
export interface ImportLimits {
  /** Bytes of the uploaded file (`KITH_IMPORT_MAX_BYTES`). */
  readonly maxUploadBytes: number;
  /** Data rows, the header not counted (`KITH_IMPORT_MAX_ROWS`). */
  readonly maxRows: number;
  /** Columns of any row (`KITH_IMPORT_MAX_COLUMNS`). */
  readonly maxColumns: number;
  /** Characters of one cell (`KITH_IMPORT_MAX_CELL_CHARS`). */
  readonly maxCellChars: number;
  /** Bytes an XLSX may inflate to, all entries together (`KITH_IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES`). */
  readonly maxXlsxUncompressedBytes: number;
  /** Entries of an XLSX archive (`KITH_IMPORT_MAX_XLSX_ENTRIES`). */
  readonly maxXlsxEntries: number;
  /** Heap of the worker that reads an XLSX (`KITH_IMPORT_WORKER_MEMORY_MB`). */
  readonly workerMemoryMb: number;
}

/** The 413 of an exceeded limit, naming it and its variable. */
export function limitExceeded(what: string, limit: number, variable: string): AppError {
  return new AppError(
    'too_large',
    `import limit exceeded: ${what} (at most ${limit}; ${variable} sets the limit)`,
  );
}

/** A 400 for a file that is not what it says it is, naming the line when known. */
export function badFile(message: string, line?: number): AppError {
  return new AppError('invalid_input', line === undefined ? message : `line ${line}: ${message}`);
}
