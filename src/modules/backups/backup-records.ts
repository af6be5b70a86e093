/**
 * Persisted contract: the plaintext inside a backup (before gzip and
 * encryption), version 1 (docs/backup-format.md). NDJSON, one value a line.
 * A row is a JSON object (PostgreSQL's row_to_json of the row); a control record
 * is a JSON array `[kind, body]`, so the two never look alike:
 *
 *   ["backup",{"version":1,"spaceId","backupId","region","createdAt","schema":[...]}]
 *   ["table",{"name":"contacts","columns":[{"name","type"}...]}]
 *   {...row...}  one line per row
 *   ["end",{"name":"contacts","rows":N}]
 *   ... every table, parents first ...
 *   ["complete",{"rows":{"contacts":N,...}}]
 */
export const dataRecordVersion = 1;

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
