import { AppError } from '../../errors.ts';
import type { BackupDeps } from './backup-operations.ts';
import { rewrapDataKeys } from './data-keys.ts';
import {
  commitNextMasterKey,
  loadMasterKeyRing,
  masterKeyVariable,
  prepareNextMasterKey,
} from './master-key-files.ts';

export interface RotationResult {
  readonly region: string;
  readonly previousKeyId: string;
  readonly keyId: string;
  readonly rewrapped: number;
}

/**
 * Moves a region to a new master key: every data key is re-wrapped in one
 * transaction, backups stay as they are (their data keys do not change). With a
 * key file, the new key is written as `.next.key` first and replaces the old
 * file only after the transaction commits; an interrupted rotation resumes. With
 * a key from the environment, set the new one in `KITH_REGION_<R>_MASTER_KEY`
 * and the old one in `KITH_REGION_<R>_PREVIOUS_MASTER_KEYS`, then run this.
 */
export async function rotateMasterKey(deps: BackupDeps, region: string): Promise<RotationResult> {
  if (!deps.config.regions.includes(region)) {
    throw new AppError('invalid_input', `region ${region} is not configured (KITH_REGIONS)`);
  }
  const ring = await loadMasterKeyRing(deps.config, region);
  const next = (await prepareNextMasterKey(deps.config, region)) ?? ring.current;
  const fullRing = { ...ring, keys: [...ring.keys, next] };
  const db = await deps.stores.region(region);
  const rewrapped = await rewrapDataKeys(db, fullRing, next, deps.now());
  if (next !== ring.current) {
    await commitNextMasterKey(deps.config, region);
  } else if (
    rewrapped === 0 &&
    (deps.config.backups.previousMasterKeys[region] ?? []).length === 0
  ) {
    throw new AppError(
      'invalid_input',
      `region ${region}'s master key comes from ${masterKeyVariable(region)}: put the new key there and the old one in KITH_REGION_${region.toUpperCase()}_PREVIOUS_MASTER_KEYS, then run this again`,
    );
  }
  return { region, previousKeyId: ring.current.keyId, keyId: next.keyId, rewrapped };
}
