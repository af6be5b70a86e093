import { open } from 'node:fs/promises';
import { badFile } from './import-limits.ts';

/**
 * Recognises a Kith JSON export (docs/export-format.md, "JSON") among uploads:
 * its first line is the export's header, its last the closing `rowCounts`. Both
 * are read from the file's ends, without reading the rows between.
 */
const exportStart = '{"format":"kith-export"';
const endBytes = 64 * 1024;

/** The export's `rowCounts` when the file is a Kith JSON export; undefined for any other file. */
export async function readExportFileEnds(
  path: string,
): Promise<{ rowCounts: Record<string, number> } | undefined> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(Math.min(size, endBytes));
    await file.read(head, 0, head.length, 0);
    const text = head.toString('utf8');
    if (!text.startsWith(exportStart)) {
      return undefined;
    }
    const firstLine = text.split('\n', 1)[0] ?? '';
    if (!firstLine.endsWith('"tables":{')) {
      throw badFile(
        'this Kith export is not a JSON export (NDJSON?): export the Space as JSON to load it',
      );
    }
    const tail = Buffer.alloc(Math.min(size, endBytes));
    await file.read(tail, 0, tail.length, size - tail.length);
    const lastLine = tail.toString('utf8').trimEnd().split('\n').at(-1) ?? '';
    const rowCounts = closingCounts(lastLine);
    if (!rowCounts) {
      throw badFile('the JSON export ends before its rowCounts: the file is truncated');
    }
    return { rowCounts };
  } finally {
    await file.close();
  }
}

function closingCounts(line: string): Record<string, number> | undefined {
  if (!line.startsWith('},"rowCounts":')) {
    return undefined;
  }
  try {
    const counts = JSON.parse(`{${line.slice(2)}`).rowCounts as unknown;
    return counts && typeof counts === 'object' ? (counts as Record<string, number>) : undefined;
  } catch {
    return undefined;
  }
}
