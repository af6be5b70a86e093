import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes `chunk` and waits while `out` is over its high-water mark: the writers
 * produce no faster than the file (or zip) consumes, so memory stays constant.
 */
export async function writeChunk(out: Writable, chunk: string | Buffer): Promise<void> {
  if (out.destroyed) {
    throw new Error('the export output was closed before the export finished');
  }
  if (!out.write(chunk)) {
    await Promise.race([once(out, 'drain'), once(out, 'close')]);
  }
}
