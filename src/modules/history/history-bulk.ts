import * as crypto from 'node:crypto';
import { copyField } from '../../stores/copy-text.ts';
import type { CopyIn, Queryable } from '../../stores/database.ts';
import { deliveredOrigins, lockHead, moveHead } from './history.repository.ts';
import {
  canonicalJson,
  encodeEntryAroundSeq,
  genesisHash,
  historyFormatVersion,
} from './history-format.ts';
import {
  type AppendedEntry,
  assertValid,
  countValues,
  entryLabels,
  type HistoryEntryInput,
  normaliseUuid,
} from './history-writer.ts';

const entryColumns =
  'history_entries (space_id, seq, at, actor, action, target_type, target_id, changes, source, device, ip, import_id, format_version, prev_hash, hash, origin_id)';
const valueColumns = 'history_values (space_id, seq, idx, side, salt, value, subject_id)';

/** COPY input is sent in pieces of about this many bytes (PostgreSQL streams them). */
const pieceBytes = 4 * 1024 * 1024;
const pendingRows = 512;
const saltBytes = 16;

/**
 * SHA-256 of `data` as lower-case hex, in one call: `crypto.hash` (Node ≥ 20.12)
 * makes no Hash object per digest, and imports take a million of them.
 */
const sha256Hex: (data: Uint8Array) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

type Db = Queryable & CopyIn;

/**
 * Appends many entries at once, for imports: the same entries, hashes and
 * values as `appendHistoryEntries` would write for `requested` (same
 * validation, same canonical encoding, same chain), but loaded with the
 * engine's COPY instead of INSERT statements. The head is locked once and
 * moved once. Runs inside the caller's transaction, like every append.
 */
export async function appendHistoryBulk(
  tx: Db,
  spaceId: string,
  requested: readonly HistoryEntryInput[],
): Promise<AppendedEntry[]> {
  if (requested.length === 0) {
    return [];
  }
  const space = normaliseUuid(spaceId, 'spaceId');
  requested.forEach(assertValid);
  const appender = await HistoryBulkAppender.open(tx, space);
  const appended = await appender.append(requested);
  await appender.close();
  return appended;
}

/**
 * A bulk append spread over several calls of one transaction (an import's
 * batches): the head is locked by `open`, each `append` continues the chain
 * in memory and loads its entries by COPY, and `close` moves the head once.
 * Until `close`, the head row still names the chain's old end: nothing but
 * this appender may append to the Space meanwhile (the lock sees to other
 * transactions; the caller to its own). Calls of `append` are taken in turn:
 * one may compute its entries while the previous one's COPYs are being sent;
 * its own COPYs follow those.
 */
export class HistoryBulkAppender {
  private seq: number;
  private prevHash: Buffer;
  private moved = false;
  private turn: Promise<void> = Promise.resolve();
  private writes: Promise<void> = Promise.resolve();
  private scratch = Buffer.allocUnsafe(64 * 1024);
  /** The last actor seen and its canonical JSON: an import's entries all share one. */
  private actor: HistoryEntryInput['actor'] | undefined;
  private actorJson = '';
  private atTime = Number.NaN;
  private atIso = '';
  private importRaw: string | null = null;
  private importId: string | null = null;

  private constructor(
    private readonly tx: Db,
    private readonly space: string,
    head: { seq: number; hash: Buffer },
  ) {
    this.seq = head.seq;
    this.prevHash = head.hash;
  }

  /** Locks the Space's head (held until the transaction ends) and starts from it. */
  static async open(tx: Db, spaceId: string): Promise<HistoryBulkAppender> {
    const space = normaliseUuid(spaceId, 'spaceId');
    return new HistoryBulkAppender(tx, space, await lockHead(tx, space, genesisHash));
  }

  /**
   * Appends `requested` after the entries of the previous calls. With
   * `yieldEvery`, the computation lets the event loop run every so many
   * entries, so a COPY still being sent (PostgreSQL) keeps flowing.
   */
  async append(
    requested: readonly HistoryEntryInput[],
    options: { after?: Promise<unknown>; yieldEvery?: number } = {},
  ): Promise<AppendedEntry[]> {
    requested.forEach(assertValid);
    // Two turns, taken in call order: computing (the next call may compute
    // while this one's COPYs are sent) and writing (its COPYs follow these).
    const turn = this.turn;
    const previousWrites = this.writes;
    let computed = () => {};
    let written = () => {};
    this.turn = new Promise<void>((resolve) => {
      computed = resolve;
    });
    this.writes = new Promise<void>((resolve) => {
      written = resolve;
    });
    try {
      let prepared: Prepared;
      try {
        await turn;
        if (requested.some((entry) => entry.originId)) {
          // Looking the origins up is a statement too: not while COPYs are sent.
          await previousWrites;
        }
        const entries = await withoutDelivered(this.tx, this.space, requested);
        prepared = await this.prepare(entries, options.yieldEvery ?? 0);
      } finally {
        computed();
      }
      if (prepared.appended.length === 0) {
        return [];
      }
      // The transaction's connection runs one statement at a time: the previous
      // call's COPYs and `after` (the caller's own writes) end before these start.
      await previousWrites;
      await options.after;
      this.moved = true;
      await this.tx.copyIn(entryColumns, piecesOf(prepared.entries));
      if (prepared.values.length > 0) {
        await this.tx.copyIn(valueColumns, piecesOf(prepared.values));
      }
      return prepared.appended;
    } finally {
      written();
    }
  }

  /** Moves the head to the last entry appended (nothing when none was). */
  async close(): Promise<void> {
    await this.writes;
    if (this.moved) {
      await moveHead(this.tx, this.space, { seq: this.seq, hash: this.prevHash });
    }
  }

  /**
   * The entries' COPY text and the chain through them. Byte for byte what
   * `chainedEntryRow` and `commitValue` (history-writer.ts) make, built with
   * less per-value work: one random draw and one hex encoding for all salts,
   * each digest hashed in one call over a reused buffer, the actor's canonical
   * JSON computed once, and `changes` (whose keys are already in canonical
   * order) written once for the hash and the COPY row alike.
   */
  private async prepare(
    entries: readonly HistoryEntryInput[],
    yieldEvery: number,
  ): Promise<Prepared> {
    const space = this.space;
    const saltPool = crypto.randomBytes(Math.max(countValues(entries), 1) * saltBytes);
    const saltHex = saltPool.toString('hex');
    let saltAt = 0;
    let seq = this.seq;
    let prevHash = this.prevHash;
    let prevHex = prevHash.toString('hex');
    const appended: AppendedEntry[] = [];
    const entryText = new CopyPieces();
    const valueText = new CopyPieces();
    const digest = (head: Uint8Array, text: string): string => {
      const room = head.length + text.length * 3;
      if (room > this.scratch.length) {
        this.scratch = Buffer.allocUnsafe(Math.max(room, this.scratch.length * 2));
      }
      this.scratch.set(head, 0);
      const length = head.length + this.scratch.write(text, head.length, 'utf8');
      return sha256Hex(this.scratch.subarray(0, length));
    };
    for (let n = 0; n < entries.length; n += 1) {
      if (yieldEvery > 0 && n > 0 && n % yieldEvery === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const input = entries[n] as HistoryEntryInput;
      seq += 1;
      const subjectId =
        input.subjectId ?? (input.target.type === 'contact' ? input.target.id : null);
      const subjectText = copyField(subjectId);
      const valuePrefix = `${space}\t${seq}\t`;
      let changesJson = '[';
      for (let idx = 0; idx < input.changes.length; idx += 1) {
        const change = input.changes[idx] as HistoryEntryInput['changes'][number];
        let sides = '';
        for (const side of ['from', 'to'] as const) {
          const value = side === 'from' ? change.from : change.to;
          let valueDigest = 'null';
          if (value !== null && value !== undefined) {
            const canonical = canonicalJson(value);
            const salt = saltPool.subarray(saltAt * saltBytes, (saltAt + 1) * saltBytes);
            const hex = saltHex.slice(saltAt * 2 * saltBytes, (saltAt + 1) * 2 * saltBytes);
            saltAt += 1;
            valueText.add(
              `${valuePrefix}${idx}\t${side}\t\\\\x${hex}\t${copyField(canonical)}\t${subjectText}\n`,
            );
            valueDigest = `"${digest(salt, canonical)}"`;
          }
          sides += side === 'from' ? `,"fromDigest":${valueDigest}` : `,"toDigest":${valueDigest}`;
        }
        changesJson += `${idx === 0 ? '' : ','}{"field":${JSON.stringify(change.field)}${sides}}`;
      }
      changesJson += ']';
      const actorJson = this.actorOf(input.actor);
      const at = this.isoOf(input.at);
      const importId = this.importIdOf(input.importId);
      const { device, ip } =
        input.device || input.ip ? entryLabels(input) : { device: null, ip: null };
      const originId = input.originId ? normaliseUuid(input.originId, 'originId') : null;
      const [before, after] = encodeEntryAroundSeq(
        { spaceId: space, at, action: input.action, source: input.source, device, ip, importId },
        actorJson,
        canonicalJson({ type: input.target.type, id: input.target.id }),
        changesJson,
      );
      const hashHex = digest(prevHash, `${before}${canonicalJson(seq)}${after}`);
      entryText.add(
        `${space}\t${seq}\t${at}\t${copyField(actorJson)}\t${copyField(input.action)}\t` +
          `${copyField(input.target.type)}\t${copyField(input.target.id)}\t${copyField(changesJson)}\t` +
          `${copyField(input.source)}\t${copyField(device)}\t${copyField(ip)}\t${copyField(importId)}\t` +
          `${historyFormatVersion}\t\\\\x${prevHex}\t\\\\x${hashHex}\t${copyField(originId)}\n`,
      );
      appended.push({ seq, hash: hashHex });
      prevHex = hashHex;
      prevHash = Buffer.from(hashHex, 'hex');
    }
    this.seq = seq;
    this.prevHash = prevHash;
    return { appended, entries: entryText.take(), values: valueText.take() };
  }

  private actorOf(actor: HistoryEntryInput['actor']): string {
    const last = this.actor;
    if (
      last === undefined ||
      last.type !== actor.type ||
      last.id !== actor.id ||
      last.name !== actor.name ||
      last.role !== actor.role
    ) {
      this.actor = { type: actor.type, id: actor.id, name: actor.name, role: actor.role };
      this.actorJson = canonicalJson({
        type: actor.type,
        id: actor.id,
        name: actor.name,
        role: actor.role,
      });
    }
    return this.actorJson;
  }

  private isoOf(at: Date | undefined): string {
    const time = (at ?? new Date()).getTime();
    if (time !== this.atTime) {
      this.atTime = time;
      this.atIso = new Date(time).toISOString();
    }
    return this.atIso;
  }

  private importIdOf(raw: string | null | undefined): string | null {
    if (!raw) {
      return null;
    }
    if (raw !== this.importRaw) {
      this.importId = normaliseUuid(raw, 'importId');
      this.importRaw = raw;
    }
    return this.importId;
  }
}

interface Prepared {
  appended: AppendedEntry[];
  entries: Buffer[];
  values: Buffer[];
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
