import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
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
 * An upload older than this belongs to no job: a job holds its upload only while
 * it runs (a 1M-row import commits in minutes, and a job silent for 10 minutes
 * is reported interrupted), so a file this old was left by a process that died.
 */
export const uploadMaxAgeMs = 6 * 60 * 60 * 1000;

/**
 * The scheduled sweep (`imports.sweep` in scheduled-jobs.ts): deletes the upload
 * files (and their extracted `.rows`) that a killed process left under the data
 * directory. They hold supporters' personal data: nothing may keep them once no
 * import can use them. Only regular files this module names (a UUID, optionally
 * `.rows`) older than `maxAgeMs` are removed; anything else there is left alone.
 */
export async function sweepUploads(
  dataDir: string,
  now: Date,
  maxAgeMs = uploadMaxAgeMs,
): Promise<{ removed: number }> {
  const directory = await uploadDirectory(dataDir);
  let removed = 0;
  for (const name of await readdir(directory)) {
    if (!uploadFileName.test(name)) {
      continue;
    }
    const path = join(directory, name);
    const stat = await lstat(path).catch(() => undefined);
    if (!stat?.isFile() || now.getTime() - stat.mtimeMs <= maxAgeMs) {
      continue;
    }
    await rm(path, { force: true });
    removed += 1;
  }
  return { removed };
}

const uploadFileName = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.rows)?$/;

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
