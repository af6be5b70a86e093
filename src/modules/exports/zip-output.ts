import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { writeChunk } from './stream-writes.ts';

/**
 * A zip written as a stream, entry after entry, into `out` (CSV, XLSX and Parquet
 * exports): each entry's local header, its bytes (deflated by node:zlib, whose
 * work runs off the main thread, or stored), then a data descriptor with its
 * CRC-32 and sizes; the central directory last. ZIP64 records are written where
 * a size, an offset or the entry count needs them (as yazl, which this replaces,
 * did). An entry is never held in memory.
 *
 * Our own writer because the export's pace is the zip's: yazl pumped every byte
 * through a PassThrough, its own deflate pipe and a CRC-32 computed byte by byte
 * in JavaScript; here the CRC is zlib's (`zlib.crc32`, Node ≥ 20.15) and the
 * deflate stream is written directly.
 */

const localHeaderSignature = 0x04034b50;
const dataDescriptorSignature = 0x08074b50;
const centralHeaderSignature = 0x02014b50;
const endSignature = 0x06054b50;
const zip64EndSignature = 0x06064b50;
const zip64LocatorSignature = 0x07064b50;
/** General purpose flags: sizes and CRC in a data descriptor (bit 3), UTF-8 names (bit 11). */
const flags = (1 << 3) | (1 << 11);
const versionNeeded = 20;
const versionNeededZip64 = 45;
/** Made by: Unix (3), spec 6.3. */
const versionMadeBy = (3 << 8) | 63;
/** A regular file, rw-rw-r--. */
const externalAttributes = (0o100664 << 16) >>> 0;
const zip64Limit = 0xfffffffe;
/** Output chunks of the deflate stream: fewer, larger writes downstream. */
const deflateChunkBytes = 256 * 1024;
/**
 * Input zlib may have waiting before a writer waits for it: more than one
 * PGlite COPY page of CSV (~10 MB), so zlib deflates a page while the next is read.
 */
const deflateInputBytes = 16 * 1024 * 1024;
/**
 * Bytes gathered before the CRC and one deflate write: each write to a zlib
 * stream is a round trip to its thread, and PostgreSQL's COPY arrives in ~10 KB
 * chunks (1 MB blocks deflated ~4× faster than 10 KB writes).
 */
const deflateBlockBytes = 1024 * 1024;

type Crc32 = (data: Buffer, value?: number) => number;

const crcTable = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (ISO 3309) in JavaScript, for a Node without `zlib.crc32` (< 20.15). */
export function crc32Js(data: Buffer, value = 0): number {
  let c = ~value;
  for (let i = 0; i < data.length; i += 1) {
    c = (crcTable[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  }
  return ~c >>> 0;
}

const crc32: Crc32 = (zlib as { crc32?: Crc32 }).crc32 ?? crc32Js;

interface EntryRecord {
  readonly name: Buffer;
  readonly method: number;
  readonly crc: number;
  readonly size: number;
  readonly compressed: number;
  readonly offset: number;
}

function dosDateTime(date: Date): { date: number; time: number } {
  // Local time, as zip tools show it (yazl did the same).
  const min = new Date(1980, 0, 1);
  const max = new Date(2107, 11, 31, 23, 59, 58);
  const d = date < min ? min : date > max ? max : date;
  return {
    date: d.getDate() | ((d.getMonth() + 1) << 5) | ((d.getFullYear() - 1980) << 9),
    time: Math.floor(d.getSeconds() / 2) | (d.getMinutes() << 5) | (d.getHours() << 11),
  };
}

function writeUInt64(buffer: Buffer, value: number, at: number): void {
  buffer.writeBigUInt64LE(BigInt(value), at);
}

/**
 * Writes to a zlib stream with at most `limit` bytes of input waiting in it.
 * A write waits until the bytes waiting fall below the limit (zlib finished
 * an earlier input), or rejects once the stream failed or was destroyed.
 */
class DeflateQueue {
  private waiting = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly deflate: zlib.DeflateRaw,
    private readonly limit: number,
  ) {
    const stop = (error?: Error) => {
      this.failure ??=
        error ?? new Error('the export output was closed before the export finished');
      this.wakeUp();
    };
    deflate.once('error', stop);
    deflate.once('close', () => stop());
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Queues `bytes`; `consumed` is called once zlib is done with them (their memory may be reused). */
  async write(bytes: Buffer, consumed?: () => void): Promise<void> {
    if (this.failure || this.deflate.destroyed) {
      throw this.failure ?? new Error('the export output was closed before the export finished');
    }
    this.waiting += bytes.length;
    this.deflate.write(bytes, (error) => {
      this.waiting -= bytes.length;
      if (!error) {
        consumed?.();
      }
      this.wakeUp();
    });
    while (this.waiting >= this.limit) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      if (this.failure) {
        throw this.failure;
      }
    }
  }
}

export class ZipOutput {
  private readonly out: Writable;
  private readonly date: number;
  private readonly time: number;
  private readonly unixTime: number;
  private readonly entries: EntryRecord[] = [];
  private offset = 0;
  private current: zlib.DeflateRaw | undefined;

  constructor(out: Writable, mtime: Date) {
    this.out = out;
    const { date, time } = dosDateTime(mtime);
    this.date = date;
    this.time = time;
    this.unixTime = Math.max(-0x80000000, Math.min(0x7fffffff, Math.floor(mtime.getTime() / 1000)));
    const abandon = () => this.current?.destroy(new Error('the export output was closed'));
    out.once('close', abandon);
    out.once('error', abandon);
  }

  private async emit(chunk: Buffer): Promise<void> {
    this.offset += chunk.length;
    await writeChunk(this.out, chunk);
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
    const nameBytes = Buffer.from(name, 'utf8');
    const offset = this.offset;
    const method = level > 0 ? 8 : 0;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(localHeaderSignature, 0);
    header.writeUInt16LE(versionNeeded, 4);
    header.writeUInt16LE(flags, 6);
    header.writeUInt16LE(method, 8);
    header.writeUInt16LE(this.time, 10);
    header.writeUInt16LE(this.date, 12);
    // CRC and sizes (14–25) are zero: the data descriptor carries them.
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(0, 28);
    await this.emit(Buffer.concat([header, nameBytes]));
    let crc = 0;
    let size = 0;
    let compressed = 0;
    if (method === 0) {
      await fill(async (chunk) => {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        crc = crc32(bytes, crc);
        size += bytes.length;
        await this.emit(bytes);
      });
      compressed = size;
    } else {
      // Up to `deflateInputBytes` wait for zlib (which deflates off the main
      // thread) while the writer makes the next ones. The writer waits for one
      // block to be deflated, not for the whole queue to drain (a stream's
      // 'drain'): zlib then never runs dry while the writer refills it, and the
      // writer goes on reading its source (PostgreSQL's socket) meanwhile.
      const deflate = zlib.createDeflateRaw({ level, chunkSize: deflateChunkBytes });
      this.current = deflate;
      deflate.on('data', (chunk: Buffer) => {
        compressed += chunk.length;
      });
      deflate.pipe(this.out, { end: false });
      const queue = new DeflateQueue(deflate, deflateInputBytes);
      // zlib keeps a block until it has deflated it; then the block is spare
      // and filled again: some 17 blocks for a whole entry, not one per MB
      // (fresh buffers are memory outside the heap, each GB of them ~15 full
      // garbage collections).
      const spare: Buffer[] = [];
      let block: Buffer = Buffer.allocUnsafe(deflateBlockBytes);
      let used = 0;
      const deflateBytes = async (bytes: Buffer, consumed?: () => void) => {
        crc = crc32(bytes, crc);
        size += bytes.length;
        await queue.write(bytes, consumed);
      };
      const flush = async () => {
        if (used > 0) {
          const full = block;
          const bytes = block.subarray(0, used);
          block = spare.pop() ?? Buffer.allocUnsafe(deflateBlockBytes);
          used = 0;
          await deflateBytes(bytes, () => spare.push(full));
        }
      };
      try {
        await fill(async (chunk) => {
          if (typeof chunk === 'string') {
            // A text is encoded straight into the block when its longest UTF-8 fits.
            if (chunk.length * 3 <= block.length) {
              if (chunk.length * 3 > block.length - used) {
                await flush();
              }
              used += block.write(chunk, used);
              return;
            }
            chunk = Buffer.from(chunk);
          }
          const large = chunk.length >= deflateBlockBytes / 2;
          if (large || chunk.length > block.length - used) {
            await flush();
          }
          if (large) {
            await deflateBytes(chunk);
          } else {
            used += chunk.copy(block, used);
          }
        });
        await flush();
        deflate.end();
        await finished(deflate);
      } catch (error) {
        deflate.destroy();
        throw error;
      } finally {
        deflate.unpipe(this.out);
        this.current = undefined;
      }
      this.offset += compressed;
    }
    const zip64 = size > zip64Limit || compressed > zip64Limit;
    const descriptor = Buffer.alloc(zip64 ? 24 : 16);
    descriptor.writeUInt32LE(dataDescriptorSignature, 0);
    descriptor.writeUInt32LE(crc, 4);
    if (zip64) {
      writeUInt64(descriptor, compressed, 8);
      writeUInt64(descriptor, size, 16);
    } else {
      descriptor.writeUInt32LE(compressed, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    await this.emit(descriptor);
    this.entries.push({ name: nameBytes, method, crc, size, compressed, offset });
  }

  /** Writes the central directory; resolves when every byte has reached `out`. */
  async close(): Promise<void> {
    const start = this.offset;
    const parts: Buffer[] = [];
    for (const entry of this.entries) {
      const zip64 =
        entry.size > zip64Limit || entry.compressed > zip64Limit || entry.offset > zip64Limit;
      // Info-ZIP's universal time (mtime), as yazl wrote it.
      const time = Buffer.alloc(9);
      time.writeUInt16LE(0x5455, 0);
      time.writeUInt16LE(5, 2);
      time.writeUInt8(3, 4);
      time.writeInt32LE(this.unixTime, 5);
      let extra = time;
      if (zip64) {
        const sizes = Buffer.alloc(28);
        sizes.writeUInt16LE(0x0001, 0);
        sizes.writeUInt16LE(24, 2);
        writeUInt64(sizes, entry.size, 4);
        writeUInt64(sizes, entry.compressed, 12);
        writeUInt64(sizes, entry.offset, 20);
        extra = Buffer.concat([time, sizes]);
      }
      const record = Buffer.alloc(46);
      record.writeUInt32LE(centralHeaderSignature, 0);
      record.writeUInt16LE(versionMadeBy, 4);
      record.writeUInt16LE(zip64 ? versionNeededZip64 : versionNeeded, 6);
      record.writeUInt16LE(flags, 8);
      record.writeUInt16LE(entry.method, 10);
      record.writeUInt16LE(this.time, 12);
      record.writeUInt16LE(this.date, 14);
      record.writeUInt32LE(entry.crc, 16);
      record.writeUInt32LE(zip64 ? 0xffffffff : entry.compressed, 20);
      record.writeUInt32LE(zip64 ? 0xffffffff : entry.size, 24);
      record.writeUInt16LE(entry.name.length, 28);
      record.writeUInt16LE(extra.length, 30);
      // comment length, disk number, internal attributes: 0
      record.writeUInt32LE(externalAttributes, 38);
      record.writeUInt32LE(zip64 ? 0xffffffff : entry.offset, 42);
      parts.push(record, entry.name, extra);
    }
    const directory = Buffer.concat(parts);
    const end = start + directory.length;
    const count = this.entries.length;
    const needsZip64 = count >= 0xffff || directory.length >= 0xffffffff || start >= 0xffffffff;
    const tail: Buffer[] = [directory];
    if (needsZip64) {
      const record = Buffer.alloc(56);
      record.writeUInt32LE(zip64EndSignature, 0);
      writeUInt64(record, 44, 4);
      record.writeUInt16LE(versionMadeBy, 12);
      record.writeUInt16LE(versionNeededZip64, 14);
      writeUInt64(record, count, 24);
      writeUInt64(record, count, 32);
      writeUInt64(record, directory.length, 40);
      writeUInt64(record, start, 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(zip64LocatorSignature, 0);
      writeUInt64(locator, end, 8);
      locator.writeUInt32LE(1, 16);
      tail.push(record, locator);
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(endSignature, 0);
    eocd.writeUInt16LE(Math.min(count, 0xffff), 8);
    eocd.writeUInt16LE(Math.min(count, 0xffff), 10);
    eocd.writeUInt32LE(needsZip64 ? 0xffffffff : directory.length, 12);
    eocd.writeUInt32LE(needsZip64 ? 0xffffffff : start, 16);
    tail.push(eocd);
    await this.emit(Buffer.concat(tail));
  }
}
