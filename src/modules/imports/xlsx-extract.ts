import { open } from 'node:fs/promises';
import { AppError } from '../../errors.ts';
import type { ImportLimits } from './import-limits.ts';

/** Whether the file starts like a zip archive (an XLSX is one). */
export async function isZipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}

/** Reads the first sheet of an XLSX into `outPath`, one JSON array `[row, ...cells]` per line. */
export async function extractXlsxRows(
  _path: string,
  _outPath: string,
  _limits: ImportLimits,
): Promise<void> {
  throw new AppError('invalid_input', 'XLSX import is not available yet: save the sheet as CSV');
}
