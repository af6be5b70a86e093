import type { Command } from 'commander';

/** The options every command takes (CONTRACT.md, "CLI"). */
export interface GlobalOptions {
  /** `--data DIR`; undefined: `$KITH_DATA` or `./data` (decided by `loadConfig`). */
  readonly data: string | undefined;
  /** `--json`: one JSON document on stdout. */
  readonly json: boolean;
}

/**
 * Declares `--data` and `--json` once, on the program. Commander recognises a
 * program option before or after the command name, so `kith --json init` and
 * `kith init --json` both work.
 */
export function addGlobalOptions(program: Command): Command {
  return program
    .option('--data <dir>', 'data directory (default: $KITH_DATA or ./data)')
    .option('--json', 'print the result as one JSON document on stdout');
}

/** The global options as seen from a (sub)command's action. */
export function globalOptionsOf(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<{ data?: string; json?: boolean }>();
  return { data: options.data, json: options.json === true };
}
