/**
 * COPY's CSV ends rows with LF; export CSV ends them with CRLF (RFC 4180,
 * docs/export-format.md). A line feed inside a quoted field is data and stays:
 * the transform follows the quotes across chunks (`""` toggles twice).
 */
export class CrlfLines {
  private quoted = false;

  /**
   * `chunk` with a CR before every row-ending LF. It jumps between quotes and
   * line feeds with native searches and copies the runs between them, instead
   * of looking at every byte in JavaScript.
   */
  transform(chunk: Buffer): Buffer {
    const end = chunk.length;
    const out = Buffer.allocUnsafe(end + countLineFeeds([chunk]));
    const next = (byte: number, from: number) => {
      const at = chunk.indexOf(byte, from);
      return at < 0 ? end : at;
    };
    let quoted = this.quoted;
    let copied = 0;
    let o = 0;
    let at = 0;
    let quote = next(0x22, 0);
    let lineFeed = next(0x0a, 0);
    while (at < end) {
      if (quoted) {
        if (quote === end) {
          break;
        }
        quoted = false;
        at = quote + 1;
        quote = next(0x22, at);
        continue;
      }
      if (lineFeed < at) {
        lineFeed = next(0x0a, at);
      }
      if (quote < lineFeed) {
        quoted = true;
        at = quote + 1;
        quote = next(0x22, at);
        continue;
      }
      if (lineFeed === end) {
        break;
      }
      o += chunk.copy(out, o, copied, lineFeed);
      out[o] = 0x0d;
      o += 1;
      copied = lineFeed;
      at = lineFeed + 1;
      lineFeed = next(0x0a, at);
    }
    o += chunk.copy(out, o, copied, end);
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
