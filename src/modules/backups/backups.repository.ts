import type { Queryable } from '../../stores/database.ts';
import { quoted } from './backup-tables.ts';

/** The Spaces that live in this region store, by id. */
export async function readRegionSpaceIds(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT space_id::text AS id FROM spaces ORDER BY space_id',
  );
  return rows.map((row) => row.id);
}

export async function regionHasSpace(db: Queryable, spaceId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM spaces WHERE space_id = $1', [spaceId]);
  return rows.length > 0;
}

/** Records that a contact was erased (the privacy module feeds it): ids and time only. */
export async function insertErasure(
  db: Queryable,
  spaceId: string,
  contactId: string,
  erasedAt: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO erasure_ledger (space_id, contact_id, erased_at) VALUES ($1, $2, $3)
     ON CONFLICT (space_id, contact_id) DO NOTHING`,
    [spaceId, contactId, erasedAt],
  );
}

/**
 * Replays the erasure ledger onto the Space's restored rows: erased contacts are
 * deleted again (their tags and consents cascade) and their history values go.
 * Returns how many contacts it removed.
 */
export async function replayErasureLedger(
  tx: Queryable,
  spaceId: string,
  sourceSpaceId: string = spaceId,
): Promise<number> {
  if (sourceSpaceId !== spaceId) {
    // A Space restored as new inherits the erasures of the Space it came from.
    await tx.query(
      `INSERT INTO erasure_ledger (space_id, contact_id, erased_at)
       SELECT $1, contact_id, erased_at FROM erasure_ledger WHERE space_id = $2
       ON CONFLICT (space_id, contact_id) DO NOTHING`,
      [spaceId, sourceSpaceId],
    );
  }
  const removed = await tx.query(
    `DELETE FROM contacts c USING erasure_ledger l
      WHERE c.space_id = $1 AND l.space_id = $1 AND l.contact_id = c.id`,
    [spaceId],
  );
  await tx.query(
    `DELETE FROM history_values v USING erasure_ledger l
      WHERE v.space_id = $1 AND l.space_id = $1 AND v.subject_id = l.contact_id::text`,
    [spaceId],
  );
  return removed.rowCount;
}

/** Removes the Space's rows from one (non-history) table. */
export async function deleteSpaceRows(
  tx: Queryable,
  table: string,
  spaceId: string,
): Promise<void> {
  await tx.query(`DELETE FROM ${quoted(table)} WHERE space_id = $1`, [spaceId]);
}

/**
 * Inserts a batch of backed-up rows (row_to_json text) into `table`, only the
 * columns the backup has (a column added since takes its default), with
 * `space_id` set to `spaceId` (the same Space, or the new one of an as-new restore).
 */
export async function insertBackedUpRows(
  tx: Queryable,
  table: string,
  columns: readonly string[],
  spaceId: string,
  rowsJson: string,
  options: { upsertKey?: readonly string[] | undefined; skipExisting?: boolean } = {},
): Promise<void> {
  const list = columns.map(quoted).join(', ');
  const values = columns.map((c) => (c === 'space_id' ? '$2::uuid' : `r.${quoted(c)}`)).join(', ');
  let conflict = '';
  if (options.upsertKey) {
    const sets = columns
      .filter((c) => !options.upsertKey?.includes(c))
      .map((c) => `${quoted(c)} = EXCLUDED.${quoted(c)}`);
    conflict = ` ON CONFLICT (${options.upsertKey.map(quoted).join(', ')}) DO ${sets.length > 0 ? `UPDATE SET ${sets.join(', ')}` : 'NOTHING'}`;
  } else if (options.skipExisting) {
    conflict = ' ON CONFLICT DO NOTHING';
  }
  await tx.query(
    `INSERT INTO ${quoted(table)} (${list})
     SELECT ${values} FROM jsonb_populate_recordset(NULL::${quoted(table)}, $1::jsonb) r${conflict}`,
    [rowsJson, spaceId],
  );
}

/** Deletes the Space from the region store: its rows, then history and home row together. */
export async function purgeSpace(tx: Queryable, spaceId: string): Promise<void> {
  await tx.query('SELECT kith_purge_space($1)', [spaceId]);
}
