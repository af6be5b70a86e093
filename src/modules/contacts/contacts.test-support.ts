import type { LightMyRequestResponse } from 'fastify';
import type { Queryable } from '../../stores/database.ts';
import { readEntryPage, readValuePage } from '../history/history.repository.ts';

/** Test support: a Space's history as plain entries with their values, oldest first. */
export interface RecordedEntry {
  seq: number;
  action: string;
  actor: { type: string; id: string; name: string; role: string | null };
  target: { type: string; id: string };
  changes: { field: string; from: unknown; to: unknown }[];
  source: string;
  device: string | null;
  ip: string | null;
}

/** Every entry of the Space (about `targetId` only, when given), values filled in (undefined if erased). */
export async function historyOf(
  db: Queryable,
  spaceId: string,
  targetId?: string,
): Promise<RecordedEntry[]> {
  const entries = await readEntryPage(db, spaceId, 0, Number.MAX_SAFE_INTEGER, 1_000_000);
  const values = await readValuePage(db, spaceId, 0, Number.MAX_SAFE_INTEGER);
  const recorded = (seq: number, idx: number, side: 'from' | 'to', digest: string | null) =>
    digest === null
      ? null
      : values.find((v) => v.seq === seq && v.idx === idx && v.side === side)?.value;
  return entries
    .filter((entry) => targetId === undefined || entry.target_id === targetId)
    .map((entry) => ({
      seq: entry.seq,
      action: entry.action,
      actor: entry.actor as RecordedEntry['actor'],
      target: { type: entry.target_type, id: entry.target_id },
      changes: (
        entry.changes as { field: string; fromDigest: string | null; toDigest: string | null }[]
      ).map((c, idx) => ({
        field: c.field,
        from: recorded(entry.seq, idx, 'from', c.fromDigest),
        to: recorded(entry.seq, idx, 'to', c.toDigest),
      })),
      source: entry.source,
      device: entry.device,
      ip: entry.ip,
    }));
}

/** How many history entries the Space has. */
export async function entryCount(db: Queryable, spaceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM history_entries WHERE space_id = $1',
    [spaceId],
  );
  return rows[0]?.n ?? 0;
}

/** The parsed JSON body, typed for the test. */
export function body<T>(response: LightMyRequestResponse): T {
  return response.json() as T;
}

/** A contact as the API answers it (tests read it loosely). */
export interface ContactBody {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  street: string | null;
  postcode: string | null;
  city: string | null;
  country: string | null;
  tags: string[];
  customFields: Record<string, unknown>;
  consents: Record<string, string>;
  consentDetails: Record<string, { status: string; source: string | null; at: string | null }>;
  doNotContact: boolean;
  doNotSell: boolean;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface ErrorBody {
  error: { code: string; message: string };
}
