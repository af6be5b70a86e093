import type { Command } from 'commander';
import { operatorCaller } from '../context.ts';
import { AppError } from '../errors.ts';
import { deleteSpaceEverywhere } from '../modules/backups/space-deletion.ts';
import { findRegisteredSpace } from '../modules/backups/space-registry.repository.ts';
import { isUuid } from '../modules/spaces/space-access.ts';
import { globalOptionsOf } from './global-options.ts';
import { withInstallation } from './installation.ts';
import { Output } from './output.ts';

/** `kith spaces create`: a Space in its residency region, owned by an existing account. */
export function registerSpacesCommands(program: Command): void {
  const spaces = program.command('spaces').description('create and delete Spaces');

  spaces
    .command('create')
    .description(
      'create a Space in the region its country requires, owned by that account as superadmin',
    )
    .requiredOption('--name <name>', 'the Space’s name, e.g. the organisation')
    .requiredOption(
      '--country <CC>',
      'ISO 3166-1 alpha-2 country code; decides the region (e.g. FR → eu)',
    )
    .requiredOption('--owner <email>', 'email of the account that becomes its superadmin')
    .action(async (options: { name: string; country: string; owner: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const space = await withInstallation(command, async ({ services }) => {
        const owner = await services.identity.findUserByEmail(options.owner);
        if (!owner) {
          throw new AppError(
            'not_found',
            `no account has the email ${options.owner}: create it first with kith users create`,
          );
        }
        return services.spaces.create(
          operatorCaller(),
          { name: options.name, country: options.country },
          { userId: owner.id },
        );
      });
      output.result(
        { id: space.id, name: space.name, country: space.country, region: space.region },
        [
          `Created Space ${space.id} "${space.name}" (${space.country}) in region ${space.region}, owned by ${options.owner}.`,
        ],
      );
    });

  spaces
    .command('delete')
    .description(
      'delete a Space: its data, history and members, and its data key (every backup of it becomes unreadable)',
    )
    .requiredOption('--space <id>', 'the Space’s id')
    .action(async (options: { space: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      if (!isUuid(options.space)) {
        throw new AppError('invalid_input', '--space must be a Space id (a UUID)');
      }
      const space = await withInstallation(command, async ({ stores }) => {
        const found = await findRegisteredSpace(await stores.platform(), options.space);
        if (!found) {
          throw new AppError('not_found', `no Space ${options.space}`);
        }
        await deleteSpaceEverywhere(stores, found);
        return found;
      });
      output.result({ id: space.id, deleted: true }, [
        `Deleted Space ${space.id} "${space.name}" and its data key: its backups can no longer be read.`,
      ]);
    });
}
