import { createInterface } from 'node:readline';
import { AppError } from '../errors.ts';

/**
 * Reads a password from stdin: its first line, without the line ending. A
 * password is never taken as an argument, where `ps` and shell history would
 * show it. Reading stops at the first newline, so a person can type it too.
 */
export async function readPasswordFromStdin(
  input: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  if ((input as { isTTY?: boolean }).isTTY) {
    process.stderr.write('Password (shown as you type; prefer piping it in): ');
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  try {
    const line = await new Promise<string | undefined>((resolve, reject) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(undefined));
      input.once('error', reject);
    });
    if (line === undefined || line.length === 0) {
      throw new AppError(
        'invalid_input',
        "no password on stdin: pipe it in, e.g. printf '%s\\n' 'a long passphrase' | kith users create … --password-stdin",
      );
    }
    return line;
  } finally {
    lines.close();
    // Let the process exit: a paused stdin no longer holds the event loop.
    input.pause();
  }
}
