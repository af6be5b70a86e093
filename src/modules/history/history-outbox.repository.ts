import type { Queryable } from '../../stores/database.ts';

/** SQL of the platform store's `history_outbox`: entries waiting for their Space's chain. */

export interface OutboxRow {
  readonly id: string;
  readonly space_id: string;
  /** A `HistoryEntryInput` as JSON (`at` an ISO string). */
  readonly entry: Record<string, unknown>;
  readonly created_at: Date;
}

export async function insertOutboxEntry(
  tx: Queryable,
  row: { id: string; spaceId: string; entry: unknown; createdAt: Date },
): Promise<void> {
  await tx.query(
    'INSERT INTO history_outbox (id, space_id, entry, created_at) VALUES ($1, $2, $3::jsonb, $4)',
    [row.id, row.spaceId, JSON.stringify(row.entry), row.createdAt],
  );
}

/** The Space's oldest pending entries, in the order their changes were made. */
export async function readPendingEntries(
  db: Queryable,
  spaceId: string,
  limit: number,
): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `SELECT id, space_id, entry, created_at FROM history_outbox
      WHERE space_id = $1 ORDER BY created_at, id LIMIT $2`,
    [spaceId, limit],
  );
  return rows;
}

export async function deleteOutboxEntries(
  db: Queryable,
  spaceId: string,
  ids: readonly string[],
): Promise<void> {
  await db.query('DELETE FROM history_outbox WHERE space_id = $1 AND id = ANY($2::uuid[])', [
    spaceId,
    ids,
  ]);
}

/** Spaces with entries waiting, oldest first (the relay's work list). */
export async function spacesWithPendingEntries(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ space_id: string }>(
    `SELECT space_id FROM history_outbox GROUP BY space_id ORDER BY min(created_at) LIMIT $1`,
    [limit],
  );
  return rows.map((row) => row.space_id);
}
