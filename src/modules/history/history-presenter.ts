import { bytes, type EntryWithValuesRow } from './history.repository.ts';
import type { CheckpointRecord } from './history-chain.ts';

/**
 * What leaves the server about a history entry: the fields of CONTRACT.md, with
 * each change's values joined from where they are kept (null, and `redacted`,
 * once erased), plus what an offline check needs to recompute the chain:
 * digests, salts, `formatVersion`, `prevHash` and `hash`.
 */
export interface HistoryChangeView {
  field: string;
  from: unknown;
  to: unknown;
  fromDigest: string | null;
  toDigest: string | null;
  fromSalt: string | null;
  toSalt: string | null;
  redacted?: true;
}

export interface HistoryEntryView {
  seq: number;
  at: string;
  actor: { type: string; id: string; name: string; role: string | null };
  action: string;
  target: { type: string; id: string };
  changes: HistoryChangeView[];
  source: string;
  device: string | null;
  ip: string | null;
  importId: string | null;
  formatVersion: number;
  prevHash: string;
  hash: string;
}

export interface CheckpointView {
  spaceId: string;
  seq: number;
  hash: string;
  signedAt: string;
  keyId: string;
  signature: string;
}

interface StoredChange {
  field?: unknown;
  fromDigest?: unknown;
  toDigest?: unknown;
}

const digestOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function toHistoryEntryView(row: EntryWithValuesRow): HistoryEntryView {
  const values = new Map(row.vals.map((v) => [`${v.idx}:${v.side}`, v]));
  const stored = Array.isArray(row.changes) ? (row.changes as StoredChange[]) : [];
  const changes = stored.map((change, idx): HistoryChangeView => {
    const fromDigest = digestOrNull(change.fromDigest);
    const toDigest = digestOrNull(change.toDigest);
    const from = values.get(`${idx}:from`);
    const to = values.get(`${idx}:to`);
    const view: HistoryChangeView = {
      field: String(change.field),
      from: from?.value ?? null,
      to: to?.value ?? null,
      fromDigest,
      toDigest,
      fromSalt: from?.salt ?? null,
      toSalt: to?.salt ?? null,
    };
    if ((fromDigest !== null && !from) || (toDigest !== null && !to)) {
      view.redacted = true;
    }
    return view;
  });
  const actor = row.actor as HistoryEntryView['actor'];
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    actor: { type: actor.type, id: actor.id, name: actor.name, role: actor.role ?? null },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    changes,
    source: row.source,
    device: row.device,
    ip: row.ip,
    importId: row.import_id,
    formatVersion: row.format_version,
    prevHash: bytes(row.prev_hash).toString('hex'),
    hash: bytes(row.hash).toString('hex'),
  };
}

export function toCheckpointView(checkpoint: CheckpointRecord): CheckpointView {
  return {
    spaceId: checkpoint.spaceId,
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    signedAt: checkpoint.signedAt,
    keyId: checkpoint.keyId,
    signature: checkpoint.signature.toString('hex'),
  };
}
