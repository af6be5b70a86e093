/** The formats an export is written in (CONTRACT: `kith export --format F`). */
export const exportFormats = ['csv', 'xlsx', 'json', 'ndjson', 'parquet'] as const;
export type ExportFormat = (typeof exportFormats)[number];

interface FormatFile {
  /** File name extension, without the leading dot. */
  readonly extension: string;
  readonly contentType: string;
}

/** What each format's file is called and served as. CSV and Parquet are zips of one file per table. */
export const formatFiles: Readonly<Record<ExportFormat, FormatFile>> = {
  csv: { extension: 'csv.zip', contentType: 'application/zip' },
  xlsx: {
    extension: 'xlsx',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  json: { extension: 'json', contentType: 'application/json' },
  ndjson: { extension: 'ndjson', contentType: 'application/x-ndjson' },
  parquet: { extension: 'parquet.zip', contentType: 'application/zip' },
};

export function isExportFormat(value: string): value is ExportFormat {
  return (exportFormats as readonly string[]).includes(value);
}
