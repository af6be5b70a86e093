/**
 * COPY's CSV ends rows with LF; export CSV ends them with CRLF (RFC 4180,
 * docs/export-format.md). A line feed inside a quoted field is data and stays:
 * the transform follows the quotes across chunks (`""` toggles twice).
 */
export class CrlfLines {
  private quoted = false;

  /** `chunk` with a CR before every row-ending LF. */
  transform(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length * 2);
    let quoted = this.quoted;
    let o = 0;
    for (let i = 0; i < chunk.length; i += 1) {
      const byte = chunk[i] as number;
      if (byte === 0x22) {
        quoted = !quoted;
      } else if (byte === 0x0a && !quoted) {
        out[o] = 0x0d;
        o += 1;
      }
      out[o] = byte;
      o += 1;
    }
    this.quoted = quoted;
    return out.subarray(0, o);
  }
}

/** How many line feeds `chunks` hold (one native search per line). */
export function countLineFeeds(chunks: readonly Buffer[]): number {
  let count = 0;
  for (const chunk of chunks) {
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) {
      count += 1;
    }
  }
  return count;
}

/**
 * `chunk` with a CR before every LF, by native string operations (latin1 maps
 * each byte to one character and back, so any UTF-8 passes unchanged). Right
 * when every LF ends a row: a page whose line feeds are as many as its rows.
 */
export function crlfEveryLine(chunk: Buffer): Buffer {
  return Buffer.from(chunk.toString('latin1').replaceAll('\n', '\r\n'), 'latin1');
}
