import type { Writable } from 'node:stream';
import { ByteWriter, type ColumnSource, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import type { ExportColumn, ExportRow } from './export-columns.ts';
import type { ExportContent, ExportTable } from './export-content.ts';
import { manifestJson } from './export-manifest.ts';
import { ZipOutput } from './zip-output.ts';

/**
 * Parquet (docs/export-format.md, "Parquet"): a zip (stored: Parquet pages are
 * already Snappy-compressed) of `<table>.parquet` per table and `manifest.json`.
 * hyparquet-writer is pure JavaScript, no native or downloaded binary, runs on
 * Node 20, and writes row group after row group: one row group is in memory.
 * A group of 50,000 contacts (texts, then their encoded pages) took ~375 MB on
 * PostgreSQL; 10,000 (one page) keeps an export well within issue #4's 300 MB.
 */
const rowGroupRows = 10_000;

type ParquetType = 'BOOLEAN' | 'INT32' | 'INT64' | 'DOUBLE' | 'BYTE_ARRAY';

function parquetTypeOf(column: ExportColumn): ParquetType {
  switch (column.type) {
    case 'boolean':
      return 'BOOLEAN';
    case 'smallint':
    case 'integer':
      return 'INT32';
    case 'bigint':
      return 'INT64';
    case 'double precision':
    case 'real':
      return 'DOUBLE';
    default:
      return 'BYTE_ARRAY';
  }
}

function schemaOf(columns: readonly ExportColumn[]): SchemaElement[] {
  return [
    { name: 'root', num_children: columns.length },
    ...columns.map((column): SchemaElement => {
      const type = parquetTypeOf(column);
      return {
        name: column.name,
        type,
        repetition_type: 'OPTIONAL',
        ...(type === 'BYTE_ARRAY'
          ? { converted_type: column.kind === 'json' ? 'JSON' : 'UTF8' }
          : {}),
      };
    }),
  ];
}

function parquetValue(type: ParquetType, text: string | null, json: boolean): unknown {
  if (text === null) {
    return null;
  }
  switch (type) {
    case 'BOOLEAN':
      return text === 'true';
    case 'INT32':
      return Number.parseInt(text, 10);
    case 'INT64':
      return BigInt(text);
    case 'DOUBLE':
      return Number(text);
    default:
      if (json) {
        // hyparquet-writer serialises a JSON column's values itself.
        return text;
      }
      // Its UTF-8 bytes, as hyparquet-writer would encode them, but from Node's
      // shared pool: the writer's own TextEncoder gives every value an
      // ArrayBuffer of its own, allocated outside the heap and freed only by a
      // full collection; a 1M-row export's peak RSS went from ~800 MB above
      // idle to ~270 MB (PostgreSQL).
      return Buffer.from(text, 'utf8');
  }
}

/** A ByteWriter that hands its bytes to the zip entry after each row group. */
class EntryWriter extends ByteWriter {
  constructor(private readonly write: (chunk: Buffer) => Promise<void>) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    const bytes = Buffer.from(this.getBytes());
    this.index = 0;
    return this.write(bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

async function writeTable(
  write: (chunk: Buffer) => Promise<void>,
  table: ExportTable,
  content: ExportContent,
): Promise<number> {
  const types = table.columns.map(parquetTypeOf);
  const json = table.columns.map((column) => column.kind === 'json');
  const writer = new EntryWriter(write);
  const parquet = new ParquetWriter({
    writer,
    schema: schemaOf(table.columns),
    codec: 'SNAPPY',
    createdBy: 'kith export',
  });
  let group: ExportRow[] = [];
  let count = 0;
  const flushGroup = async () => {
    if (group.length === 0) {
      return;
    }
    const columnData: ColumnSource[] = table.columns.map((column, i) => ({
      name: column.name,
      data: group.map((row) =>
        parquetValue(types[i] as ParquetType, row[i] ?? null, json[i] === true),
      ),
    }));
    await parquet.write({ columnData, rowGroupSize: group.length });
    group = [];
  };
  for await (const page of table.pages()) {
    group.push(...page);
    count += page.length;
    content.onRows(table.name, page.length);
    if (group.length >= rowGroupRows) {
      await flushGroup();
    }
  }
  await flushGroup();
  await parquet.finish();
  return count;
}

export async function writeParquetExport(out: Writable, content: ExportContent): Promise<void> {
  const zip = new ZipOutput(out, new Date(content.header.createdAt));
  const counts: Record<string, number> = {};
  for (const table of content.tables) {
    await zip.entry(
      `${table.name}.parquet`,
      async (write) => {
        counts[table.name] = await writeTable(write, table, content);
      },
      0,
    );
  }
  await zip.entry('manifest.json', (write) => write(manifestJson(content, counts)));
  await zip.close();
}
