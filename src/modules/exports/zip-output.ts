import { PassThrough, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';
import { writeChunk } from './stream-writes.ts';

/**
 * A zip written as a stream, entry after entry, into `out` (CSV, XLSX and Parquet
 * exports). yazl (one small dependency, buffer-crc32) streams each entry through
 * deflate with data descriptors and switches to ZIP64 by itself past 4 GiB or
 * 65,535 entries, which a hand-written writer would have to get right too; it
 * never holds an entry in memory.
 */
export class ZipOutput {
  private readonly zip = new yazl.ZipFile();
  private readonly done: Promise<void>;
  private readonly mtime: Date;

  constructor(out: Writable, mtime: Date) {
    this.mtime = mtime;
    this.zip.outputStream.pipe(out, { end: false });
    this.done = finished(this.zip.outputStream);
  }

  /**
   * Adds an entry named `name` whose bytes `fill` writes through `write` (which
   * waits while the zip is busy). `level` 0 stores (for already compressed data).
   */
  async entry(
    name: string,
    fill: (write: (chunk: string | Buffer) => Promise<void>) => Promise<void>,
    level = 1,
  ): Promise<void> {
    const stream = new PassThrough({ highWaterMark: 256 * 1024 });
    this.zip.addReadStream(stream, name, {
      mtime: this.mtime,
      compress: level > 0,
      ...(level > 0 ? { compressionLevel: level } : {}),
    });
    await fill((chunk) => writeChunk(stream, chunk));
    stream.end();
    await finished(stream);
  }

  /** Writes the central directory; resolves when every byte has reached `out`. */
  async close(): Promise<void> {
    this.zip.end();
    await this.done;
  }
}
