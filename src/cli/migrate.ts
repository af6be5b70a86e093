import type { Command } from 'commander';
import { globalOptionsOf } from './global-options.ts';
import { configOf, loadStoresAndServices, withDataDirectory } from './installation.ts';
import { migrationReport } from './migration-report.ts';
import { Output } from './output.ts';

/** `kith migrate`: every configured store to the latest schema (run after each upgrade). */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring every configured store to the latest schema')
    .action(async (_options: unknown, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const config = configOf(command);
      const { migrateAll } = await loadStoresAndServices();
      const stores = await withDataDirectory(config, command, () => migrateAll(config));
      const applied = Object.values(stores).reduce((sum, names) => sum + names.length, 0);
      output.result({ dataDir: config.dataDir, stores }, [
        ...migrationReport(stores),
        applied === 0 ? 'Every store is up to date.' : `Applied ${applied} migration(s).`,
      ]);
    });
}
