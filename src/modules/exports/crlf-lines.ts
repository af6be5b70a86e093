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
