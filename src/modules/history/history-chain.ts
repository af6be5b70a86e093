import { type KeyObject, verify as verifySignature } from 'node:crypto';
import {
  canonicalJson,
  encodeCheckpoint,
  encodeEntry,
  encodeEntryParts,
  entryHashHex,
  genesisHashHex,
  historyFormatVersion,
  valueDigestHex,
} from './history-format.ts';

/**
 * The verification of one Space's chain, fed entry by entry in seq order. It
 * knows nothing of where entries come from: the database verifier and the
 * offline check (scripts/verify-history-offline.ts) both drive it.
 */
export interface VerifiableEntry {
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds. */
  readonly at: string;
  readonly actor: unknown;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
  /** As stored: `[{field, fromDigest, toDigest}]`. */
  readonly changes: unknown;
  readonly source: string;
  readonly device: string | null;
  readonly ip: string | null;
  readonly importId: string | null;
  readonly formatVersion: number;
  /** Lower-case hex. */
  readonly prevHash: string;
  /** Lower-case hex. */
  readonly hash: string;
}

/** A value that is still present (not redacted), for the change at `idx`. */
export interface VerifiableValue {
  readonly idx: number;
  readonly side: 'from' | 'to';
  /** Lower-case hex. */
  readonly salt: string;
  readonly value: unknown;
}

/**
 * An entry read in bulk, with its actor, target and changes already in
 * canonical JSON (the verifier's fast path; see `ChainVerifier.pushEncoded`).
 */
export interface EncodedEntry {
  readonly seq: number;
  readonly at: string;
  readonly actorJson: string;
  readonly action: string;
  readonly targetJson: string;
  readonly changesJson: string;
  /** The changes as parsed, to find the digest each present value is held to. */
  readonly changes: unknown;
  readonly source: string;
  readonly device: string | null;
  readonly ip: string | null;
  readonly importId: string | null;
  readonly formatVersion: number;
  /** Lower-case hex. */
  readonly prevHash: string;
  /** Lower-case hex. */
  readonly hash: string;
}

/** A present value with its canonical JSON already computed. */
export interface EncodedValue {
  readonly idx: number;
  readonly side: 'from' | 'to';
  /** Lower-case hex. */
  readonly salt: string;
  readonly canonical: string;
}

/** A run of contiguous entries verified by the database, by its ends (hashes lower-case hex). */
export interface VerifiedRun {
  readonly count: number;
  readonly firstSeq: number;
  readonly firstPrevHash: string;
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly lastPrevHash: string;
  /** The hashes of the run's entries at the checkpoint seqs (`ChainVerifier.checkpointSeqs`). */
  readonly checkpointHashes: ReadonlyMap<number, string>;
}

/** A signed checkpoint of a Space's chain head. */
export interface CheckpointRecord {
  readonly spaceId: string;
  readonly seq: number;
  /** Lower-case hex. */
  readonly hash: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly signedAt: string;
  readonly keyId: string;
  readonly signature: Buffer;
}

export interface VerifyResult {
  /** True when every entry, value, checkpoint and the head agree. */
  readonly ok: boolean;
  /** Entries verified (all of them when ok; those before the first bad one otherwise). */
  readonly count: number;
  /** The first sequence number that does not verify; null when ok. */
  readonly firstBadSeq: number | null;
  /** What is wrong at `firstBadSeq`, for a person; null when ok. */
  readonly reason: string | null;
}

interface Failure {
  readonly seq: number;
  readonly reason: string;
}

/** Where a verification starts: after a trusted point of the chain (the genesis by default). */
export interface ChainStart {
  readonly seq: number;
  /** Lower-case hex. */
  readonly hash: string;
}

export class ChainVerifier {
  private seq: number;
  private prevHash: string;
  /** Hash of the entry before the previous one: lets a diagnosis name an inserted entry. */
  private prevPrevHash: string | null = null;
  private count = 0;
  private failure: Failure | null = null;
  private readonly expected = new Map<number, CheckpointRecord>();
  private readonly pending: Failure[] = [];
  private readonly lastCheckpointSeq: number;
  private readonly startSeq: number;

  constructor(
    private readonly spaceId: string,
    checkpoints: readonly CheckpointRecord[],
    publicKeys: ReadonlyMap<string, KeyObject>,
    start: ChainStart = { seq: 0, hash: genesisHashHex },
  ) {
    this.seq = start.seq;
    this.startSeq = start.seq;
    this.prevHash = start.hash;
    let last = 0;
    for (const checkpoint of checkpoints) {
      const problem = checkpointProblem(spaceId, checkpoint, publicKeys);
      if (problem) {
        this.pending.push({ seq: checkpoint.seq, reason: problem });
        continue;
      }
      if (checkpoint.seq > start.seq) {
        this.expected.set(checkpoint.seq, checkpoint);
        last = Math.max(last, checkpoint.seq);
      }
    }
    this.pending.sort((a, b) => a.seq - b.seq);
    this.lastCheckpointSeq = last;
  }

  /** The last verified seq and hash (the chain's tip so far). */
  get tip(): ChainStart {
    return { seq: this.seq, hash: this.prevHash };
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Checks the next entry and its present values; false once anything failed. */
  push(entry: VerifiableEntry, values: readonly VerifiableValue[]): boolean {
    if (this.failure) {
      return false;
    }
    const expectedSeq = this.seq + 1;
    const pending = this.pending[0];
    if (pending && pending.seq <= expectedSeq) {
      return this.fail(pending);
    }
    if (entry.seq !== expectedSeq) {
      return this.fail(
        entry.seq > expectedSeq
          ? {
              seq: expectedSeq,
              reason: `entry ${expectedSeq} is missing: the next stored entry is ${entry.seq}`,
            }
          : { seq: entry.seq, reason: `entry ${entry.seq} appears again after entry ${this.seq}` },
      );
    }
    if (entry.formatVersion !== historyFormatVersion) {
      return this.fail({
        seq: entry.seq,
        reason: `entry ${entry.seq} has unknown format version ${entry.formatVersion}`,
      });
    }
    const linked = entry.prevHash === this.prevHash;
    const recomputed = entryHashHex(this.prevHash, encodeEntry(this.hashed(entry, entry.seq)));
    if (!linked || recomputed !== entry.hash) {
      return this.fail(this.diagnose(entry, linked));
    }
    const checkpoint = this.expected.get(entry.seq);
    if (checkpoint && checkpoint.hash !== entry.hash) {
      return this.fail({
        seq: entry.seq,
        reason: `entry ${entry.seq} does not match the checkpoint signed ${checkpoint.signedAt}: the history up to it was rewritten`,
      });
    }
    const valueProblem = checkValues(entry, values);
    if (valueProblem) {
      return this.fail({ seq: entry.seq, reason: valueProblem });
    }
    this.prevPrevHash = this.prevHash;
    this.prevHash = entry.hash;
    this.seq = entry.seq;
    this.count += 1;
    return true;
  }

  /**
   * `push` for an entry already encoded: the bulk verifier's hot path. When
   * anything does not verify, `full()` rebuilds the entry as `push` takes it and
   * `push` decides and diagnoses, so both paths give the same answer.
   */
  pushEncoded(
    entry: EncodedEntry,
    values: readonly EncodedValue[],
    full: () => { entry: VerifiableEntry; values: VerifiableValue[] },
  ): boolean {
    if (
      this.failure ||
      entry.seq !== this.seq + 1 ||
      entry.formatVersion !== historyFormatVersion ||
      entry.prevHash !== this.prevHash ||
      (this.pending.length > 0 && (this.pending[0] as Failure).seq <= entry.seq)
    ) {
      return this.pushFull(full);
    }
    const encoded = encodeEntryParts(
      {
        spaceId: this.spaceId,
        seq: entry.seq,
        at: entry.at,
        action: entry.action,
        source: entry.source,
        device: entry.device,
        ip: entry.ip,
        importId: entry.importId,
      },
      entry.actorJson,
      entry.targetJson,
      entry.changesJson,
    );
    if (entryHashHex(this.prevHash, encoded) !== entry.hash) {
      return this.pushFull(full);
    }
    const checkpoint = this.expected.get(entry.seq);
    if (checkpoint && checkpoint.hash !== entry.hash) {
      return this.pushFull(full);
    }
    if (values.length > 0) {
      const changes = Array.isArray(entry.changes) ? (entry.changes as unknown[]) : [];
      for (const value of values) {
        const change = changes[value.idx] as
          | { fromDigest?: unknown; toDigest?: unknown }
          | undefined;
        const digest = value.side === 'from' ? change?.fromDigest : change?.toDigest;
        if (typeof digest !== 'string' || valueDigestHex(value.salt, value.canonical) !== digest) {
          return this.pushFull(full);
        }
      }
    }
    this.prevPrevHash = this.prevHash;
    this.prevHash = entry.hash;
    this.seq = entry.seq;
    this.count += 1;
    return true;
  }

  /** Seqs of the checkpoints to hold entries `from..through` to (the database reads their hashes). */
  checkpointSeqs(from: number, through: number): number[] {
    return [...this.expected.keys()].filter((seq) => seq >= from && seq <= through);
  }

  /**
   * Takes a run of entries that the database verified one by one (each hash
   * recomputed over its canonical encoding, each prev_hash linked to the entry
   * before, seqs contiguous, values against their digests: checkChainPage) by
   * its ends: it must continue the chain here, and hold every checkpoint in it.
   * False, with nothing recorded, when it does not: the caller then feeds the
   * run's entries one by one (`push`), which decides and names the bad entry.
   */
  acceptVerifiedRun(run: VerifiedRun): boolean {
    if (
      this.failure ||
      run.count < 1 ||
      run.firstSeq !== this.seq + 1 ||
      run.lastSeq !== run.firstSeq + run.count - 1 ||
      run.firstPrevHash !== this.prevHash ||
      (run.count === 1 && run.lastPrevHash !== this.prevHash) ||
      (this.pending.length > 0 && (this.pending[0] as Failure).seq <= run.lastSeq)
    ) {
      return false;
    }
    for (const seq of this.checkpointSeqs(run.firstSeq, run.lastSeq)) {
      if (run.checkpointHashes.get(seq) !== (this.expected.get(seq) as CheckpointRecord).hash) {
        return false;
      }
    }
    this.prevPrevHash = run.lastPrevHash;
    this.prevHash = run.lastHash;
    this.seq = run.lastSeq;
    this.count += run.count;
    return true;
  }

  private pushFull(full: () => { entry: VerifiableEntry; values: VerifiableValue[] }): boolean {
    if (this.failure) {
      return false;
    }
    const { entry, values } = full();
    return this.push(entry, values);
  }

  /**
   * Ends the verification. `head` (from the database) must be the last entry;
   * a checkpoint beyond the last entry means the tail was cut off.
   */
  finish(head?: ChainStart | null): VerifyResult {
    if (!this.failure) {
      const pending = this.pending[0];
      if (pending) {
        this.fail(pending);
      } else if (this.lastCheckpointSeq > this.seq) {
        this.fail({
          seq: this.seq + 1,
          reason: `entries ${this.seq + 1} to ${this.lastCheckpointSeq} are missing: a checkpoint signed entry ${this.lastCheckpointSeq}`,
        });
      } else if (head !== undefined) {
        this.checkHead(head);
      }
    }
    if (!this.failure) {
      return { ok: true, count: this.count, firstBadSeq: null, reason: null };
    }
    // A diagnosis may name an entry already counted (an insertion, a bad head).
    const count = Math.max(0, Math.min(this.count, this.failure.seq - 1 - this.startSeq));
    return { ok: false, count, firstBadSeq: this.failure.seq, reason: this.failure.reason };
  }

  private checkHead(head: ChainStart | null): void {
    if (!head) {
      if (this.seq > 0) {
        this.fail({ seq: this.seq, reason: `the history has ${this.seq} entries but no head` });
      }
      return;
    }
    if (head.seq > this.seq) {
      this.fail({
        seq: this.seq + 1,
        reason: `entries ${this.seq + 1} to ${head.seq} are missing: the head is at ${head.seq}`,
      });
    } else if (head.seq < this.seq) {
      this.fail({
        seq: head.seq + 1,
        reason: `entry ${head.seq + 1} was added without moving the head (at ${head.seq})`,
      });
    } else if (head.hash !== this.prevHash) {
      this.fail({ seq: this.seq, reason: `the head does not match entry ${this.seq}` });
    }
  }

  /**
   * Names the right entry when the chain breaks at `entry`: if it would verify as
   * the entry before (one seq lower, after the entry before that), then the entry
   * before it is the one that was inserted.
   */
  private diagnose(entry: VerifiableEntry, linked: boolean): Failure {
    if (this.prevPrevHash && entry.prevHash === this.prevPrevHash) {
      const shifted = entryHashHex(
        this.prevPrevHash,
        encodeEntry(this.hashed(entry, entry.seq - 1)),
      );
      if (shifted === entry.hash) {
        return {
          seq: entry.seq - 1,
          reason: `entry ${entry.seq - 1} was inserted: the entry now numbered ${entry.seq} was written as ${entry.seq - 1}`,
        };
      }
    }
    return linked
      ? {
          seq: entry.seq,
          reason: `entry ${entry.seq} was modified: its hash does not match its content`,
        }
      : {
          seq: entry.seq,
          reason: `entry ${entry.seq} does not follow entry ${entry.seq - 1}: entries were removed, moved or inserted`,
        };
  }

  private hashed(entry: VerifiableEntry, seq: number) {
    return {
      spaceId: this.spaceId,
      seq,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      changes: entry.changes,
      source: entry.source,
      device: entry.device,
      ip: entry.ip,
      importId: entry.importId,
    };
  }

  /** Records the first failure; a bad checkpoint at a lower seq comes first. */
  private fail(failure: Failure): false {
    const pending = this.pending[0];
    this.failure ??= pending && pending.seq < failure.seq ? pending : failure;
    return false;
  }
}

/** Checks present values against the digests the entry commits to. */
function checkValues(entry: VerifiableEntry, values: readonly VerifiableValue[]): string | null {
  if (values.length === 0) {
    return null;
  }
  const changes = Array.isArray(entry.changes) ? (entry.changes as unknown[]) : [];
  for (const value of values) {
    const change = changes[value.idx] as
      | { field?: unknown; fromDigest?: unknown; toDigest?: unknown }
      | undefined;
    const digest = value.side === 'from' ? change?.fromDigest : change?.toDigest;
    if (typeof digest !== 'string') {
      return `entry ${entry.seq} has a value that no change commits to (change ${value.idx}, ${value.side})`;
    }
    if (valueDigestHex(value.salt, canonicalJson(value.value)) !== digest) {
      return `a value of entry ${entry.seq} was modified (field ${String(change?.field)}, ${value.side})`;
    }
  }
  return null;
}

function checkpointProblem(
  spaceId: string,
  checkpoint: CheckpointRecord,
  publicKeys: ReadonlyMap<string, KeyObject>,
): string | null {
  if (checkpoint.spaceId !== spaceId) {
    return `the checkpoint at ${checkpoint.seq} is for another Space (${checkpoint.spaceId})`;
  }
  const key = publicKeys.get(checkpoint.keyId);
  if (!key) {
    return `the checkpoint at ${checkpoint.seq} was signed by key ${checkpoint.keyId}, which is not among the public keys given`;
  }
  const statement = encodeCheckpoint(checkpoint);
  if (!verifySignature(null, statement, key, checkpoint.signature)) {
    return `the checkpoint at ${checkpoint.seq} has an invalid signature: it was not signed by key ${checkpoint.keyId}`;
  }
  return null;
}
