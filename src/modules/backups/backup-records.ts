/**
 * Persisted contract: the plaintext inside a backup (before gzip and
 * encryption), docs/backup-format.md. Control records are lines, JSON arrays
 * `[kind, body]`:
 *
 *   ["backup",{"version":2,"spaceId","backupId","region","createdAt","schema":[...]}]
 *   ["table",{"name":"contacts","columns":[{"name","type"}...]}]
 *   ...the table's rows...
 *   ["end",{"name":"contacts","rows":N}]
 *   ... every table, parents first ...
 *   ["complete",{"rows":{"contacts":N,...}}]
 *
 * Version 2 (written today): a table's rows are PostgreSQL's COPY text format
 * (`COPY (SELECT columns ...) TO STDOUT`, one line per row, in the table
 * record's column order), ended by the line `\.` — a COPY text row never
 * starts with a lone `\.`, so the marker cannot be data.
 *
 * Version 1 (still read): one JSON object per row, PostgreSQL's row_to_json,
 * no end-of-data marker (the `end` record follows the last row).
 */
export const dataRecordVersion = 2;
/** The versions a restore or a verify still reads. */
export const readableDataVersions: readonly number[] = [1, 2];
/** The line that ends a table's COPY data in version 2. */
export const copyEndLine = Buffer.from('\\.\n', 'latin1');

export interface BackupStartRecord {
  readonly version: number;
  readonly spaceId: string;
  readonly backupId: string;
  readonly region: string;
  readonly createdAt: string;
  readonly schema: readonly string[];
}

export interface TableStartRecord {
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

export interface TableEndRecord {
  readonly name: string;
  readonly rows: number;
}

export interface CompleteRecord {
  readonly rows: Readonly<Record<string, number>>;
}

/** One control record as a line. */
export function controlLine(kind: 'backup' | 'table' | 'end' | 'complete', body: object): string {
  return `${JSON.stringify([kind, body])}\n`;
}
