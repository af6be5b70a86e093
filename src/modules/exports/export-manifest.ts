import { type ExportContent, exportFormatVersion } from './export-content.ts';

/** The `manifest.json` of the zip formats: what the export is, each table's columns and rows. */
export function manifestJson(content: ExportContent, counts: Readonly<Record<string, number>>) {
  const { exportId, spaceId, region, createdAt } = content.header;
  return `${JSON.stringify(
    {
      format: 'kith-export',
      version: exportFormatVersion,
      exportId,
      spaceId,
      region,
      createdAt,
      tables: content.tables.map((table) => ({
        name: table.name,
        columns: table.columns.map(({ name, type }) => ({ name, type })),
        rows: counts[table.name] ?? 0,
      })),
    },
    null,
    2,
  )}\n`;
}
