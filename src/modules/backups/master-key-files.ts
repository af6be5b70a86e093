import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { type KeyEncryptionKey, LocalKeyEncryptionKey } from './master-key.ts';

/**
 * Where each region's master key comes from: `KITH_REGION_<R>_MASTER_KEY`
 * (base64 of 32 bytes) when set, else the file `KITH_DATA/keys/backup-master-<r>.key`
 * (mode 0600) that `kith init` creates. A rotation in progress leaves a
 * `backup-master-<r>.next.key`, which is part of the ring until it replaces the current one.
 */
export interface MasterKeyRing {
  readonly region: string;
  /** The key new data keys are wrapped under. */
  readonly current: KeyEncryptionKey;
  /** Every key that may still wrap a data key (the current one included). */
  readonly keys: readonly KeyEncryptionKey[];
  /** Where the current key comes from, for messages: a file path or the variable's name. */
  readonly source: string;
}

function keysDirectory(config: Config): string {
  return join(config.dataDir, 'keys');
}

/** The master key file of a region. */
export function masterKeyFile(config: Config, region: string): string {
  return join(keysDirectory(config), `backup-master-${region}.key`);
}

function nextKeyFile(config: Config, region: string): string {
  return join(keysDirectory(config), `backup-master-${region}.next.key`);
}

/** The environment variable that supplies a region's master key instead of the file. */
export function masterKeyVariable(region: string): string {
  return `KITH_REGION_${region.toUpperCase()}_MASTER_KEY`;
}

/**
 * Creates the master key file of every region that has none and takes no key
 * from the environment; never replaces a key. Returns the files created.
 */
export async function ensureMasterKeys(config: Config): Promise<string[]> {
  await mkdir(keysDirectory(config), { recursive: true, mode: 0o700 });
  const created: string[] = [];
  for (const region of config.regions) {
    if (config.backups.masterKeys[region]) {
      continue;
    }
    const file = masterKeyFile(config, region);
    if (await createKeyFile(file)) {
      created.push(file);
    }
  }
  return created;
}

/** Writes a fresh key to `file` unless it exists (link() never replaces a file). */
async function createKeyFile(file: string): Promise<boolean> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
    return false;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The region's master keys; `unavailable` naming what to do when there is none. */
export async function loadMasterKeyRing(config: Config, region: string): Promise<MasterKeyRing> {
  const fromEnvironment = config.backups.masterKeys[region];
  if (fromEnvironment) {
    const current = parseKey(fromEnvironment, masterKeyVariable(region));
    const previous = (config.backups.previousMasterKeys[region] ?? []).map((value) =>
      parseKey(value, `KITH_REGION_${region.toUpperCase()}_PREVIOUS_MASTER_KEYS`),
    );
    return { region, current, keys: [current, ...previous], source: masterKeyVariable(region) };
  }
  const file = masterKeyFile(config, region);
  const text = await readText(file);
  if (text === undefined) {
    throw new AppError(
      'unavailable',
      `region ${region} has no backup master key: run kith init, restore ${file} from your copy, or set ${masterKeyVariable(region)}`,
    );
  }
  const current = parseKey(text, file);
  const next = await readText(nextKeyFile(config, region));
  const keys =
    next === undefined ? [current] : [current, parseKey(next, nextKeyFile(config, region))];
  return { region, current, keys, source: file };
}

/**
 * The key a rotation moves to: the pending `.next.key` of an interrupted rotation,
 * else a new one written there. Refused when the key comes from the environment:
 * rotate it where it is kept, keeping the old one in `..._PREVIOUS_MASTER_KEYS`.
 */
export async function prepareNextMasterKey(
  config: Config,
  region: string,
): Promise<KeyEncryptionKey | undefined> {
  if (config.backups.masterKeys[region]) {
    return undefined;
  }
  const file = nextKeyFile(config, region);
  await createKeyFile(file);
  return parseKey((await readText(file)) ?? '', file);
}

/** Ends a file rotation: the next key replaces the current one (atomic rename). */
export async function commitNextMasterKey(config: Config, region: string): Promise<void> {
  await rename(nextKeyFile(config, region), masterKeyFile(config, region));
}

function parseKey(text: string, source: string): LocalKeyEncryptionKey {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) {
    throw new AppError(
      'invalid_input',
      `the master key in ${source} is not base64 of 32 bytes: restore it from your copy`,
    );
  }
  return new LocalKeyEncryptionKey(key);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}
