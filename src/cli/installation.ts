import type { Command } from 'commander';
import { type Config, type ConfigOverrides, loadConfig } from '../config.ts';
import type { Services } from '../services.ts';
import type { Stores } from '../stores/stores.ts';
import { prepareDataDirectory } from './data-directory.ts';
import { lockDataDirectory, usesEmbeddedStores } from './embedded-lock.ts';
import { globalOptionsOf } from './global-options.ts';
import { pathOf } from './usage-errors.ts';

/** What a command works on: the configuration, the stores and the services over them. */
export interface Installation {
  readonly config: Config;
  readonly stores: Stores;
  readonly services: Services;
}

/** The command's configuration: the environment, with `--data` (and `overrides`) applied. */
export function configOf(command: Command, overrides: ConfigOverrides = {}): Config {
  return loadConfig(process.env, { dataDir: globalOptionsOf(command).data, ...overrides });
}

/**
 * Runs `fn` with the data directory ready (created, mode 0700) and, when any
 * store is embedded, its lock held; releases the lock whatever happens.
 */
export async function withDataDirectory<T>(
  config: Config,
  command: Command,
  fn: (directory: { created: boolean }) => Promise<T>,
): Promise<T> {
  const directory = await prepareDataDirectory(config.dataDir);
  const lock = usesEmbeddedStores(config)
    ? await lockDataDirectory(config.dataDir, pathOf(command).replace(/^kith /, ''))
    : undefined;
  try {
    return await fn(directory);
  } finally {
    await lock?.release();
  }
}

/**
 * Runs `fn` on the installation and closes every store it opened afterwards,
 * whatever happens: an embedded store must be closed cleanly.
 */
export async function withInstallation<T>(
  command: Command,
  fn: (installation: Installation) => Promise<T>,
): Promise<T> {
  const config = configOf(command);
  return withDataDirectory(config, command, async () => {
    const { Stores, createServices } = await loadStoresAndServices();
    const stores = new Stores(config);
    try {
      return await fn({ config, stores, services: createServices(config, stores) });
    } finally {
      await stores.close();
    }
  });
}

/**
 * The stores (PGlite, pg) and the services take a second to load on a busy
 * machine: loaded when a command needs them, `--help` and usage errors answer at once.
 */
export async function loadStoresAndServices() {
  const [stores, services] = await Promise.all([
    import('../stores/stores.ts'),
    import('../services.ts'),
  ]);
  return {
    Stores: stores.Stores,
    migrateAll: stores.migrateAll,
    createServices: services.createServices,
  };
}
