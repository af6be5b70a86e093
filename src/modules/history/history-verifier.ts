import type { KeyObject } from 'node:crypto';
import type { CopyOut, Queryable } from '../../stores/database.ts';
import {
  copyVerificationPage,
  type EntryTuple,
  readHeadAndLastSeq,
  readVerificationPage,
  type ValueTuple,
} from './history.repository.ts';
import {
  type ChainStart,
  ChainVerifier,
  type CheckpointRecord,
  type VerifiableEntry,
  type VerifiableValue,
  type VerifyResult,
} from './history-chain.ts';
import { CopyPageFeeder } from './history-verify-copy.ts';

export interface VerifyHistoryOptions {
  /** Checkpoints to hold the chain to (read them before calling, so none is newer than the head). */
  readonly checkpoints: readonly CheckpointRecord[];
  /** Public keys by key id, to check the checkpoints' signatures. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** Start after a point already trusted (a verified checkpoint) instead of the genesis. */
  readonly start?: ChainStart;
  /** Entries per page (default 10,000). */
  readonly pageSize?: number;
  /** Called after each page: entries verified so far, and how many there are. */
  readonly onProgress?: (verified: number, total: number) => void;
}

export interface HistoryVerification extends VerifyResult {
  /** The head the verification ran up to (null for a Space with no history). */
  readonly head: ChainStart | null;
}

const defaultPageSize = 10_000;

/**
 * Recomputes a Space's chain from the database: every hash, seq contiguity,
 * present values against their digests, the head, and every checkpoint. Pages
 * by seq range; the next page is fetched while the current one is hashed.
 */
export async function verifyHistory(
  db: Queryable,
  spaceId: string,
  options: VerifyHistoryOptions,
): Promise<HistoryVerification> {
  const stored = await readHeadAndLastSeq(db, spaceId);
  const lastSeq = stored.lastSeq;
  const head = stored.head
    ? { seq: stored.head.seq, hash: stored.head.hash.toString('hex') }
    : null;
  const start = options.start ?? undefined;
  const verifier = new ChainVerifier(spaceId, options.checkpoints, options.publicKeys, start);
  const through = Math.max(head?.seq ?? 0, lastSeq ?? 0);
  const pageSize = options.pageSize ?? defaultPageSize;
  if (isCopyOut(db)) {
    await verifyByCopy(db, spaceId, verifier, start?.seq ?? 0, through, pageSize, options);
    return { ...verifier.finish(head), head };
  }
  const fetchPage = (after: number) =>
    readVerificationPage(db, spaceId, after, Math.min(after + pageSize, through));
  let after = start?.seq ?? 0;
  let next = after < through ? fetchPage(after) : null;
  while (next) {
    const page = await next;
    after = Math.min(after + pageSize, through);
    // The next page is read while this one is hashed.
    next = after < through ? fetchPage(after) : null;
    if (!feed(verifier, page.entries, page.values)) {
      await next?.catch(() => undefined);
      break;
    }
    options.onProgress?.(verifier.tip.seq, through);
  }
  return { ...verifier.finish(head), head };
}

function isCopyOut(db: Queryable): db is Queryable & CopyOut {
  return typeof (db as Partial<CopyOut>).copyOutChunks === 'function';
}

/** The bulk path: pages read by COPY, the next one read while this one is hashed. */
async function verifyByCopy(
  db: Queryable & CopyOut,
  spaceId: string,
  verifier: ChainVerifier,
  from: number,
  through: number,
  pageSize: number,
  options: VerifyHistoryOptions,
): Promise<void> {
  const feeder = new CopyPageFeeder(verifier);
  const fetchPage = (after: number) =>
    copyVerificationPage(db, spaceId.toLowerCase(), after, Math.min(after + pageSize, through));
  let after = from;
  let next = after < through ? fetchPage(after) : null;
  while (next) {
    const page = await next;
    after = Math.min(after + pageSize, through);
    next = after < through ? fetchPage(after) : null;
    if (!feeder.feed(page.entries, page.values)) {
      await next?.catch(() => undefined);
      break;
    }
    options.onProgress?.(verifier.tip.seq, through);
  }
}

/** Feeds one page of entries, each with its values, in order; false at the first failure. */
function feed(
  verifier: ChainVerifier,
  entries: readonly EntryTuple[],
  values: readonly ValueTuple[],
): boolean {
  let v = 0;
  for (const row of entries) {
    const seq = row[0];
    while (v < values.length && (values[v] as ValueTuple)[0] < seq) {
      v += 1;
    }
    const own: VerifiableValue[] = [];
    while (v < values.length && (values[v] as ValueTuple)[0] === seq) {
      const value = values[v] as ValueTuple;
      own.push({ idx: value[1], side: value[2], salt: value[3], value: value[4] });
      v += 1;
    }
    if (!verifier.push(toVerifiable(row), own)) {
      return false;
    }
  }
  return true;
}

function toVerifiable(row: EntryTuple): VerifiableEntry {
  return {
    seq: row[0],
    at: new Date(row[1]).toISOString(),
    actor: row[2],
    action: row[3],
    target: { type: row[4], id: row[5] },
    changes: row[6],
    source: row[7],
    device: row[8],
    ip: row[9],
    importId: row[10],
    formatVersion: row[11],
    prevHash: row[12],
    hash: row[13],
  };
}
