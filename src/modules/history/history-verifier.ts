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
import { valueDigestHex } from './history-format.ts';
import { CopyPageFeeder, canonicalOfJsonText } from './history-verify-copy.ts';
import { type ChainPageCheck, checkChainPage } from './history-verify-sql.ts';

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
 * present values against their digests, the head, and every checkpoint.
 *
 * Pages by seq range. Each page is checked by the database itself
 * (checkChainPage: a query of builtin functions sent from here recomputes every
 * hash and link and returns only the page's ends and the first entry it could
 * not vouch for), while the chain across pages, the checkpoints and the head
 * are held here. A page the database does not vouch for whole is read and
 * verified entry by entry in JS, which names the first bad entry and why; a
 * clean page never leaves the database.
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
  const feeder = isCopyOut(db) ? new CopyPageFeeder(verifier) : null;
  const verifyInJs = async (after: number, upTo: number): Promise<boolean> => {
    if (feeder && isCopyOut(db)) {
      const page = await copyVerificationPage(db, spaceId.toLowerCase(), after, upTo);
      return feeder.feed(page.entries, page.values);
    }
    const page = await readVerificationPage(db, spaceId, after, upTo);
    return feed(verifier, page.entries, page.values);
  };
  // Pages are independent until their ends are linked here: a few are checked
  // at once, which PostgreSQL runs on as many connections (PGlite in turn).
  const inFlight: { after: number; upTo: number; check: Promise<ChainPageCheck> }[] = [];
  let nextAfter = start?.seq ?? 0;
  const launch = () => {
    while (inFlight.length < pagesAhead && nextAfter < through) {
      const after = nextAfter;
      const upTo = Math.min(after + pageSize, through);
      const seqs = verifier.checkpointSeqs(after + 1, upTo);
      inFlight.push({ after, upTo, check: checkChainPage(db, spaceId, after, upTo, seqs) });
      nextAfter = upTo;
    }
  };
  launch();
  while (inFlight.length > 0) {
    const { after, upTo, check } = inFlight.shift() as (typeof inFlight)[number];
    const page = await check;
    launch();
    if (!acceptPage(verifier, page) && !(await verifyInJs(after, upTo))) {
      await Promise.allSettled(inFlight.map((pending) => pending.check));
      break;
    }
    options.onProgress?.(verifier.tip.seq, through);
  }
  return { ...verifier.finish(head), head };
}

/** Pages checked by the database at once (PostgreSQL runs them on separate connections). */
const pagesAhead = 3;

/** Takes a page the database vouched for whole; false when it did not (or it does not continue the chain). */
function acceptPage(verifier: ChainVerifier, page: ChainPageCheck): boolean {
  if (
    page.count === 0 ||
    page.firstSuspectSeq !== null ||
    page.firstBadValueSeq !== null ||
    page.firstSeq === null ||
    page.firstPrevHash === null ||
    page.lastSeq === null ||
    page.lastHash === null ||
    page.lastPrevHash === null
  ) {
    return false;
  }
  for (const [, , , salt, text, digest] of page.valuesToCheck) {
    try {
      if (digest === null || valueDigestHex(salt, canonicalOfJsonText(text)) !== digest) {
        return false;
      }
    } catch {
      return false;
    }
  }
  return verifier.acceptVerifiedRun({
    count: page.count,
    firstSeq: page.firstSeq,
    firstPrevHash: page.firstPrevHash,
    lastSeq: page.lastSeq,
    lastHash: page.lastHash,
    lastPrevHash: page.lastPrevHash,
    checkpointHashes: page.checkpointHashes,
  });
}

function isCopyOut(db: Queryable): db is Queryable & CopyOut {
  return typeof (db as Partial<CopyOut>).copyOutChunks === 'function';
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

/** A stored entry as the verifier reads it (also what tests and the bench re-encode). */
export function toVerifiable(row: EntryTuple): VerifiableEntry {
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
