import type { Writable } from 'node:stream';

/**
 * Writes `chunk` and waits while `out` is over its high-water mark: the writers
 * produce no faster than the file (or zip) consumes, so memory stays constant.
 * Every listener it adds is removed when the wait ends.
 */
export async function writeChunk(out: Writable, chunk: string | Buffer): Promise<void> {
  if (out.destroyed) {
    throw new Error('the export output was closed before the export finished');
  }
  if (out.write(chunk)) {
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onError);
      if (error) {
        reject(error);
      } else {
        resolve();
      }
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the export output was closed before it drained'));
    const onError = (error: Error) => settle(error);
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onError);
  });
}
