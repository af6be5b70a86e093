import type { Command } from 'commander';
import { isStaffRole, operatorCaller, staffRoles } from '../context.ts';
import { AppError } from '../errors.ts';
import { isUuid } from '../modules/spaces/space-access.ts';
import { globalOptionsOf } from './global-options.ts';
import { withInstallation } from './installation.ts';
import { Output } from './output.ts';
import { readPasswordFromStdin } from './password-input.ts';

/** `kith staff create|assign`: the operator's staff accounts (hr store). */
export function registerStaffCommands(program: Command): void {
  const staff = program
    .command('staff')
    .description('create staff accounts, and assign or unassign account managers');

  staff
    .command('create')
    .description('create a staff member with an account; the password is the first line of stdin')
    .requiredOption('--email <email>', 'work email (also the login)')
    .requiredOption('--name <name>', 'the person’s name')
    .requiredOption('--role <role>', `one of ${staffRoles.join(', ')}`)
    .requiredOption('--password-stdin', 'read the password from the first line of stdin')
    .option('--department <name>', 'department (defaults to the role)')
    .option('--contract <type>', 'employee or contractor', 'employee')
    .option('--start <date>', 'first day of the contract, YYYY-MM-DD (default today)')
    .option('--end <date>', 'last day of the contract, YYYY-MM-DD (inclusive)')
    .action(
      async (
        options: {
          email: string;
          name: string;
          role: string;
          department?: string;
          contract: string;
          start?: string;
          end?: string;
        },
        command: Command,
      ) => {
        const output = new Output(globalOptionsOf(command).json);
        if (!isStaffRole(options.role)) {
          throw new AppError(
            'invalid_input',
            `--role ${options.role} is not a staff role: use one of ${staffRoles.join(', ')}`,
          );
        }
        const role = options.role;
        const password = await readPasswordFromStdin();
        const created = await withInstallation(command, async ({ services }) => {
          // A login names one account: staff never share an email with a platform account.
          if (await services.identity.findUserByEmail(options.email)) {
            throw new AppError(
              'conflict',
              `${options.email} is already a user account: give staff their work email`,
            );
          }
          return services.staffAccounts.create(operatorCaller(), {
            email: options.email,
            name: options.name,
            role,
            department: options.department,
            contractType: options.contract as 'employee',
            startDate: options.start,
            endDate: options.end,
            password,
          });
        });
        output.result({ id: created.id, role: created.role }, [
          `Created staff account ${created.id} (${created.email}, ${created.role}).`,
        ]);
      },
    );

  staff
    .command('assign')
    .description('make that account manager responsible for the Space')
    .requiredOption('--email <email>', 'the account manager’s work email')
    .requiredOption('--space <id>', 'the Space id')
    .action(async (options: { email: string; space: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const assigned = await withInstallation(command, async ({ services }) => {
        if (!isUuid(options.space) || !(await services.spaces.registryEntry(options.space))) {
          throw new AppError('not_found', `no Space has the id ${options.space}: check it`);
        }
        return services.staffAccounts.assign(operatorCaller(), options.email, options.space);
      });
      output.result({ staffId: assigned.id, spaceId: options.space }, [
        `${assigned.email} is now the account manager of Space ${options.space}.`,
      ]);
    });

  staff
    .command('unassign')
    .description('end that account manager’s responsibility for the Space, and their grants on it')
    .requiredOption('--email <email>', 'the account manager’s work email')
    .requiredOption('--space <id>', 'the Space id')
    .action(async (options: { email: string; space: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      if (!isUuid(options.space)) {
        throw new AppError('not_found', `no Space has the id ${options.space}: check it`);
      }
      const done = await withInstallation(command, ({ services }) =>
        services.staffGrants.unassign(operatorCaller(), options.email, options.space),
      );
      output.result({ spaceId: options.space, ...done }, [
        done.wasAssigned
          ? `${options.email} is no longer the account manager of Space ${options.space}.`
          : `${options.email} was not assigned to Space ${options.space}.`,
        `${done.grantsEnded} grant(s) ended.`,
      ]);
    });
}
