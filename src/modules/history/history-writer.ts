import { randomBytes } from 'node:crypto';
import type { Source } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../stores/database.ts';
import {
  appendRows,
  appendSingle,
  type CompanionStatement,
  deliveredOrigins,
  insertEntries,
  insertValues,
  lockHead,
  moveHead,
  type NewEntryRow,
  type NewValueRow,
} from './history.repository.ts';
import {
  canonicalJson,
  encodeEntry,
  encodeEntryAroundSeq,
  entryHash,
  genesisHash,
  type HistoryAction,
  historyActorTypes,
  historyFormatVersion,
  historySources,
  isHistoryAction,
  valueDigest,
} from './history-format.ts';

/** The actor as they were when the change was made: their name and role are kept, not looked up later. */
export interface HistoryActor {
  type: 'user' | 'staff' | 'system';
  id: string;
  name: string;
  role: string | null;
}

/** One change to record. Values are JSON values (a Date is recorded as its ISO string). */
export interface HistoryEntryInput {
  actor: HistoryActor;
  action: HistoryAction;
  target: { type: string; id: string };
  /** Field by field, old and new value; `null`/`undefined` means "no value". */
  changes: { field: string; from: unknown; to: unknown }[];
  source: Source;
  device?: string | null;
  ip?: string | null;
  /** The import that made this change, for imported contacts. */
  importId?: string | null;
  /** The data subject the values belong to (erasure deletes by it); defaults to the target when it is a contact. */
  subjectId?: string | null;
  /** When the change was made; defaults to now. Pass the service's clock. */
  at?: Date;
  /**
   * The id of the outbox row this entry is delivered from (changes made in another
   * store): an entry whose origin is already in the chain is not appended again.
   */
  originId?: string | null;
}

export interface AppendedEntry {
  seq: number;
  /** The entry's hash, lower-case hex. */
  hash: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const entriesPerStatement = 1000;
const valuesPerStatement = 5000;
const saltBytes = 16;
// Device and IP are labels for people reading the history; a hostile user agent
// must not make every entry of its sessions kilobytes long.
const maxDeviceLength = 512;
const maxIpLength = 64;

/**
 * Appends entries to the Space's history inside the caller's transaction, so the
 * change and its record commit or roll back together. One head lock and a few
 * multi-row INSERTs per call, however many entries (imports pass thousands).
 * @example await appendHistoryEntries(tx, spaceId, [{ actor, action: 'contact.update', target: { type: 'contact', id }, changes: [{ field: 'email', from: old, to: next }], source: 'api' }]);
 */
export async function appendHistoryEntries(
  tx: Queryable,
  spaceId: string,
  entries: readonly HistoryEntryInput[],
): Promise<AppendedEntry[]> {
  if (entries.length === 0) {
    return [];
  }
  const space = normaliseUuid(spaceId, 'spaceId');
  entries.forEach(assertValid);
  const only = entries[0] as HistoryEntryInput;
  if (entries.length === 1 && !only.originId) {
    const { appended } = await appendOne(tx, space, only);
    if (appended) {
      return [appended];
    }
  }
  return appendGeneral(tx, space, entries);
}

/**
 * Runs `change` (a data-modifying statement, see CompanionStatement) and appends
 * `entry` for it, in ONE statement when the entry allows (no origin, the Space's
 * chain started): an edit then costs the database no round trip more than the
 * change itself. Otherwise the change runs first, then the usual append. Inside
 * the caller's transaction, like every append.
 * @example await appendHistoryEntryWith(tx, spaceId, entry, { sql: 'UPDATE contacts SET city = $3 WHERE space_id = $1 AND id = $2', params: [spaceId, id, 'Lyon'] });
 */
export async function appendHistoryEntryWith(
  tx: Queryable,
  spaceId: string,
  entry: HistoryEntryInput,
  change: CompanionStatement,
): Promise<AppendedEntry> {
  const space = normaliseUuid(spaceId, 'spaceId');
  assertValid(entry);
  let companionRan = false;
  if (!entry.originId) {
    const single = await appendOne(tx, space, entry, change);
    if (single.appended) {
      return single.appended;
    }
    companionRan = single.companionRan;
  }
  if (!companionRan) {
    await tx.query(change.sql, change.params);
  }
  const [appended] = await appendGeneral(tx, space, [entry]);
  if (!appended) {
    throw new Error('history: an entry with this origin is already in the chain');
  }
  return appended;
}

/** Any batch: the head locked and read, the chain computed here, a few multi-row INSERTs. */
async function appendGeneral(
  tx: Queryable,
  space: string,
  requested: readonly HistoryEntryInput[],
): Promise<AppendedEntry[]> {
  let entries = requested;
  const salts = new SaltPool(countValues(entries));
  const head = await lockHead(tx, space, genesisHash);
  entries = await withoutDelivered(tx, space, entries);
  let prevHash: Buffer = head.hash;
  let seq = head.seq;
  const entryRows: NewEntryRow[] = [];
  const valueRows: NewValueRow[] = [];
  const appended: AppendedEntry[] = [];
  for (const input of entries) {
    seq += 1;
    const subjectId = input.subjectId ?? (input.target.type === 'contact' ? input.target.id : null);
    const changes = input.changes.map((change, idx) => ({
      field: change.field,
      fromDigest: commitValue(seq, idx, 'from', change.from, subjectId, salts, valueRows),
      toDigest: commitValue(seq, idx, 'to', change.to, subjectId, salts, valueRows),
    }));
    const { row, hash } = chainedEntryRow(space, input, seq, changes, prevHash);
    entryRows.push(row);
    appended.push({ seq, hash: row.hash });
    prevHash = hash;
  }
  if (entryRows.length <= entriesPerStatement && valueRows.length <= valuesPerStatement) {
    await appendRows(tx, space, entryRows, valueRows, { seq, hash: prevHash });
    return appended;
  }
  for (let i = 0; i < entryRows.length; i += entriesPerStatement) {
    await insertEntries(tx, space, entryRows.slice(i, i + entriesPerStatement));
  }
  for (let i = 0; i < valueRows.length; i += valuesPerStatement) {
    await insertValues(tx, space, valueRows.slice(i, i + valuesPerStatement));
  }
  await moveHead(tx, space, { seq, hash: prevHash });
  return appended;
}

/**
 * One entry without an origin (every edit): one statement, the head locked,
 * moved and the entry hashed by the database (appendSingle). Null when the
 * Space has no head yet; nothing is written then.
 */
async function appendOne(
  tx: Queryable,
  spaceId: string,
  input: HistoryEntryInput,
  companion?: CompanionStatement,
): Promise<{ appended: AppendedEntry | null; companionRan: boolean }> {
  const salts = new SaltPool(countValues([input]));
  const subjectId = input.subjectId ?? (input.target.type === 'contact' ? input.target.id : null);
  const valueRows: NewValueRow[] = [];
  const changes = input.changes.map((change, idx) => ({
    field: change.field,
    fromDigest: commitValue(0, idx, 'from', change.from, subjectId, salts, valueRows),
    toDigest: commitValue(0, idx, 'to', change.to, subjectId, salts, valueRows),
  }));
  if (valueRows.length > valuesPerStatement) {
    return { appended: null, companionRan: false };
  }
  const actor = {
    type: input.actor.type,
    id: input.actor.id,
    name: input.actor.name,
    role: input.actor.role,
  };
  const entry = {
    at: (input.at ?? new Date()).toISOString(),
    actor,
    action: input.action,
    target_type: input.target.type,
    target_id: input.target.id,
    changes,
    source: input.source,
    device: label(input.device, maxDeviceLength),
    ip: label(input.ip, maxIpLength),
    import_id: input.importId ? normaliseUuid(input.importId, 'importId') : null,
    format_version: historyFormatVersion,
  };
  const [before, after] = encodeEntryAroundSeq(
    {
      spaceId,
      at: entry.at,
      action: entry.action,
      source: entry.source,
      device: entry.device,
      ip: entry.ip,
      importId: entry.import_id,
    },
    canonicalJson(actor),
    canonicalJson({ type: entry.target_type, id: entry.target_id }),
    canonicalJson(changes),
  );
  const appended = await appendSingle(
    tx,
    spaceId,
    entry,
    before,
    after,
    valueRows.map(({ seq: _seq, ...value }) => value),
    companion,
  );
  return {
    appended: appended ? { seq: appended.seq, hash: appended.hash.toString('hex') } : null,
    companionRan: companion !== undefined,
  };
}

/** Drops the entries whose origin is already in the chain (the head is locked: no race). */
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

/** Records one side of a change and returns its digest; a missing value has no digest and no row. */
/**
 * The stored row of an entry at `seq` after `prevHash`, and its hash: what the
 * single and the bulk append (history-bulk.ts) both write, so both build it here.
 */
function chainedEntryRow(
  spaceId: string,
  input: HistoryEntryInput,
  seq: number,
  changes: NewEntryRow['changes'],
  prevHash: Buffer,
): { row: NewEntryRow; hash: Buffer } {
  const row: NewEntryRow = {
    seq,
    at: (input.at ?? new Date()).toISOString(),
    actor: {
      type: input.actor.type,
      id: input.actor.id,
      name: input.actor.name,
      role: input.actor.role,
    },
    action: input.action,
    target_type: input.target.type,
    target_id: input.target.id,
    changes,
    source: input.source,
    device: label(input.device, maxDeviceLength),
    ip: label(input.ip, maxIpLength),
    import_id: input.importId ? normaliseUuid(input.importId, 'importId') : null,
    format_version: historyFormatVersion,
    prev_hash: prevHash.toString('hex'),
    hash: '',
    origin_id: input.originId ? normaliseUuid(input.originId, 'originId') : null,
  };
  const hash = entryHash(prevHash, encodeEntry(hashedFields(spaceId, row)));
  row.hash = hash.toString('hex');
  return { row, hash };
}

function commitValue(
  seq: number,
  idx: number,
  side: 'from' | 'to',
  value: unknown,
  subjectId: string | null,
  salts: SaltPool,
  rows: NewValueRow[],
): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  const canonical = canonicalJson(value);
  const salt = salts.next();
  rows.push({
    seq,
    idx,
    side,
    salt: salt.toString('hex'),
    value: canonical,
    subject_id: subjectId,
  });
  return valueDigest(salt, canonical).toString('hex');
}

function hashedFields(spaceId: string, row: NewEntryRow) {
  return {
    spaceId,
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    changes: row.changes,
    source: row.source,
    device: row.device,
    ip: row.ip,
    importId: row.import_id,
  };
}

/** One call to the random source for the whole batch: imports commit hundreds of thousands of values. */
class SaltPool {
  private readonly pool: Buffer;
  private offset = 0;

  constructor(count: number) {
    this.pool = randomBytes(Math.max(count, 1) * saltBytes);
  }

  next(): Buffer {
    const salt = this.pool.subarray(this.offset, this.offset + saltBytes);
    this.offset += saltBytes;
    return salt;
  }
}

function countValues(entries: readonly HistoryEntryInput[]): number {
  let count = 0;
  for (const entry of entries) {
    for (const change of entry.changes) {
      count +=
        (change.from === null || change.from === undefined ? 0 : 1) +
        (change.to === null || change.to === undefined ? 0 : 1);
    }
  }
  return count;
}

function assertValid(entry: HistoryEntryInput): void {
  if (!isHistoryAction(entry.action)) {
    throw new AppError(
      'invalid_input',
      `unknown history action "${String(entry.action)}": add it to historyActions first`,
    );
  }
  if (!(historySources as readonly string[]).includes(entry.source)) {
    throw new AppError('invalid_input', `unknown history source "${String(entry.source)}"`);
  }
  if (!(historyActorTypes as readonly string[]).includes(entry.actor.type) || !entry.actor.id) {
    throw new AppError(
      'invalid_input',
      'a history entry needs an actor with a type (user, staff, system) and an id',
    );
  }
  if (!entry.target.type || !entry.target.id) {
    throw new AppError('invalid_input', 'a history entry needs a target type and id');
  }
  if (entry.changes.length > 32_767) {
    throw new AppError('too_large', 'a history entry records at most 32767 changed fields');
  }
  for (const change of entry.changes) {
    if (typeof change.field !== 'string' || change.field.length === 0) {
      throw new AppError('invalid_input', 'every history change names its field');
    }
  }
}

function normaliseUuid(value: string, what: string): string {
  const lower = value.toLowerCase();
  if (!uuidPattern.test(lower)) {
    throw new AppError('invalid_input', `history: ${what} must be a UUID`);
  }
  return lower;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const controlCharacters = /[\u0000-\u001f\u007f]/g;
const loneSurrogates = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A display label: no control characters, valid Unicode, at most `max` code points. */
function label(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined || value === '') {
    return null;
  }
  let clean = value.replace(controlCharacters, '');
  if (clean.length > max) {
    clean = Array.from(clean).slice(0, max).join('');
  }
  return clean.replace(loneSurrogates, '\ufffd');
}

/** Shared with the bulk append (history-bulk.ts), which must build exactly the same entries. */
export type { CompanionStatement } from './history.repository.ts';
export { assertValid, chainedEntryRow, countValues, normaliseUuid, SaltPool };

/** The device and IP labels an entry is stored with, as `chainedEntryRow` cleans them (the bulk append builds its rows itself). */
export function entryLabels(input: Pick<HistoryEntryInput, 'device' | 'ip'>): {
  device: string | null;
  ip: string | null;
} {
  return { device: label(input.device, maxDeviceLength), ip: label(input.ip, maxIpLength) };
}
