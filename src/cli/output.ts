import { CommanderError } from 'commander';
import { isAppError } from '../errors.ts';

/**
 * What a command prints. Human output is a few short lines on stdout; with
 * `--json` stdout carries exactly one JSON document (the result) and anything
 * else a person should see goes to stderr. Errors are always one line on stderr.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** The command's result: `value` as one JSON document with `--json`, else `human`. */
  result(value: unknown, human: readonly string[]): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(value)}\n`);
      return;
    }
    for (const line of human) {
      this.stdout.write(`${line}\n`);
    }
  }

  /** A line for a person that is not the result (progress, hints): kept off stdout with `--json`. */
  note(line: string): void {
    (this.json ? this.stderr : this.stdout).write(`${line}\n`);
  }
}

/** Collapses a message onto one line, as every CLI error must be. */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The one stderr line for an error a command threw (commander prints its own). */
export function errorLine(error: unknown): string | undefined {
  if (error instanceof CommanderError) {
    return undefined;
  }
  if (isAppError(error)) {
    return `error: ${oneLine(error.message)}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `error: unexpected failure: ${oneLine(message)} (run again; if it persists, report it with the command you ran)`;
}
