import type { Queryable } from '../../stores/database.ts';
import { bytes } from '../history/history.repository.ts';

/** A Space's data key as stored: wrapped by the master key named `keyId`. */
export interface WrappedDataKey {
  readonly spaceId: string;
  readonly keyId: string;
  readonly wrapped: Buffer;
}

interface Row {
  space_id: string;
  key_id: string;
  wrapped: Uint8Array;
}

const toWrapped = (row: Row): WrappedDataKey => ({
  spaceId: row.space_id,
  keyId: row.key_id,
  wrapped: bytes(row.wrapped),
});

export async function readDataKey(
  db: Queryable,
  spaceId: string,
): Promise<WrappedDataKey | undefined> {
  const { rows } = await db.query<Row>(
    'SELECT space_id::text, key_id, wrapped FROM space_data_keys WHERE space_id = $1',
    [spaceId],
  );
  return rows[0] && toWrapped(rows[0]);
}

/** Inserts the Space's key unless it has one; returns the key that is stored. */
export async function insertDataKey(
  db: Queryable,
  spaceId: string,
  key: { keyId: string; wrapped: Buffer; at: Date },
): Promise<WrappedDataKey> {
  await db.query(
    `INSERT INTO space_data_keys (space_id, key_id, wrapped, created_at, wrapped_at)
     VALUES ($1, $2, $3, $4, $4) ON CONFLICT (space_id) DO NOTHING`,
    [spaceId, key.keyId, key.wrapped, key.at],
  );
  const stored = await readDataKey(db, spaceId);
  if (!stored) {
    throw new Error(`data key of Space ${spaceId} was not stored`);
  }
  return stored;
}

/** One page of the region's data keys, by Space id (rotation walks them all). */
export async function readDataKeysAfter(
  db: Queryable,
  afterSpaceId: string | null,
  limit: number,
): Promise<WrappedDataKey[]> {
  const { rows } = await db.query<Row>(
    `SELECT space_id::text, key_id, wrapped FROM space_data_keys
      WHERE $1::uuid IS NULL OR space_id > $1::uuid ORDER BY space_id LIMIT $2`,
    [afterSpaceId, limit],
  );
  return rows.map(toWrapped);
}

export async function updateWrappedDataKey(
  db: Queryable,
  spaceId: string,
  key: { keyId: string; wrapped: Buffer; at: Date },
): Promise<void> {
  await db.query(
    'UPDATE space_data_keys SET key_id = $2, wrapped = $3, wrapped_at = $4 WHERE space_id = $1',
    [spaceId, key.keyId, key.wrapped, key.at],
  );
}

/** Destroys the Space's data key: every backup of the Space becomes unreadable. */
export async function deleteDataKey(db: Queryable, spaceId: string): Promise<void> {
  await db.query('DELETE FROM space_data_keys WHERE space_id = $1', [spaceId]);
}
