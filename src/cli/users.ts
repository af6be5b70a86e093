import type { Command } from 'commander';
import { operatorCaller } from '../context.ts';
import { AppError } from '../errors.ts';
import { globalOptionsOf } from './global-options.ts';
import { withInstallation } from './installation.ts';
import { Output } from './output.ts';
import { readPasswordFromStdin } from './password-input.ts';

/** `kith users create|disable`: accounts, as the operator. */
export function registerUsersCommands(program: Command): void {
  const users = program.command('users').description('create and disable accounts');

  users
    .command('create')
    .description('create an account; the password is the first line of stdin')
    .requiredOption('--email <email>', 'the account email (also its login)')
    .requiredOption('--name <name>', 'the person’s name')
    .requiredOption('--password-stdin', 'read the password from the first line of stdin')
    .action(async (options: { email: string; name: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      // Read before any store opens: a missing password costs nothing.
      const password = await readPasswordFromStdin();
      const user = await withInstallation(command, ({ services }) =>
        services.identity.createUser(operatorCaller(), {
          email: options.email,
          name: options.name,
          password,
        }),
      );
      output.result({ id: user.id }, [`Created account ${user.id} (${user.email}).`]);
    });

  users
    .command('disable')
    .description('disable an account and end all its sessions')
    .requiredOption('--email <email>', 'the account email')
    .action(async (options: { email: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const user = await withInstallation(command, async ({ services }) => {
        const found = await services.identity.findUserByEmail(options.email);
        if (!found) {
          throw new AppError(
            'not_found',
            `no account has the email ${options.email}: check the spelling`,
          );
        }
        return services.identity.setDisabled(operatorCaller(), found.id, true);
      });
      output.result({ id: user.id, disabled: user.disabled }, [
        `Disabled account ${user.id} (${user.email}); its sessions are ended.`,
      ]);
    });
}
