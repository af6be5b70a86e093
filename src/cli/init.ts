import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { type CreatedKeys, ensureInstallationKeys } from '../installation-keys.ts';
import { storeLocation } from '../stores/store-locations.ts';
import { allStoreNames } from '../stores/store-names.ts';
import { globalOptionsOf } from './global-options.ts';
import { configOf, loadStoresAndServices, withDataDirectory } from './installation.ts';
import { migrationReport } from './migration-report.ts';
import { Output } from './output.ts';

/** `kith init`: the data directory, its secrets and every store, at the latest schema; idempotent. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('create the data directory and every store at the latest schema (idempotent)')
    .action(async (_options: unknown, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const config = configOf(command);
      const { migrateAll } = await loadStoresAndServices();
      // The installation's key files come before the stores. On PostgreSQL,
      // migrating a store first creates its database and its login role.
      const { created, keys, stores } = await withDataDirectory(
        config,
        command,
        async (directory) => ({
          created: directory.created,
          keys: await ensureInstallationKeys(config),
          stores: await migrateAll(config),
        }),
      );
      const engine = engineLabel(config);
      output.result({ dataDir: config.dataDir, created, keys, stores }, [
        `${created ? 'Created' : 'Using'} data directory ${config.dataDir}`,
        ...keyReport(config, keys),
        `Stores, ${engine}:`,
        ...migrationReport(stores),
        'Ready: start the server with kith serve (or npm start).',
      ]);
    });
}

function engineLabel(config: Config): string {
  const engines = new Set(
    allStoreNames(config.regions).map((name) => storeLocation(config, name).engine),
  );
  if (engines.size > 1) {
    return 'embedded (PGlite) and PostgreSQL';
  }
  return engines.has('postgres')
    ? 'PostgreSQL'
    : `embedded (PGlite, under ${config.dataDir}/stores)`;
}

function keyReport(config: Config, keys: CreatedKeys): string[] {
  const master = keys.backupMaster.flatMap((file) => [
    `Created backup master key ${file}`,
    '  KEEP A COPY of it apart from the backups (another machine or a vault): without it',
    '  no backup can be read; with the backups, it reads them all.',
  ]);
  if (keys.checkpoint.length === 0) {
    return [`Keys: present under ${config.dataDir}/keys`, ...master];
  }
  return [
    ...master,
    `Created history checkpoint keys for ${keys.checkpoint.join(', ')} under ${config.dataDir}/keys`,
    '  (keep a copy of keys/ apart from the data and its backups; customers check',
    '  checkpoints with the checkpoint-<region>.pub.pem files)',
  ];
}
