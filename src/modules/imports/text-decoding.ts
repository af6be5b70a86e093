import { TextDecoder } from 'node:util';
import { badFile } from './import-limits.ts';

/** What a client may say a CSV is written in; `auto` reads a BOM, else expects UTF-8. */
export const importEncodings = ['auto', 'utf-8', 'utf-16le', 'utf-16be', 'windows-1252'] as const;
export type ImportEncoding = (typeof importEncodings)[number];

/** The encoding a file's first bytes announce by their byte-order mark, and the BOM's length. */
function byteOrderMark(head: Buffer): { encoding: ImportEncoding; length: number } | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { encoding: 'utf-8', length: 3 };
  }
  if (head[0] === 0xff && head[1] === 0xfe) {
    return { encoding: 'utf-16le', length: 2 };
  }
  if (head[0] === 0xfe && head[1] === 0xff) {
    return { encoding: 'utf-16be', length: 2 };
  }
  return undefined;
}

/**
 * The text of `chunks`, decoded as they stream: a BOM wins over `requested`
 * (a file cannot be two encodings); without one, `auto` means UTF-8. Invalid
 * bytes for the encoding and NUL characters end the read with a 400 naming the line.
 */
export async function* decodeText(
  chunks: AsyncIterable<Buffer>,
  requested: ImportEncoding,
): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let encoding: ImportEncoding = requested;
  let head = Buffer.alloc(0);
  let lines = 1;
  const check = (text: string): string => {
    const nul = text.indexOf('\u0000');
    if (nul !== -1) {
      throw badFile(
        'the file contains a NUL character: it is not a text file (a UTF-16 file needs its byte-order mark)',
        lines + countNewlines(text, nul),
      );
    }
    lines += countNewlines(text, text.length);
    return text;
  };
  const decode = (bytes: Buffer, stream: boolean): string => {
    try {
      return (decoder as TextDecoder).decode(bytes, { stream });
    } catch {
      // The line of the first bad byte: where a lenient decoder puts its first U+FFFD.
      const lenient = new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes);
      const bad = lenient.indexOf('\ufffd');
      throw badFile(
        `the file is not valid ${encoding.toUpperCase()}: save it as UTF-8, or say which encoding it uses (encoding: windows-1252, utf-16le, utf-16be)`,
        lines + countNewlines(lenient, bad === -1 ? 0 : bad),
      );
    }
  };
  for await (const chunk of chunks) {
    let bytes = chunk;
    if (!decoder) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) {
        continue;
      }
      const bom = byteOrderMark(head);
      encoding = bom?.encoding ?? (requested === 'auto' ? 'utf-8' : requested);
      decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
      bytes = head.subarray(bom?.length ?? 0);
    }
    const text = decode(bytes, true);
    if (text.length > 0) {
      yield check(text);
    }
  }
  let tail = Buffer.alloc(0);
  if (!decoder) {
    const bom = byteOrderMark(head);
    encoding = bom?.encoding ?? (requested === 'auto' ? 'utf-8' : requested);
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
    tail = head.subarray(bom?.length ?? 0);
  }
  const rest = decode(tail, false);
  if (rest.length > 0) {
    yield check(rest);
  }
}

function countNewlines(text: string, to: number): number {
  let count = 0;
  let at = text.indexOf('\n');
  while (at !== -1 && at < to) {
    count += 1;
    at = text.indexOf('\n', at + 1);
  }
  return count;
}
