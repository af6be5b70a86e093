import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors.ts';
import type { Database, Queryable } from '../../stores/database.ts';
import {
  insertDataKey,
  readDataKey,
  readDataKeysAfter,
  updateWrappedDataKey,
  type WrappedDataKey,
} from './data-key.repository.ts';
import type { KeyEncryptionKey } from './master-key.ts';
import type { MasterKeyRing } from './master-key-files.ts';

const rotationPage = 500;

/** The wrapping context of a Space's data key: a key copied to another Space does not unwrap. */
const contextOf = (spaceId: string) => `space ${spaceId}`;

/** The Space's data key, created (and stored wrapped) on its first backup. */
export async function dataKeyForBackup(
  db: Queryable,
  ring: MasterKeyRing,
  spaceId: string,
  at: Date,
): Promise<Buffer> {
  const stored = await readDataKey(db, spaceId);
  if (stored) {
    return unwrapDataKey(ring, stored);
  }
  const key = randomBytes(32);
  const wrapped = await ring.current.wrap(key, contextOf(spaceId));
  const kept = await insertDataKey(db, spaceId, { keyId: ring.current.keyId, wrapped, at });
  // Another instance may have created it first: use the one that is stored.
  return kept.wrapped.equals(wrapped) ? key : unwrapDataKey(ring, kept);
}

/** The Space's data key to read its backups; a clear error when it was destroyed. */
export async function dataKeyForReading(
  db: Queryable,
  ring: MasterKeyRing,
  spaceId: string,
): Promise<Buffer> {
  const stored = await readDataKey(db, spaceId);
  if (!stored) {
    throw new AppError(
      'integrity_failure',
      `Space ${spaceId} has no data key (the Space was deleted, which destroys it): its backups cannot be decrypted`,
    );
  }
  return unwrapDataKey(ring, stored);
}

export async function unwrapDataKey(ring: MasterKeyRing, stored: WrappedDataKey): Promise<Buffer> {
  const kek = ring.keys.find((key) => key.keyId === stored.keyId);
  if (!kek) {
    throw new AppError(
      'integrity_failure',
      `the data key of Space ${stored.spaceId} is wrapped by master key ${stored.keyId}, but region ${ring.region}'s master key (${ring.source}) is ${ring.current.keyId}: restore the right master key file or variable`,
    );
  }
  return kek.unwrap(stored.wrapped, contextOf(stored.spaceId));
}

/**
 * Re-wraps every data key of the region under `next`, in one transaction: the
 * backups are untouched (their data keys do not change). Returns the count.
 */
export async function rewrapDataKeys(
  db: Database,
  ring: MasterKeyRing,
  next: KeyEncryptionKey,
  at: Date,
): Promise<number> {
  return db.transaction(async (tx) => {
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const page = await readDataKeysAfter(tx, after, rotationPage);
      for (const stored of page) {
        if (stored.keyId !== next.keyId) {
          const key = await unwrapDataKey(ring, stored);
          const wrapped = await next.wrap(key, contextOf(stored.spaceId));
          await updateWrappedDataKey(tx, stored.spaceId, { keyId: next.keyId, wrapped, at });
          count += 1;
        }
      }
      const last = page.at(-1);
      if (!last || page.length < rotationPage) {
        return count;
      }
      after = last.spaceId;
    }
  });
}
