import { copyBytea, copyField } from '../../stores/copy-text.ts';
import type { CopyIn, Queryable } from '../../stores/database.ts';
import { deliveredOrigins, lockHead, moveHead } from './history.repository.ts';
import { canonicalJson, genesisHash, historyFormatVersion, valueDigest } from './history-format.ts';
import {
  type AppendedEntry,
  assertValid,
  chainedEntryRow,
  countValues,
  type HistoryEntryInput,
  normaliseUuid,
  SaltPool,
} from './history-writer.ts';

const entryColumns =
  'history_entries (space_id, seq, at, actor, action, target_type, target_id, changes, source, device, ip, import_id, format_version, prev_hash, hash, origin_id)';
const valueColumns = 'history_values (space_id, seq, idx, side, salt, value, subject_id)';

/** COPY input is sent in pieces of about this many bytes (PostgreSQL streams them). */
const pieceBytes = 4 * 1024 * 1024;
const pendingRows = 512;

/**
 * Appends many entries at once, for imports: the same entries, hashes and
 * values as `appendHistoryEntries` would write for `requested` (same
 * validation, same canonical encoding, same chain), but loaded with the
 * engine's COPY instead of INSERT statements. The hash chain is computed here
 * for the whole batch, and the head is locked once and moved once. Runs inside
 * the caller's transaction, like every append.
 */
export async function appendHistoryBulk(
  tx: Queryable & CopyIn,
  spaceId: string,
  requested: readonly HistoryEntryInput[],
): Promise<AppendedEntry[]> {
  if (requested.length === 0) {
    return [];
  }
  const space = normaliseUuid(spaceId, 'spaceId');
  requested.forEach(assertValid);
  const head = await lockHead(tx, space, genesisHash);
  const entries = await withoutDelivered(tx, space, requested);
  const salts = new SaltPool(countValues(entries));
  let prevHash: Buffer = head.hash;
  let seq = head.seq;
  const appended: AppendedEntry[] = [];
  const entryText = new CopyPieces();
  const valueText = new CopyPieces();
  for (const input of entries) {
    seq += 1;
    const subjectId = input.subjectId ?? (input.target.type === 'contact' ? input.target.id : null);
    const changes = input.changes.map((change, idx) => ({
      field: change.field,
      fromDigest: commitValue(space, seq, idx, 'from', change.from, subjectId, salts, valueText),
      toDigest: commitValue(space, seq, idx, 'to', change.to, subjectId, salts, valueText),
    }));
    const { row, hash } = chainedEntryRow(space, input, seq, changes, prevHash);
    entryText.add(
      `${space}\t${seq}\t${row.at}\t${copyField(JSON.stringify(row.actor))}\t${copyField(row.action)}\t` +
        `${copyField(row.target_type)}\t${copyField(row.target_id)}\t${copyField(JSON.stringify(changes))}\t` +
        `${copyField(row.source)}\t${copyField(row.device)}\t${copyField(row.ip)}\t${copyField(row.import_id)}\t` +
        `${historyFormatVersion}\t${copyBytea(row.prev_hash)}\t${copyBytea(row.hash)}\t${copyField(row.origin_id)}\n`,
    );
    appended.push({ seq, hash: row.hash });
    prevHash = hash;
  }
  if (appended.length === 0) {
    return [];
  }
  // Entries first: the values' foreign key names them.
  await tx.copyIn(entryColumns, piecesOf(entryText.take()));
  const values = valueText.take();
  if (values.length > 0) {
    await tx.copyIn(valueColumns, piecesOf(values));
  }
  await moveHead(tx, space, { seq, hash: prevHash });
  return appended;
}

/** Records one side of a change as a COPY row and returns its digest, as the writer does. */
function commitValue(
  spaceId: string,
  seq: number,
  idx: number,
  side: 'from' | 'to',
  value: unknown,
  subjectId: string | null,
  salts: SaltPool,
  out: CopyPieces,
): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  const canonical = canonicalJson(value);
  const salt = salts.next();
  out.add(
    `${spaceId}\t${seq}\t${idx}\t${side}\t${copyBytea(salt.toString('hex'))}\t${copyField(canonical)}\t${copyField(subjectId)}\n`,
  );
  return valueDigest(salt, canonical).toString('hex');
}

async function withoutDelivered(
  tx: Queryable,
  spaceId: string,
  entries: readonly HistoryEntryInput[],
): Promise<readonly HistoryEntryInput[]> {
  const origins = entries.flatMap((entry) =>
    entry.originId ? [entry.originId.toLowerCase()] : [],
  );
  if (origins.length === 0) {
    return entries;
  }
  const delivered = await deliveredOrigins(tx, spaceId, origins);
  return entries.filter((entry) => !entry.originId || !delivered.has(entry.originId.toLowerCase()));
}

/** Hands the pieces over one by one, letting go of each once sent. */
async function* piecesOf(pieces: Buffer[]): AsyncIterable<Buffer> {
  for (let piece = pieces.shift(); piece !== undefined; piece = pieces.shift()) {
    yield piece;
  }
}

/**
 * COPY text written straight into Buffers of about `pieceBytes` as rows come:
 * no array of row strings to join and encode later (that join, its UTF-8
 * encoding and the garbage of a million held strings were most of the bulk
 * append's own time).
 */
class CopyPieces {
  private readonly pieces: Buffer[] = [];
  private buffer = Buffer.allocUnsafe(pieceBytes);
  private used = 0;
  /** Rows not yet encoded: one Buffer write per `pendingRows` rows, not one per row. */
  private pending: string[] = [];

  add(row: string): void {
    this.pending.push(row);
    if (this.pending.length >= pendingRows) {
      this.encodePending();
    }
  }

  /** Everything added, as its pieces (PostgreSQL streams them; PGlite joins them into one blob). */
  take(): Buffer[] {
    this.encodePending();
    if (this.used > 0) {
      this.pieces.push(this.buffer.subarray(0, this.used));
      this.buffer = Buffer.alloc(0);
      this.used = 0;
    }
    return this.pieces.splice(0);
  }

  private encodePending(): void {
    if (this.pending.length === 0) {
      return;
    }
    const text = this.pending.join('');
    this.pending = [];
    // A UTF-16 code unit is at most 3 bytes of UTF-8: room for the worst case.
    const room = text.length * 3;
    if (this.used + room > this.buffer.length) {
      if (this.used > 0) {
        this.pieces.push(this.buffer.subarray(0, this.used));
      }
      this.buffer = Buffer.allocUnsafe(Math.max(pieceBytes, room));
      this.used = 0;
    }
    this.used += this.buffer.write(text, this.used, 'utf8');
  }
}
