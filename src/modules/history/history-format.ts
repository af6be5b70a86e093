/*
 * ============================================================================
 *  PERSISTED CONTRACT — history format version 1.
 *
 *  Every hash in every Space's history, every checkpoint signature and every
 *  customer's offline check depends on the exact bytes this file produces.
 *  Never change what version 1 encodes: add a version 2 beside it instead, and
 *  keep version 1 verifiable forever. docs/history-format.md describes it for
 *  implementers in other languages; docs/history-test-vectors.json pins it and
 *  history-format.test.ts recomputes every vector.
 * ============================================================================
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../errors.ts';

export const historyFormatVersion = 1;

/**
 * The closed list of history actions (persisted contract: stored in every entry
 * and covered by its hash). Add new actions at the end; never rename or remove one.
 */
export const historyActions = [
  'contact.create',
  'contact.update',
  'contact.delete',
  'contact.restore',
  'contact.erase',
  'contact.revert',
  'import.commit',
  'export.create',
  'member.add',
  'member.role',
  'member.remove',
  'space.create',
  'settings.update',
  'backup.restore',
  'staff.access',
  'customField.create',
  'customField.update',
  'customField.delete',
] as const;
export type HistoryAction = (typeof historyActions)[number];

/** Where a change came from (persisted contract, as `Source` in context.ts). */
export const historySources = ['api', 'cli', 'console', 'import', 'system'] as const;
export const historyActorTypes = ['user', 'staff', 'system'] as const;

/** The hash before a Space's first entry: 32 zero bytes. */
export const genesisHash: Buffer = Buffer.alloc(32);
export const genesisHashHex = genesisHash.toString('hex');

export function isHistoryAction(value: string): value is HistoryAction {
  return (historyActions as readonly string[]).includes(value);
}

/**
 * RFC 8785-style canonical JSON: object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as ECMAScript's JSON.stringify writes them.
 * `undefined` is written as `null` (absent means null); a value with `toJSON`
 * (a Date) is encoded as what `toJSON` returns. Non-finite numbers, bigints,
 * functions and symbols are not JSON and are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) {
        throw new AppError(
          'invalid_input',
          `history values must be JSON: ${value} is not a finite number`,
        );
      }
      return JSON.stringify(value);
    case 'object':
      return canonicalObject(value as object);
    default:
      throw new AppError('invalid_input', `history values must be JSON: a ${typeof value} is not`);
  }
}

function canonicalObject(value: object): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) {
        out += ',';
      }
      out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const withToJson = value as { toJSON?: unknown };
  if (typeof withToJson.toJSON === 'function') {
    return canonicalJson((withToJson.toJSON as () => unknown).call(value));
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    if (i > 0) {
      out += ',';
    }
    out += `${JSON.stringify(key)}:${canonicalJson(record[key])}`;
  }
  return `${out}}`;
}

/** What the hash of an entry covers (version 1). Digests and hashes are lower-case hex. */
export interface HashedEntry {
  readonly spaceId: string;
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds: `2026-11-25T10:00:00.000Z`. */
  readonly at: string;
  readonly actor: unknown;
  readonly action: string;
  readonly target: unknown;
  readonly changes: unknown;
  readonly source: string;
  readonly device: string | null;
  readonly ip: string | null;
  readonly importId: string | null;
}

/**
 * The canonical encoding of an entry: the bytes its hash covers after the
 * previous hash. Exactly `canonicalJson({v: 1, spaceId, seq, at, actor, action,
 * target, changes, source, device, ip, importId})`, written with the top-level
 * keys already in order because verification runs it a million times.
 */
export function encodeEntry(entry: HashedEntry): string {
  return encodeEntryParts(
    entry,
    canonicalJson(entry.actor),
    canonicalJson(entry.target),
    canonicalJson(entry.changes),
  );
}

/**
 * `encodeEntry` with the actor, target and changes already in canonical JSON:
 * the bulk verifier canonicalises them its own (faster) way and shares this one
 * layout of version 1 with the writer.
 */
export function encodeEntryParts(
  entry: Omit<HashedEntry, 'actor' | 'target' | 'changes'>,
  actorJson: string,
  targetJson: string,
  changesJson: string,
): string {
  const [before, after] = encodeEntryAroundSeq(entry, actorJson, targetJson, changesJson);
  return `${before}${canonicalJson(entry.seq)}${after}`;
}

/**
 * The canonical encoding of an entry cut around its `seq`: `before + seq + after`
 * is `encodeEntryParts`. The single-entry append hashes it in the database, where
 * the seq is known only once the Space's head is locked.
 */
export function encodeEntryAroundSeq(
  entry: Omit<HashedEntry, 'seq' | 'actor' | 'target' | 'changes'>,
  actorJson: string,
  targetJson: string,
  changesJson: string,
): readonly [string, string] {
  return [
    `{"action":${canonicalJson(entry.action)},"actor":${actorJson},` +
      `"at":${canonicalJson(entry.at)},"changes":${changesJson},` +
      `"device":${canonicalJson(entry.device)},"importId":${canonicalJson(entry.importId)},` +
      `"ip":${canonicalJson(entry.ip)},"seq":`,
    `,"source":${canonicalJson(entry.source)},"spaceId":${canonicalJson(entry.spaceId)},` +
      `"target":${targetJson},"v":${historyFormatVersion}}`,
  ];
}

/** SHA-256(previous hash ‖ UTF-8 of the canonical entry). */
export function entryHash(prevHash: Uint8Array, encodedEntry: string): Buffer {
  return createHash('sha256').update(prevHash).update(encodedEntry, 'utf8').digest();
}

/** `entryHash` on hex strings: the verifier's hot path, without Buffer round trips. */
export function entryHashHex(prevHashHex: string, encodedEntry: string): string {
  return createHash('sha256').update(prevHashHex, 'hex').update(encodedEntry, 'utf8').digest('hex');
}

/** `valueDigest` on hex strings. */
export function valueDigestHex(saltHex: string, canonicalValue: string): string {
  return createHash('sha256').update(saltHex, 'hex').update(canonicalValue, 'utf8').digest('hex');
}

/** SHA-256(16-byte salt ‖ UTF-8 of the canonical value): what an entry commits to, for one value. */
export function valueDigest(salt: Uint8Array, canonicalValue: string): Buffer {
  return createHash('sha256').update(salt).update(canonicalValue, 'utf8').digest();
}

/** What a checkpoint's Ed25519 signature covers (version 1). */
export interface CheckpointStatement {
  readonly spaceId: string;
  readonly seq: number;
  /** The hash of the entry at `seq`, lower-case hex. */
  readonly hash: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly signedAt: string;
  readonly keyId: string;
}

/** The canonical bytes a checkpoint signs. */
export function encodeCheckpoint(statement: CheckpointStatement): Buffer {
  return Buffer.from(
    canonicalJson({
      v: historyFormatVersion,
      spaceId: statement.spaceId,
      seq: statement.seq,
      hash: statement.hash,
      signedAt: statement.signedAt,
      keyId: statement.keyId,
    }),
    'utf8',
  );
}
