import { type KeyObject, sign } from 'node:crypto';
import type { Config } from '../../config.ts';
import { type Clock, systemClock } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../stores/database.ts';
import type { Stores } from '../../stores/stores.ts';
import {
  type CheckpointSigningKey,
  loadCheckpointPublicKey,
  loadCheckpointSigningKey,
} from './checkpoint-keys.ts';
import {
  bytes,
  type CheckpointRow,
  insertCheckpoint,
  readCheckpoints,
  readLastCheckpoint,
  readRegionsInUse,
  readSpacesDueForCheckpoint,
} from './history.repository.ts';
import type { CheckpointRecord } from './history-chain.ts';
import { encodeCheckpoint } from './history-format.ts';
import { type HistoryVerification, verifyHistory } from './history-verifier.ts';

/** A stored checkpoint in the shape the verifier and the API use. */
export function toCheckpointRecord(spaceId: string, row: CheckpointRow): CheckpointRecord {
  return {
    spaceId,
    seq: row.seq,
    hash: bytes(row.hash).toString('hex'),
    signedAt: row.signed_at.toISOString(),
    keyId: row.key_id,
    signature: bytes(row.signature),
  };
}

/** Every checkpoint of a Space, oldest first. */
export async function listCheckpoints(db: Queryable, spaceId: string): Promise<CheckpointRecord[]> {
  return (await readCheckpoints(db, spaceId)).map((row) => toCheckpointRecord(spaceId, row));
}

/**
 * Verifies a Space's stored history against its stored checkpoints, checked with
 * the region's public key (needed only once the Space has checkpoints).
 */
export async function verifyStoredHistory(
  config: Config,
  db: Queryable,
  region: string,
  spaceId: string,
  onProgress?: (verified: number, total: number) => void,
): Promise<HistoryVerification> {
  const checkpoints = await listCheckpoints(db, spaceId);
  const publicKeys = new Map<string, KeyObject>();
  if (checkpoints.length > 0) {
    const key = await loadCheckpointPublicKey(config, region);
    publicKeys.set(key.keyId, key.publicKey);
  }
  return verifyHistory(db, spaceId, {
    checkpoints,
    publicKeys,
    ...(onProgress ? { onProgress } : {}),
  });
}

/**
 * Signs the Space's current head, after verifying the entries since the last
 * checkpoint (whose own signature is checked first), so that a checkpoint never
 * vouches for a chain that does not continue the previous one. Returns null when
 * the head has not moved since the last checkpoint.
 */
export async function signCheckpoint(
  db: Queryable,
  spaceId: string,
  key: CheckpointSigningKey,
  signedAt: Date,
): Promise<CheckpointRecord | null> {
  const lastRow = await readLastCheckpoint(db, spaceId);
  const last = lastRow ? toCheckpointRecord(spaceId, lastRow) : null;
  const result = await verifyHistory(db, spaceId, {
    checkpoints: last ? [last] : [],
    publicKeys: new Map([[key.keyId, key.publicKey]]),
    ...(last ? { start: { seq: last.seq, hash: last.hash } } : {}),
  });
  if (!result.ok) {
    throw new AppError(
      'integrity_failure',
      `history of Space ${spaceId} does not verify at seq ${result.firstBadSeq} (${result.reason}): no checkpoint signed; run kith history verify --space ${spaceId}`,
    );
  }
  const head = result.head;
  if (!head || head.seq === 0 || (last && last.seq >= head.seq)) {
    return null;
  }
  const statement = {
    spaceId,
    seq: head.seq,
    hash: head.hash,
    signedAt: signedAt.toISOString(),
    keyId: key.keyId,
  };
  const signature = sign(null, encodeCheckpoint(statement), key.privateKey);
  await insertCheckpoint(db, spaceId, {
    seq: head.seq,
    hash: Buffer.from(head.hash, 'hex'),
    signedAt,
    keyId: key.keyId,
    signature,
  });
  return { ...statement, signature };
}

export interface CheckpointRun {
  readonly signed: { region: string; spaceId: string; seq: number }[];
  readonly failed: { region: string; spaceId: string | null; reason: string }[];
}

/**
 * The daily job: signs every Space whose head moved since its last checkpoint,
 * in every region that holds Spaces. One Space's failure does not stop the rest;
 * it is reported. Safe to run on several instances at once.
 */
export async function signDueCheckpoints(
  stores: Stores,
  config: Config,
  clock: Clock = systemClock,
): Promise<CheckpointRun> {
  const run: CheckpointRun = { signed: [], failed: [] };
  const regions = (await readRegionsInUse(await stores.platform())).filter((r) =>
    config.regions.includes(r),
  );
  for (const region of regions) {
    let key: CheckpointSigningKey;
    try {
      key = await loadCheckpointSigningKey(config, region);
    } catch (error) {
      run.failed.push({ region, spaceId: null, reason: String((error as Error).message) });
      continue;
    }
    const db = await stores.region(region);
    for (const spaceId of await readSpacesDueForCheckpoint(db)) {
      try {
        const checkpoint = await signCheckpoint(db, spaceId, key, clock());
        if (checkpoint) {
          run.signed.push({ region, spaceId, seq: checkpoint.seq });
        }
      } catch (error) {
        run.failed.push({ region, spaceId, reason: String((error as Error).message) });
      }
    }
  }
  return run;
}
