import { AppError } from '../../errors.ts';
import type { Queryable } from '../../stores/database.ts';
import { bytes } from '../history/history.repository.ts';

/**
 * How a restore treats the history (docs/backup-format.md, "Restore and the
 * history"): it never rewrites it. The live chain stays as it is; backed-up
 * entries the live chain lacks (a store rebuilt from older data) are appended
 * byte for byte, only after checking that they continue it; then the
 * `backup.restore` entry is appended. Entries made after the backup stay on
 * record: they say what was done, and the restore entry says it was undone.
 */
export interface LiveHead {
  readonly seq: number;
  /** Lower-case hex; the genesis hash when the Space has no history. */
  readonly hash: string;
}

export async function lockLiveHead(tx: Queryable, spaceId: string): Promise<LiveHead> {
  const { rows } = await tx.query<{ seq: string | number; hash: Uint8Array }>(
    'SELECT seq, hash FROM history_heads WHERE space_id = $1 FOR UPDATE',
    [spaceId],
  );
  const row = rows[0];
  return row
    ? { seq: Number(row.seq), hash: bytes(row.hash).toString('hex') }
    : { seq: 0, hash: '0'.repeat(64) };
}

export async function liveEntryHash(
  tx: Queryable,
  spaceId: string,
  seq: number,
): Promise<string | undefined> {
  const { rows } = await tx.query<{ hash: Uint8Array }>(
    'SELECT hash FROM history_entries WHERE space_id = $1 AND seq = $2',
    [spaceId, seq],
  );
  return rows[0] && bytes(rows[0].hash).toString('hex');
}

/** A bytea as row_to_json writes it (`"\\x…"`), as lower-case hex. */
export function hexOfJsonBytea(value: unknown): string {
  return typeof value === 'string' ? value.replace(/^\\x/, '').toLowerCase() : '';
}

/** Checks that the backup's head and the live chain are one chain (one is a prefix of the other). */
export async function assertSameChain(
  tx: Queryable,
  spaceId: string,
  live: LiveHead,
  backupHead: LiveHead,
  backupHashAtLiveSeq: string | undefined,
): Promise<void> {
  if (live.seq === 0 || backupHead.seq === 0) {
    return;
  }
  const ok =
    backupHead.seq <= live.seq
      ? (await liveEntryHash(tx, spaceId, backupHead.seq)) === backupHead.hash
      : backupHashAtLiveSeq === live.hash;
  if (!ok) {
    throw new AppError(
      'integrity_failure',
      `the backup's history (head seq ${backupHead.seq}) is not a prefix of Space ${spaceId}'s history (head seq ${live.seq}), or continues it differently: nothing restored; run kith history verify --space ${spaceId}`,
    );
  }
}

/** Moves the head forward to the appended backed-up entries. */
export async function advanceHead(tx: Queryable, spaceId: string, head: LiveHead): Promise<void> {
  await tx.query(
    `INSERT INTO history_heads (space_id, seq, hash) VALUES ($1, $2, $3)
     ON CONFLICT (space_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash`,
    [spaceId, head.seq, Buffer.from(head.hash, 'hex')],
  );
}
