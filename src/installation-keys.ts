import type { Config } from './config.ts';
import { ensureMasterKeys } from './modules/backups/master-key-files.ts';
import { ensureCheckpointKeys } from './modules/history/checkpoint-keys.ts';

/** What `ensureInstallationKeys` created, by kind of key: regions whose key is new. */
export interface CreatedKeys {
  readonly checkpoint: string[];
  /** Backup master key files created (paths). */
  readonly backupMaster: string[];
}

/**
 * Creates the installation's key files that are missing, under `KITH_DATA/keys`
 * (mode 0700; private keys 0600): each region's Ed25519 checkpoint-signing key
 * and its backup master key (unless the environment supplies it).
 * Idempotent; never replaces a key. `kith init` and `kith serve` both call it, so
 * `npm start` on a fresh machine is ready to sign.
 */
export async function ensureInstallationKeys(config: Config): Promise<CreatedKeys> {
  return {
    checkpoint: await ensureCheckpointKeys(config),
    backupMaster: await ensureMasterKeys(config),
  };
}
