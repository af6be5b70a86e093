/**
 * `kith`, the operator's command line (CONTRACT.md, "CLI"). One file per command
 * under `cli/`. Every command takes `--data DIR` and `--json`; errors are one
 * line on stderr, and the exit code says what kind (see `cli/exit-codes.ts`).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerBackupCommands } from './cli/backup.ts';
import { registerContactsCommands } from './cli/contacts-import.ts';
import { exitCodeFor, exitCodes } from './cli/exit-codes.ts';
import { registerExportCommand } from './cli/export.ts';
import { addGlobalOptions } from './cli/global-options.ts';
import { registerHistoryCommands } from './cli/history.ts';
import { registerInitCommand } from './cli/init.ts';
import { registerMigrateCommand } from './cli/migrate.ts';
import { errorLine } from './cli/output.ts';
import { registerServeCommand } from './cli/serve.ts';
import { registerSpacesCommands } from './cli/spaces.ts';
import { registerStaffCommands } from './cli/staff.ts';
import { configureUsageErrors } from './cli/usage-errors.ts';
import { registerUsersCommands } from './cli/users.ts';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as {
  version: string;
};

/** The whole program, ready to parse. */
function buildProgram(): Command {
  const program = new Command('kith')
    .description('Kith: the operator’s command line')
    .version(version, '--version', 'print the version')
    .configureHelp({ showGlobalOptions: true });
  addGlobalOptions(program);
  registerInitCommand(program);
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerUsersCommands(program);
  registerSpacesCommands(program);
  registerContactsCommands(program);
  registerStaffCommands(program);
  registerHistoryCommands(program);
  registerExportCommand(program);
  registerBackupCommands(program);
  configureUsageErrors(program);
  return program;
}

/** Runs the CLI on `argv`; resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return exitCodes.success;
  } catch (error) {
    const line = errorLine(error);
    if (line) {
      process.stderr.write(`${line}\n`);
    }
    return exitCodeFor(error);
  }
}

const code = await main(process.argv);
process.exitCode = code;
// Every command has closed its stores by now; should anything still hold the
// event loop (a stray handle), it must not keep the CLI from exiting.
setTimeout(() => process.exit(code), 3000).unref();
