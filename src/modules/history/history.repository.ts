import type { CopyOut, Queryable } from '../../stores/database.ts';

/**
 * The only SQL of the history module. Every function takes the Space's id: there
 * is no read or write of history across Spaces. Rows cross as plain objects;
 * byte strings come back as Uint8Array (PGlite) or Buffer (pg), both handled by
 * `bytes()`.
 */
export interface ChainHead {
  readonly seq: number;
  readonly hash: Buffer;
}

/** An entry as stored (`history_entries`). */
export interface EntryRow {
  readonly seq: number;
  readonly at: Date;
  readonly actor: unknown;
  readonly action: string;
  readonly target_type: string;
  readonly target_id: string;
  readonly changes: unknown;
  readonly source: string;
  readonly device: string | null;
  readonly ip: string | null;
  readonly import_id: string | null;
  readonly format_version: number;
  readonly prev_hash: Uint8Array;
  readonly hash: Uint8Array;
}

/** A value as stored (`history_values`). */
export interface ValueRow {
  readonly seq: number;
  readonly idx: number;
  readonly side: 'from' | 'to';
  readonly salt: Uint8Array;
  readonly value: unknown;
}

/** An entry to insert: hashes and digests already computed, hex-encoded. */
export interface NewEntryRow {
  seq: number;
  at: string;
  actor: unknown;
  action: string;
  target_type: string;
  target_id: string;
  changes: unknown;
  source: string;
  device: string | null;
  ip: string | null;
  import_id: string | null;
  format_version: number;
  prev_hash: string;
  hash: string;
  /** The outbox row the entry was delivered from (not hashed: delivery metadata). */
  origin_id: string | null;
}

export interface NewValueRow {
  seq: number;
  idx: number;
  side: 'from' | 'to';
  salt: string;
  /** The canonical JSON of the value: stored as what was digested. */
  value: string;
  subject_id: string | null;
}

/** Zero-copy view of a bytea as a Buffer, whatever the driver returned. */
export function bytes(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Locks the Space's chain head for the rest of the transaction, creating it at
 * seq 0 on the Space's first append. Concurrent appenders of the Space wait here.
 */
export async function lockHead(
  tx: Queryable,
  spaceId: string,
  genesis: Buffer,
): Promise<ChainHead> {
  // One statement: ON CONFLICT DO UPDATE takes the row lock and returns the head
  // as the lock holder left it (a concurrent appender's commit included).
  const { rows } = await tx.query<{ seq: number; hash: Uint8Array }>(
    `INSERT INTO history_heads (space_id, seq, hash) VALUES ($1, 0, $2)
     ON CONFLICT (space_id) DO UPDATE SET seq = history_heads.seq
     RETURNING seq, hash`,
    [spaceId, genesis],
  );
  const row = rows[0];
  if (!row) {
    throw new Error(`history head of Space ${spaceId} could not be locked`);
  }
  return { seq: Number(row.seq), hash: bytes(row.hash) };
}

/** Which of these origin ids already have their entry in the Space's chain. */
export async function deliveredOrigins(
  tx: Queryable,
  spaceId: string,
  originIds: readonly string[],
): Promise<Set<string>> {
  const { rows } = await tx.query<{ origin_id: string }>(
    'SELECT origin_id FROM history_entries WHERE space_id = $1 AND origin_id = ANY($2::uuid[])',
    [spaceId, originIds],
  );
  return new Set(rows.map((row) => row.origin_id));
}

/**
 * Entries, their values and the new head in ONE statement, once the head is
 * locked (lockHead): what a batch that fits one statement appends.
 */
export async function appendRows(
  tx: Queryable,
  spaceId: string,
  entries: readonly NewEntryRow[],
  values: readonly NewValueRow[],
  head: ChainHead,
): Promise<void> {
  await tx.query(
    `WITH new_entries AS (${insertEntriesSql}),
          new_values AS (${insertValuesSql('$3')})
     UPDATE history_heads SET seq = $4, hash = $5 WHERE space_id = $1`,
    [spaceId, JSON.stringify(entries), JSON.stringify(values), head.seq, head.hash],
  );
}

/** A single entry to append: everything but its seq, prev_hash and hash, which the head decides. */
export interface SingleEntryRow {
  at: string;
  actor: unknown;
  action: string;
  target_type: string;
  target_id: string;
  changes: unknown;
  source: string;
  device: string | null;
  ip: string | null;
  import_id: string | null;
  format_version: number;
}

/**
 * The whole append of one entry in ONE statement (the hot path of every edit):
 * locks the Space's head, takes the next seq, hashes the entry in the database
 * (SHA-256 of the previous hash and `encodedBefore ‖ seq ‖ encodedAfter`, the
 * entry's canonical encoding cut around its seq), moves the head, and inserts
 * the entry and its values (whose seq is the entry's). The row lock of the
 * first CTE returns the head as the last committer left it, and the UPDATE then
 * works on that version. Null, with nothing written, when the Space has no head
 * yet (its first entry): the caller takes the general path.
 */
export async function appendSingle(
  tx: Queryable,
  spaceId: string,
  entry: SingleEntryRow,
  encodedBefore: string,
  encodedAfter: string,
  values: readonly Omit<NewValueRow, 'seq'>[],
  companion?: CompanionStatement,
): Promise<{ seq: number; hash: Buffer } | null> {
  const { rows } = await tx.query<{ seq: number; hash: Uint8Array }>(
    singleSql(companion?.sql),
    [
      spaceId,
      encodedBefore,
      encodedAfter,
      entry.at,
      JSON.stringify(entry.actor),
      entry.action,
      entry.target_type,
      entry.target_id,
      JSON.stringify(entry.changes),
      entry.source,
      entry.device,
      entry.ip,
      entry.import_id,
      entry.format_version,
      JSON.stringify(values),
      ...(companion?.params ?? []),
    ],
    // Every edit runs it: parsed and planned once per connection, not per edit.
    { prepared: true },
  );
  const row = rows[0];
  return row ? { seq: Number(row.seq), hash: bytes(row.hash) } : null;
}

/**
 * appendSingle's text with this companion, composed once per companion text:
 * the same string every edit, so the engine's statement cache finds it by a
 * hash computed once instead of hashing and comparing two kilobytes per call.
 */
function singleSql(companionSql: string | undefined): string {
  let sql = singleSqlByCompanion.get(companionSql);
  if (sql === undefined) {
    sql = `WITH ${companionSql === undefined ? '' : `companion AS (${shiftPlaceholders(companionSql, singleParameters)}), `}old AS (
       SELECT seq, hash FROM history_heads WHERE space_id = $1 FOR UPDATE
     ), head AS (
       UPDATE history_heads h
          SET seq = old.seq + 1,
              hash = sha256(old.hash || convert_to($2 || (old.seq + 1)::text || $3, 'UTF8'))
         FROM old
        WHERE h.space_id = $1
       RETURNING h.seq, old.hash AS prev_hash, h.hash
     ), new_entry AS (
       INSERT INTO history_entries (space_id, seq, at, actor, action, target_type, target_id, changes,
                                    source, device, ip, import_id, format_version, prev_hash, hash)
       SELECT $1, head.seq, $4::timestamptz, $5::jsonb, $6, $7, $8, $9::jsonb, $10, $11, $12, $13::uuid,
              $14::smallint, head.prev_hash, head.hash
         FROM head
     ), new_values AS (
       INSERT INTO history_values (space_id, seq, idx, side, salt, value, subject_id)
       SELECT $1, head.seq, r.idx, r.side, decode(r.salt, 'hex'), r.value::jsonb, r.subject_id
         FROM head, jsonb_to_recordset($15::jsonb) AS r(idx smallint, side text, salt text, value text, subject_id text)
     )
     SELECT seq, hash FROM head`;
    // Companions are constant texts of a few call sites; a caller building them
    // on the fly would only miss the cache, never grow it without bound.
    if (singleSqlByCompanion.size < 64) {
      singleSqlByCompanion.set(companionSql, sql);
    }
  }
  return sql;
}
const singleSqlByCompanion = new Map<string | undefined, string>();

/** Parameters of appendSingle's own statement; a companion's follow them. */
const singleParameters = 15;

/**
 * A data-modifying statement (UPDATE, INSERT or DELETE, placeholders $1..$n,
 * no RETURNING read by anyone) run as a CTE of the append's statement: the
 * change and its history entry in one round trip. PostgreSQL runs every
 * data-modifying CTE to completion whether or not the rest reads it.
 */
export interface CompanionStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** `$k` becomes `$(k + by)`: the companion's parameters follow the append's own. */
function shiftPlaceholders(sql: string, by: number): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + by}`);
}

export async function moveHead(tx: Queryable, spaceId: string, head: ChainHead): Promise<void> {
  await tx.query('UPDATE history_heads SET seq = $2, hash = $3 WHERE space_id = $1', [
    spaceId,
    head.seq,
    head.hash,
  ]);
}

const insertEntriesSql = `INSERT INTO history_entries (space_id, seq, at, actor, action, target_type, target_id, changes,
                                  source, device, ip, import_id, format_version, prev_hash, hash, origin_id)
     SELECT $1::uuid, r.seq, r.at, r.actor, r.action, r.target_type, r.target_id, r.changes,
            r.source, r.device, r.ip, r.import_id, r.format_version, decode(r.prev_hash, 'hex'), decode(r.hash, 'hex'),
            r.origin_id
       FROM jsonb_to_recordset($2::jsonb) AS r(seq bigint, at timestamptz, actor jsonb, action text,
            target_type text, target_id text, changes jsonb, source text, device text, ip text,
            import_id uuid, format_version smallint, prev_hash text, hash text, origin_id uuid)`;

const insertValuesSql = (
  rowsParameter: string,
) => `INSERT INTO history_values (space_id, seq, idx, side, salt, value, subject_id)
     SELECT $1::uuid, r.seq, r.idx, r.side, decode(r.salt, 'hex'), r.value::jsonb, r.subject_id
       FROM jsonb_to_recordset(${rowsParameter}::jsonb) AS r(seq bigint, idx smallint, side text, salt text, value text, subject_id text)`;

/** One multi-row INSERT: the rows travel as one JSON document, whatever their number. */
export async function insertEntries(
  tx: Queryable,
  spaceId: string,
  rows: readonly NewEntryRow[],
): Promise<void> {
  await tx.query(insertEntriesSql, [spaceId, JSON.stringify(rows)]);
}

export async function insertValues(
  tx: Queryable,
  spaceId: string,
  rows: readonly NewValueRow[],
): Promise<void> {
  await tx.query(insertValuesSql('$2'), [spaceId, JSON.stringify(rows)]);
}

/**
 * The head and the highest stored seq, read by one statement (one snapshot), so
 * that a concurrent append cannot make them disagree.
 */
export async function readHeadAndLastSeq(
  db: Queryable,
  spaceId: string,
): Promise<{ head: ChainHead | null; lastSeq: number | null }> {
  const { rows } = await db.query<{
    seq: number | null;
    hash: Uint8Array | null;
    last_seq: number | null;
  }>(
    `SELECT h.seq, h.hash, (SELECT max(e.seq) FROM history_entries e WHERE e.space_id = $1) AS last_seq
       FROM (SELECT 1) AS one
       LEFT JOIN history_heads h ON h.space_id = $1`,
    [spaceId],
  );
  const row = rows[0];
  const head =
    row?.seq !== null && row?.seq !== undefined && row.hash
      ? { seq: row.seq, hash: bytes(row.hash) }
      : null;
  return { head, lastSeq: row?.last_seq ?? null };
}

const entryColumnNames = [
  'seq',
  'at',
  'actor',
  'action',
  'target_type',
  'target_id',
  'changes',
  'source',
  'device',
  'ip',
  'import_id',
  'format_version',
  'prev_hash',
  'hash',
];
const entryColumns = entryColumnNames.join(', ');

/** Entries with `afterSeq < seq <= throughSeq`, in seq order, at most `limit` (keyset paging). */
export async function readEntryPage(
  db: Queryable,
  spaceId: string,
  afterSeq: number,
  throughSeq: number,
  limit: number,
): Promise<EntryRow[]> {
  const { rows } = await db.query<EntryRow>(
    `SELECT ${entryColumns} FROM history_entries
      WHERE space_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
    [spaceId, afterSeq, throughSeq, limit],
  );
  return rows;
}

/** Values of the entries with `afterSeq < seq <= throughSeq`, in (seq, idx, side) order. */
export async function readValuePage(
  db: Queryable,
  spaceId: string,
  afterSeq: number,
  throughSeq: number,
): Promise<ValueRow[]> {
  const { rows } = await db.query<ValueRow>(
    `SELECT seq, idx, side, salt, value FROM history_values
      WHERE space_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq, idx, side`,
    [spaceId, afterSeq, throughSeq],
  );
  return rows;
}

/**
 * An entry for verification, as one JSON array: [seq, atEpochMs, actor, action,
 * targetType, targetId, changes, source, device, ip, importId, formatVersion,
 * prevHashHex, hashHex]. A value: [seq, idx, side, saltHex, value].
 */
export type EntryTuple = [
  number,
  number,
  unknown,
  string,
  string,
  string,
  unknown,
  string,
  string | null,
  string | null,
  string | null,
  number,
  string,
  string,
];
export type ValueTuple = [number, number, 'from' | 'to', string, unknown];

/**
 * The entries (`afterSeq < seq <= throughSeq`) and their values for the verifier,
 * each aggregated by the database into one JSON document: one row to decode
 * instead of thousands (row decoding dominates on PGlite), parsed by one
 * JSON.parse. Both queries run at once where the engine allows.
 */
export async function readVerificationPage(
  db: Queryable,
  spaceId: string,
  afterSeq: number,
  throughSeq: number,
): Promise<{ entries: EntryTuple[]; values: ValueTuple[] }> {
  const params = [spaceId, afterSeq, throughSeq];
  const [entries, values] = await Promise.all([
    db.query<{ page: string | null }>(
      `SELECT json_agg(json_build_array(seq, floor(extract(epoch FROM at) * 1000), actor, action, target_type,
                target_id, changes, source, device, ip, import_id, format_version,
                encode(prev_hash, 'hex'), encode(hash, 'hex')) ORDER BY seq)::text AS page
         FROM history_entries WHERE space_id = $1 AND seq > $2 AND seq <= $3`,
      params,
    ),
    db.query<{ page: string | null }>(
      `SELECT json_agg(json_build_array(seq, idx, side, encode(salt, 'hex'), value) ORDER BY seq, idx, side)::text AS page
         FROM history_values WHERE space_id = $1 AND seq > $2 AND seq <= $3`,
      params,
    ),
  ]);
  return {
    entries: JSON.parse(entries.rows[0]?.page ?? '[]') as EntryTuple[],
    values: JSON.parse(values.rows[0]?.page ?? '[]') as ValueTuple[],
  };
}

const uuidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The verifier's bulk read: the entries (`afterSeq < seq <= throughSeq`) and
 * their values as COPY text output, one row per line, columns as
 * history-verify-copy.ts reads them. COPY skips the per-row decoding of a
 * query's result (which dominates on PGlite) and streams on PostgreSQL. COPY
 * takes no parameters: the Space id is checked to be a UUID and the bounds to
 * be integers before they are written into the statement.
 */
export async function copyVerificationPage(
  db: CopyOut,
  spaceId: string,
  afterSeq: number,
  throughSeq: number,
): Promise<{ entries: string; values: string }> {
  if (
    !uuidText.test(spaceId) ||
    !Number.isSafeInteger(afterSeq) ||
    !Number.isSafeInteger(throughSeq)
  ) {
    throw new Error('copyVerificationPage: a Space UUID and integer bounds are required');
  }
  const where = `space_id = '${spaceId}' AND seq > ${afterSeq} AND seq <= ${throughSeq}`;
  const [entries, values] = await Promise.all([
    copyText(
      db,
      `SELECT seq, floor(extract(epoch FROM at) * 1000), actor, action, target_type, target_id, changes,
              source, device, ip, import_id, format_version, encode(prev_hash, 'hex'), encode(hash, 'hex')
         FROM history_entries WHERE ${where} ORDER BY seq`,
    ),
    copyText(
      db,
      `SELECT seq, idx, side, encode(salt, 'hex'), value FROM history_values WHERE ${where}
        ORDER BY seq, idx, side`,
    ),
  ]);
  return { entries, values };
}

async function copyText(db: CopyOut, select: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of db.copyOutChunks(select)) {
    chunks.push(chunk);
  }
  return (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8');
}

/** Deletes every value of one data subject in one Space; returns how many. */
export async function deleteSubjectValues(
  tx: Queryable,
  spaceId: string,
  subjectId: string,
): Promise<number> {
  const result = await tx.query(
    'DELETE FROM history_values WHERE space_id = $1 AND subject_id = $2',
    [spaceId, subjectId],
  );
  return result.rowCount;
}

/** A checkpoint as stored (`history_checkpoints`). */
export interface CheckpointRow {
  readonly seq: number;
  readonly hash: Uint8Array;
  readonly signed_at: Date;
  readonly key_id: string;
  readonly signature: Uint8Array;
}

/** Inserts a checkpoint; a second signer of the same head (two schedulers) changes nothing. */
export async function insertCheckpoint(
  db: Queryable,
  spaceId: string,
  checkpoint: { seq: number; hash: Buffer; signedAt: Date; keyId: string; signature: Buffer },
): Promise<void> {
  await db.query(
    `INSERT INTO history_checkpoints (space_id, seq, hash, signed_at, key_id, signature)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (space_id, seq) DO NOTHING`,
    [
      spaceId,
      checkpoint.seq,
      checkpoint.hash,
      checkpoint.signedAt,
      checkpoint.keyId,
      checkpoint.signature,
    ],
  );
}

/** Every checkpoint of the Space, oldest first. */
export async function readCheckpoints(db: Queryable, spaceId: string): Promise<CheckpointRow[]> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT seq, hash, signed_at, key_id, signature FROM history_checkpoints
      WHERE space_id = $1 ORDER BY seq`,
    [spaceId],
  );
  return rows;
}

export async function readLastCheckpoint(
  db: Queryable,
  spaceId: string,
): Promise<CheckpointRow | null> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT seq, hash, signed_at, key_id, signature FROM history_checkpoints
      WHERE space_id = $1 ORDER BY seq DESC LIMIT 1`,
    [spaceId],
  );
  return rows[0] ?? null;
}

/** Spaces of this region store whose head moved past their last checkpoint. */
export async function readSpacesDueForCheckpoint(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ space_id: string }>(
    `SELECT h.space_id FROM history_heads h
      WHERE h.seq > coalesce((SELECT max(c.seq) FROM history_checkpoints c WHERE c.space_id = h.space_id), 0)
      ORDER BY h.space_id`,
  );
  return rows.map((row) => row.space_id);
}

/**
 * Regions that hold at least one Space, from the platform registry: the daily
 * checkpoint job opens only those region stores.
 */
export async function readRegionsInUse(platform: Queryable): Promise<string[]> {
  const { rows } = await platform.query<{ region: string }>(
    'SELECT DISTINCT region FROM spaces ORDER BY region',
  );
  return rows.map((row) => row.region);
}

/** Filters of the history list; every one optional. */
export interface HistoryFilter {
  readonly contactId?: string | undefined;
  readonly actorId?: string | undefined;
  readonly action?: string | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  /** Keyset: entries with a lower seq than this (the previous page's last). */
  readonly beforeSeq?: number | undefined;
}

/** An entry with its present values, as the history list reads it. */
export interface EntryWithValuesRow extends EntryRow {
  readonly vals: { idx: number; side: 'from' | 'to'; salt: string; value: unknown }[];
}

/**
 * One page of a Space's entries, newest first, each with its values. Each filter
 * has an index led by space_id (see the migration); the values are joined after
 * the page is cut, so only the page's values are read.
 */
export async function readEntriesNewestFirst(
  db: Queryable,
  spaceId: string,
  filter: HistoryFilter,
  limit: number,
): Promise<EntryWithValuesRow[]> {
  const params: unknown[] = [spaceId];
  const where = ['e.space_id = $1'];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filter.contactId !== undefined) {
    add((n) => `e.target_type = 'contact' AND e.target_id = $${n}`, filter.contactId);
  }
  if (filter.actorId !== undefined) {
    add((n) => `(e.actor ->> 'id') = $${n}`, filter.actorId);
  }
  if (filter.action !== undefined) {
    add((n) => `e.action = $${n}`, filter.action);
  }
  if (filter.since !== undefined) {
    add((n) => `e.at >= $${n}`, filter.since);
  }
  if (filter.until !== undefined) {
    add((n) => `e.at < $${n}`, filter.until);
  }
  if (filter.beforeSeq !== undefined) {
    add((n) => `e.seq < $${n}`, filter.beforeSeq);
  }
  params.push(limit);
  // The page comes back as ONE row holding a JSON array, parsed once: decoding
  // a result row per entry, with its jsonb columns, was most of a contact's
  // history on PGlite (which decodes rows in JS).
  const { rows } = await db.query<{ page: string | null }>(
    `SELECT json_agg(json_build_array(e.seq, floor(extract(epoch FROM e.at) * 1000), e.actor, e.action,
              e.target_type, e.target_id, e.changes, e.source, e.device, e.ip, e.import_id, e.format_version,
              encode(e.prev_hash, 'hex'), encode(e.hash, 'hex'),
              (SELECT json_agg(json_build_array(v.idx, v.side, encode(v.salt, 'hex'), v.value) ORDER BY v.idx, v.side)
                 FROM history_values v WHERE v.space_id = e.space_id AND v.seq = e.seq))
            ORDER BY e.seq DESC)::text AS page
       FROM (SELECT e.* FROM history_entries e
              WHERE ${where.join(' AND ')}
              ORDER BY e.seq DESC
              LIMIT $${params.length}) AS e`,
    params,
  );
  const page = JSON.parse(rows[0]?.page ?? '[]') as PageTuple[];
  return page.map((t) => ({
    seq: t[0],
    at: new Date(t[1]),
    actor: t[2],
    action: t[3],
    target_type: t[4],
    target_id: t[5],
    changes: t[6],
    source: t[7],
    device: t[8],
    ip: t[9],
    import_id: t[10],
    format_version: t[11],
    prev_hash: Buffer.from(t[12], 'hex'),
    hash: Buffer.from(t[13], 'hex'),
    vals: (t[14] ?? []).map(([idx, side, salt, value]) => ({ idx, side, salt, value })),
  }));
}

/** An entry of a history page as the database aggregates it: EntryTuple and its values. */
type PageTuple = [...EntryTuple, [number, 'from' | 'to', string, unknown][] | null];

/**
 * The region of a Space from the platform registry, whoever asks: for the
 * operator's CLI, which acts on any Space by id. Null when there is no such Space.
 */
export async function readSpaceRegion(
  platform: Queryable,
  spaceId: string,
): Promise<string | null> {
  const { rows } = await platform.query<{ region: string }>(
    'SELECT region FROM spaces WHERE id = $1',
    [spaceId],
  );
  return rows[0]?.region ?? null;
}
