import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError } from '../../errors.ts';
import { BackupDecryptor, type BackupHeader } from './backup-cipher.ts';
import type {
  BackupStartRecord,
  CompleteRecord,
  TableEndRecord,
  TableStartRecord,
} from './backup-records.ts';
import { copyEndLine, readableDataVersions } from './backup-records.ts';
import { countLines } from './backup-tables.ts';

/**
 * What reading a backup yields, in file order. Version 1 rows stay JSON text
 * (`row`); version 2 rows come as COPY text (`copy`), in pieces that each hold
 * whole rows, ready for the engine's COPY FROM.
 */
export type BackupEvent =
  | { readonly kind: 'backup'; readonly record: BackupStartRecord }
  | { readonly kind: 'table'; readonly record: TableStartRecord }
  | { readonly kind: 'row'; readonly table: string; readonly json: string }
  | { readonly kind: 'copy'; readonly table: string; readonly data: Buffer; readonly rows: number }
  | { readonly kind: 'end'; readonly record: TableEndRecord }
  | { readonly kind: 'complete'; readonly record: CompleteRecord };

const copyEnd = Buffer.concat([Buffer.from('\n'), copyEndLine]);

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
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const source = createReadStream(path, { highWaterMark: 1024 * 1024 });
  // pipeline() destroys every stream with the first error, so iterating the
  // last one rejects with it (a bad chunk, a truncated file, a read error).
  pipeline(source, decryptor, gunzip, () => undefined);
  let version = 0;
  let table: string | undefined;
  let inCopy = false;
  let count = 0;
  let complete = false;
  let pending: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (inCopy) {
          // COPY text: whole rows go on; the data ends at a line that is `\.`.
          if (
            pending.length >= copyEndLine.length &&
            pending.subarray(0, copyEndLine.length).equals(copyEndLine)
          ) {
            pending = pending.subarray(copyEndLine.length);
            inCopy = false;
            continue;
          }
          const end = pending.indexOf(copyEnd);
          const cut = end === -1 ? pending.lastIndexOf(10) : end;
          if (cut === -1) {
            break;
          }
          const data = pending.subarray(0, cut + 1);
          const rows = countLines(data);
          count += rows;
          pending = pending.subarray(cut + 1);
          yield { kind: 'copy', table: table as string, data, rows };
          continue;
        }
        const at = pending.indexOf(10);
        if (at === -1) {
          break;
        }
        const line = pending.toString('utf8', 0, at);
        pending = pending.subarray(at + 1);
        if (complete) {
          throw structure(label, 'data after the complete record');
        }
        if (line.startsWith('{')) {
          if (!table || version !== 1) {
            throw structure(label, 'a row outside any table');
          }
          count += 1;
          yield { kind: 'row', table, json: line };
          continue;
        }
        const [kind, body] = parseControl(label, line);
        if (kind === 'backup') {
          version = (body as BackupStartRecord).version;
          if (!readableDataVersions.includes(version)) {
            throw structure(label, `unsupported data version ${String(version)}`);
          }
          yield { kind, record: body as BackupStartRecord };
        } else if (version === 0) {
          throw structure(label, 'the data does not start with its backup record');
        } else if (kind === 'table') {
          if (table) {
            throw structure(label, `table ${table} has no end record`);
          }
          table = (body as TableStartRecord).name;
          count = 0;
          inCopy = version >= 2;
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
        } else {
          if (table) {
            throw structure(label, `table ${table} has no end record`);
          }
          complete = true;
          yield { kind: 'complete', record: body as CompleteRecord };
        }
      }
    }
  } finally {
    source.destroy();
  }
  if (!complete || pending.length > 0) {
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
