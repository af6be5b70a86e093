import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../../config.ts';

/**
 * Export files in the region's storage (`KITH_DATA/exports/<region>/` unless
 * `KITH_REGION_<R>_EXPORTS` says otherwise): a Space's data never leaves its
 * region, not even as a file. A file is written under a `.partial` name and
 * renamed once complete, so a killed export leaves nothing that looks finished.
 */
export function exportDirectory(config: Config, region: string): string {
  const directory = config.exports.directories[region];
  if (!directory) {
    throw new Error(`region ${region} has no export storage configured`);
  }
  return directory;
}

export function exportPath(config: Config, region: string, fileName: string): string {
  return join(exportDirectory(config, region), fileName);
}

export function partialPath(config: Config, region: string, fileName: string): string {
  return `${exportPath(config, region, fileName)}.partial`;
}

/** Counts and hashes the bytes that pass through it. */
class DigestingStream extends Transform {
  readonly hash: Hash = createHash('sha256');
  size = 0;

  constructor() {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }
}

/**
 * Runs `write` on a stream into the file's `.partial` name, then renames it to
 * its final name; resolves to the file's size and SHA-256. On failure the
 * partial file is removed.
 */
export async function writeExportFile(
  config: Config,
  region: string,
  fileName: string,
  write: (out: Writable) => Promise<void>,
): Promise<{ sizeBytes: number; sha256: string }> {
  await mkdir(exportDirectory(config, region), { recursive: true, mode: 0o700 });
  const partial = partialPath(config, region, fileName);
  const digest = new DigestingStream();
  const file = createWriteStream(partial, { mode: 0o600, flags: 'w' });
  const written = pipeline(digest, file);
  written.catch(() => undefined);
  try {
    await write(digest);
    digest.end();
    await written;
    await rename(partial, exportPath(config, region, fileName));
  } catch (error) {
    digest.destroy();
    await written.catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
  return { sizeBytes: digest.size, sha256: digest.hash.digest('hex') };
}

/** Deletes the job's file and any partial file it left. */
export async function deleteExportFiles(
  config: Config,
  region: string,
  fileName: string,
): Promise<void> {
  await rm(exportPath(config, region, fileName), { force: true });
  await rm(partialPath(config, region, fileName), { force: true });
}
