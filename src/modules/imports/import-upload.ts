import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { limitExceeded } from './import-limits.ts';
import type { ImportUpload } from './imports.service.ts';

/** Where uploads wait for their import: under the data directory, readable by its owner only. */
export async function uploadDirectory(dataDir: string): Promise<string> {
  const directory = join(dataDir, 'tmp', 'imports');
  await mkdir(directory, { recursive: true, mode: 0o700 });
  return directory;
}

/**
 * Streams an upload to a file of its own, hashing it (SHA-256) and counting
 * its bytes on the way; more than `maxBytes` ends it with a 413 naming the limit
 * and leaves no file behind.
 */
export async function saveUpload(
  source: Readable,
  directory: string,
  fileName: string,
  maxBytes: number,
): Promise<ImportUpload> {
  const path = join(directory, randomUUID());
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(tooLarge(maxBytes));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(path, { mode: 0o600 }));
  } catch (error) {
    await rm(path, { force: true });
    throw (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE'
      ? tooLarge(maxBytes)
      : error;
  }
  return { path, fileName, size, sha256: hash.digest('hex') };
}

export function tooLarge(maxBytes: number) {
  return limitExceeded(
    `the uploaded file is larger than ${maxBytes} bytes`,
    maxBytes,
    'KITH_IMPORT_MAX_BYTES',
  );
}
