import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { AppError } from '../../errors.ts';
import { BackupDecryptor, type BackupHeader } from './backup-cipher.ts';
import type {
  BackupStartRecord,
  CompleteRecord,
  TableEndRecord,
  TableStartRecord,
} from './backup-records.ts';

/** What reading a backup yields, in file order. Rows stay JSON text (restore hands them to SQL). */
export type BackupEvent =
  | { readonly kind: 'backup'; readonly record: BackupStartRecord }
  | { readonly kind: 'table'; readonly record: TableStartRecord }
  | { readonly kind: 'row'; readonly table: string; readonly json: string }
  | { readonly kind: 'end'; readonly record: TableEndRecord }
  | { readonly kind: 'complete'; readonly record: CompleteRecord };

/**
 * Decrypts, decompresses and parses a backup file as a stream, checking its
 * structure as it goes: every table ends with its row count, and the file ends
 * with the `complete` record after the final chunk. Any failure is an
 * `integrity_failure` naming `label`.
 */
export async function* readBackupFile(
  path: string,
  label: string,
  keyFor: (header: BackupHeader) => Buffer,
): AsyncGenerator<BackupEvent> {
  const decryptor = new BackupDecryptor(label, keyFor);
  const gunzip = createGunzip();
  const source = createReadStream(path, { highWaterMark: 1024 * 1024 });
  // pipeline() destroys every stream with the first error, so iterating the
  // last one rejects with it (a bad chunk, a truncated file, a read error).
  pipeline(source, decryptor, gunzip, () => undefined);
  let table: string | undefined;
  let count = 0;
  let complete = false;
  try {
    for await (const line of linesOf(gunzip)) {
      if (complete) {
        throw structure(label, 'data after the complete record');
      }
      if (line.startsWith('{')) {
        if (!table) {
          throw structure(label, 'a row outside any table');
        }
        count += 1;
        yield { kind: 'row', table, json: line };
        continue;
      }
      const [kind, body] = parseControl(label, line);
      if (kind === 'table') {
        table = (body as TableStartRecord).name;
        count = 0;
        yield { kind, record: body as TableStartRecord };
      } else if (kind === 'end') {
        const end = body as TableEndRecord;
        if (end.name !== table || end.rows !== count) {
          throw structure(
            label,
            `table ${String(end.name)} ends with ${end.rows} rows, ${count} were read`,
          );
        }
        table = undefined;
        yield { kind, record: end };
      } else if (kind === 'backup') {
        yield { kind, record: body as BackupStartRecord };
      } else {
        complete = true;
        yield { kind: 'complete', record: body as CompleteRecord };
      }
    }
  } finally {
    source.destroy();
  }
  if (!complete) {
    throw structure(label, 'the data ends before its complete record');
  }
}

function parseControl(label: string, line: string): [string, unknown] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw structure(label, 'a line is not JSON');
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !['backup', 'table', 'end', 'complete'].includes(value[0] as string)
  ) {
    throw structure(label, 'an unknown record');
  }
  return [value[0] as string, value[1]];
}

function structure(label: string, reason: string): AppError {
  return new AppError('integrity_failure', `backup ${label}: ${reason}`);
}

/** The lines of a byte stream (UTF-8, `\n`-separated), without holding more than one line. */
async function* linesOf(stream: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + decoder.write(chunk);
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    yield* lines;
  }
  rest += decoder.end();
  if (rest.length > 0) {
    yield rest;
  }
}
