import { Readable } from 'node:stream';
import type pg from 'pg';

/**
 * `COPY … TO STDOUT` on a node-postgres connection, as a readable stream of the
 * rows' bytes: what pg-copy-streams' `to` does, with two differences that are
 * an export's pace on PostgreSQL.
 *
 * - The protocol sends one CopyData message per row (PostgreSQL's protocol,
 *   "Copy-out mode": "always one per row"), so the row ends are known without
 *   reading the rows: with `lineEnd: '\r\n'`, each row's closing line feed is
 *   written as CR LF while the message is unwrapped (a CSV file's row end,
 *   RFC 4180). A line feed inside a quoted CSV field is not a row's last byte
 *   and stays as it is — no pass over the bytes to follow the quotes.
 * - Each socket chunk is unwrapped in place, by one move per message, instead
 *   of a slice per message and a concatenation per chunk: no allocation per
 *   chunk, far fewer garbage collections over a large export.
 *
 * The stream takes over the connection's socket from the moment the query is
 * sent until CopyDone, like pg-copy-streams: the driver's own data listener is
 * set aside and handed back, with every byte after CopyDone (CommandComplete,
 * ReadyForQuery), or from an ErrorResponse on, so that the driver finishes the
 * query, reports its error and the connection stays usable. Backpressure is
 * the socket's: it is read only while the consumer wants more.
 */

/** The driver's connection, as far as the stream uses it (pg's Connection is not typed). */
interface Connection {
  readonly stream: Readable;
  query(text: string): void;
}

const errorResponse = 0x45; // E
const copyOutResponse = 0x48; // H
const copyData = 0x64; // d
const copyDone = 0x63; // c
// Asynchronous messages the server may send in the middle of a COPY: skipped.
const noticeResponse = 0x4e; // N
const parameterStatus = 0x53; // S
const notificationResponse = 0x41; // A
const lineFeed = 0x0a;
const carriageReturn = 0x0d;
/** A row's end when it cannot be written in place (the consumer copies it: it is never changed). */
const crlfRowEnd = Buffer.from('\r\n');

export interface CopyOutOptions {
  /** How each row ends in the output: as COPY writes it (`\n`), or CR LF. */
  readonly lineEnd?: '\n' | '\r\n';
  /** Called just before the stream closes the connection under an unfinished COPY. */
  readonly onAbandon?: () => void;
}

export class CopyOutStream extends Readable {
  readonly text: string;
  /** Rows COPY reported, once the stream has ended. */
  rowCount = 0;
  private readonly crlf: boolean;
  private readonly onAbandon: (() => void) | undefined;
  private connection: Connection | undefined;
  private driverListener: ((chunk: Buffer) => void) | undefined;
  private readonly onReadable = () => this.forward();
  private wanted = false;
  private forwarding = false;
  private finished = false;
  /** The header bytes (code and length) of a message read so far: 0–4 of 5. */
  private readonly header = Buffer.alloc(5);
  private headerBytes = 0;
  /** The current message's code, and how many of its bytes are still to come. */
  private code = 0;
  private remaining = 0;

  constructor(text: string, options: CopyOutOptions = {}) {
    super();
    this.text = text;
    this.crlf = options.lineEnd === '\r\n';
    this.onAbandon = options.onAbandon;
  }

  /** Called by the driver when the query's turn comes. */
  submit(connection: Connection): void {
    this.connection = connection;
    const listeners = connection.stream.listeners('data');
    if (listeners.length !== 1) {
      throw new Error(`expected the driver's one data listener, found ${listeners.length}`);
    }
    this.driverListener = listeners[0] as (chunk: Buffer) => void;
    connection.stream.removeListener('data', this.driverListener);
    connection.stream.pause();
    connection.stream.on('readable', this.onReadable);
    connection.query(this.text);
    this.forward();
  }

  override _read(): void {
    this.wanted = true;
    this.forward();
  }

  private forward(): void {
    if (this.forwarding || !this.wanted || !this.connection || this.finished) {
      return;
    }
    this.forwarding = true;
    try {
      while (this.wanted && !this.finished) {
        const chunk = this.connection.stream.read() as Buffer | null;
        if (chunk === null) {
          break;
        }
        this.wanted = this.unwrap(chunk);
      }
    } finally {
      this.forwarding = false;
    }
  }

  /**
   * Unwraps the messages of `chunk` in place (the socket's chunk is the
   * stream's own): each payload moves left over the headers before it, so no
   * buffer is allocated per chunk. Returns whether the consumer wants more.
   */
  private unwrap(chunk: Buffer): boolean {
    const end = chunk.length;
    // Output so far: chunk[from, o); input read up to `at` (o ≤ at).
    let from = 0;
    let o = 0;
    let at = 0;
    let wanted = true;
    while (at < end) {
      if (this.remaining === 0) {
        // A new message: its code and length, maybe split across chunks.
        const take = Math.min(5 - this.headerBytes, end - at);
        if (this.headerBytes === 0 && take === 5) {
          this.code = chunk[at] as number;
          this.remaining = chunk.readUInt32BE(at + 1) - 4;
        } else {
          chunk.copy(this.header, this.headerBytes, at, at + take);
          this.headerBytes += take;
          if (this.headerBytes < 5) {
            at += take;
            break;
          }
          this.code = this.header[0] as number;
          this.remaining = this.header.readUInt32BE(1) - 4;
          this.headerBytes = 0;
        }
        if (this.code === errorResponse) {
          // The driver reads the error (and ReadyForQuery), from this header on:
          // the header's bytes of earlier chunks, then the rest of this one.
          const earlier = Buffer.from(this.header.subarray(0, 5 - take));
          const unread = Buffer.concat([earlier, chunk.subarray(at)]);
          this.pushSome(chunk, from, o);
          this.detach(unread);
          return false;
        }
        at += take;
        if (this.code === copyDone) {
          this.remaining = 0;
          const unread = chunk.subarray(at);
          this.pushSome(chunk, from, o);
          this.detach(unread);
          this.finished = true;
          this.push(null);
          return false;
        }
        if (
          this.code !== copyData &&
          this.code !== copyOutResponse &&
          this.code !== noticeResponse &&
          this.code !== parameterStatus &&
          this.code !== notificationResponse
        ) {
          const unexpected = this.code;
          this.detach(Buffer.alloc(0));
          this.destroy(
            new Error(`unexpected message ${String.fromCharCode(unexpected)} during COPY out`),
          );
          return false;
        }
        if (this.remaining === 0) {
          continue;
        }
      }
      const take = Math.min(this.remaining, end - at);
      this.remaining -= take;
      if (this.code === copyData) {
        if (this.crlf && this.remaining === 0 && chunk[at + take - 1] === lineFeed) {
          // The row's last byte, its line feed: CR LF, one byte more than it
          // was. A header (5 bytes) came before it in this chunk, unless the
          // row began in an earlier one: then the bytes so far go out first,
          // the row's end as its own 2 bytes, and the chunk is reused after it.
          if (o === at) {
            wanted = this.pushSome(chunk, from, at + take - 1) && wanted;
            wanted = this.push(crlfRowEnd) && wanted;
            at += take;
            from = at;
            o = at;
            continue;
          }
          o += chunk.copy(chunk, o, at, at + take - 1);
          chunk[o] = carriageReturn;
          chunk[o + 1] = lineFeed;
          o += 2;
        } else if (o === at) {
          o += take;
        } else {
          o += chunk.copy(chunk, o, at, at + take);
        }
      }
      at += take;
    }
    return this.pushSome(chunk, from, o) && wanted;
  }

  /** Pushes `chunk[from, to)`, if not empty; whether the consumer wants more. */
  private pushSome(chunk: Buffer, from: number, to: number): boolean {
    return to === from || this.push(chunk.subarray(from, to));
  }

  /**
   * A consumer that stops before the end (it failed, or broke out of its loop)
   * leaves the server in the middle of the COPY, and the socket set aside from
   * the driver: the driver would wait for ever behind the unread rows (a
   * transaction's ROLLBACK first of all). The connection is closed instead:
   * the server rolls back and ends the session, the driver fails what it had
   * queued on it, and the pool drops it. (A cancel request could reach the
   * session after the COPY ended and cancel the next statement.)
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const connection = this.connection;
    if (!this.finished && connection) {
      this.finished = true;
      this.connection = undefined;
      connection.stream.removeListener('readable', this.onReadable);
      this.onAbandon?.();
      connection.stream.destroy();
    }
    callback(error);
  }

  /** Hands the socket back to the driver with the bytes it must read. */
  private detach(unread: Buffer): void {
    const connection = this.connection;
    const listener = this.driverListener;
    if (!connection || !listener) {
      return;
    }
    this.connection = undefined;
    this.driverListener = undefined;
    connection.stream.removeListener('readable', this.onReadable);
    connection.stream.on('data', listener);
    if (unread.length > 0) {
      listener(unread);
    }
    // The driver's listener may pause the socket (its own backpressure): it
    // resumes once that call is over.
    process.nextTick(() => connection.stream.resume());
  }

  /** The driver's callbacks for the active query. */
  handleError(error: Error): void {
    this.finished = true;
    this.destroy(error);
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /^COPY (\d+)/.exec(message?.text ?? '');
    if (match) {
      this.rowCount = Number.parseInt(match[1] as string, 10);
    }
  }

  handleReadyForQuery(): void {}
}

/** `COPY (select) TO STDOUT <options>` on `connection`, as a stream (see CopyOutStream). */
export function copyOut(
  connection: pg.PoolClient | pg.Client,
  sql: string,
  options?: CopyOutOptions,
): CopyOutStream {
  const stream = new CopyOutStream(sql, {
    ...options,
    // The driver reports the closed connection as an error of the client,
    // which nobody listens to while the pool has it out: it is expected here.
    onAbandon: () => {
      connection.once('error', () => undefined);
      options?.onAbandon?.();
    },
  });
  return connection.query(stream as never) as unknown as CopyOutStream;
}
