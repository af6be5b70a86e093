import type { Command } from 'commander';
import { oneLine } from './output.ts';

/**
 * Makes usage errors (unknown command or option, missing option, invalid value)
 * exceptions instead of exits, so `main` maps them to exit 2, and prints each as
 * one stderr line that names the help to read. Commander shares one output
 * configuration between a program and its commands, so the command being run is
 * tracked as commander dispatches to it.
 */
export function configureUsageErrors(program: Command): void {
  let current = program;
  const track = (command: Command) => {
    command.exitOverride();
    command.hook('preSubcommand', (_parent, subcommand) => {
      current = subcommand;
    });
    for (const subcommand of command.commands) {
      track(subcommand);
    }
  };
  track(program);
  program.configureOutput({
    outputError: (message) => {
      process.stderr.write(`${oneLine(message)} (see ${pathOf(current)} --help)\n`);
    },
    // Commander writes to stderr only to show the whole help when a command group
    // is run without one of its commands (`kith users`): say that in one line.
    writeErr: () => {
      const names = current.commands.map((c) => c.name()).join(', ');
      process.stderr.write(
        `error: ${pathOf(current)} needs a command: ${names} (see ${pathOf(current)} --help)\n`,
      );
    },
  });
}

/** `kith users create` for that command. */
export function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) {
    names.unshift(c.name());
  }
  return names.join(' ');
}
