import { z } from 'zod';
import { plainText, uuid } from '../../http/common-schemas.ts';
import { historyActions } from './history-format.ts';

export const historyParams = z
  .object({
    /** The Space's id. */
    spaceId: uuid.describe('the Space’s id'),
  })
  .strict();

const isoDateTime = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 date-time, e.g. 2026-11-25T10:00:00Z',
});

/** `GET /spaces/:spaceId/history`: filters, newest first, keyset pages. */
export const historyListQuery = z
  .object({
    /** Only entries about this contact. */
    contactId: uuid.optional().describe('only entries about this contact'),
    /** Only entries made by this actor (user, staff or system id). */
    actorId: plainText(1, 200).optional().describe('only entries made by this actor (its id)'),
    /** Only entries of this action. */
    action: z
      .enum(historyActions)
      .optional()
      .describe('only entries of this action, e.g. contact.update'),
    /** Entries at or after this time. */
    since: isoDateTime.optional().describe('entries at or after this time (ISO 8601)'),
    /** Entries before this time. */
    until: isoDateTime.optional().describe('entries before this time (ISO 8601)'),
    /** Page size, 1–200 (default 50). */
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(200)
      .default(50)
      .describe('page size, 1–200 (default 50)'),
    /** Opaque cursor from a previous page's `nextCursor`. */
    cursor: z.string().max(512).optional().describe('the nextCursor of the previous page'),
  })
  .strict()
  .refine((q) => !q.since || !q.until || Date.parse(q.since) < Date.parse(q.until), {
    message: 'since must be before until',
    path: ['since'],
  });
export type HistoryListQuery = z.infer<typeof historyListQuery>;

const hex = (what: string) => z.string().describe(what);

export const historyChange = z.object({
  field: z.string().describe('the field that changed'),
  from: z.unknown().describe('the value before (null: none, or redacted)'),
  to: z.unknown().describe('the value after (null: none, or redacted)'),
  fromDigest: hex(
    'SHA-256 of fromSalt ‖ canonical JSON of from, hex; null when there was no value',
  ).nullable(),
  toDigest: hex(
    'SHA-256 of toSalt ‖ canonical JSON of to, hex; null when there is no value',
  ).nullable(),
  fromSalt: hex(
    'the 16-byte salt of from, hex; null when there is no value or it was redacted',
  ).nullable(),
  toSalt: hex(
    'the 16-byte salt of to, hex; null when there is no value or it was redacted',
  ).nullable(),
  redacted: z
    .literal(true)
    .optional()
    .describe('present when a value was erased (the entry itself stays)'),
});

export const historyEntryResponse = z.object({
  seq: z.number().int().describe('the entry’s sequence number in its Space, from 1'),
  at: z.string().describe('when the change was made (ISO 8601, UTC, milliseconds)'),
  actor: z
    .object({
      type: z.string().describe('user, staff or system'),
      id: z.string().describe('the actor’s id'),
      name: z.string().describe('the actor’s name when the change was made'),
      role: z.string().nullable().describe('the actor’s role when the change was made'),
    })
    .describe('who made the change, as they were then'),
  action: z.string().describe('what was done, e.g. contact.update'),
  target: z.object({ type: z.string(), id: z.string() }).describe('what it was done to'),
  changes: z.array(historyChange).describe('field by field, the values before and after'),
  source: z.string().describe('api, cli, console, import or system'),
  device: z.string().nullable().describe('the user agent of the session'),
  ip: z.string().nullable().describe('the IP address of the request'),
  importId: z.string().nullable().describe('the import that made the change, if any'),
  formatVersion: z
    .number()
    .int()
    .describe('version of the hashed encoding (docs/history-format.md)'),
  prevHash: hex('hash of the previous entry, hex (64 zeros before the first)'),
  hash: hex('SHA-256 of prevHash ‖ canonical encoding of this entry, hex'),
});

export const verifyResponse = z.object({
  ok: z.boolean().describe('true when every entry, value, checkpoint and the head agree'),
  count: z.number().int().describe('entries verified (all of them when ok)'),
  firstBadSeq: z
    .number()
    .int()
    .nullable()
    .describe('the first sequence number that does not verify'),
  reason: z.string().nullable().describe('what is wrong at firstBadSeq'),
});

export const checkpointResponse = z.object({
  spaceId: z.string().describe('the Space (part of what is signed)'),
  seq: z.number().int().describe('the chain head’s sequence number when signed'),
  hash: hex('the hash of the entry at seq, hex'),
  signedAt: z.string().describe('when it was signed (ISO 8601, UTC, milliseconds)'),
  keyId: hex('which key signed: first 16 hex of SHA-256 of the raw Ed25519 public key'),
  signature: hex('Ed25519 signature of the canonical statement, hex'),
});

export const checkpointsResponse = z.object({
  spaceId: z.string().describe('the Space'),
  items: z.array(checkpointResponse).describe('every checkpoint, oldest first'),
  keyId: z.string().describe('the id of the region’s current checkpoint key'),
  publicKey: z
    .string()
    .describe('the region’s Ed25519 public key (PEM): keep it to verify offline'),
});
