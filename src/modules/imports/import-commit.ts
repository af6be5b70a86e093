import { randomUUID } from 'node:crypto';
import type { Caller } from '../../context.ts';
import type { Queryable } from '../../stores/database.ts';
import {
  findContact,
  replaceContactTags,
  saveContactConsents,
  updateContactColumns,
} from '../contacts/contact.repository.ts';
import { diffContacts } from '../contacts/contact-diff.ts';
import { applyContactInput, assertIdentifiable, parseInput } from '../contacts/contact-input.ts';
import { type Contact, consentChannels, emptyContactFields } from '../contacts/contact-model.ts';
import { normaliseText, phoneDigits } from '../contacts/contact-search.ts';
import { contactInput } from '../contacts/contacts.schemas.ts';
import { definitionsOf } from '../contacts/custom-field.repository.ts';
import { entryFor } from '../history/entry-for.ts';
import type { HistoryEntryInput } from '../history/history-writer.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import type { SpaceGrant } from '../spaces/space-access.ts';
import { readStagedRows } from './import.repository.ts';
import { findContactsByKey, insertContacts } from './import-contacts.repository.ts';

export const dedupModes = ['skip', 'update', 'create'] as const;
export type DedupMode = (typeof dedupModes)[number];
export const dedupKeys = ['email', 'phone'] as const;
export type DedupKey = (typeof dedupKeys)[number];

export interface CommitPlan {
  readonly importId: string;
  readonly mode: DedupMode;
  readonly dedupBy: DedupKey;
}

export interface CommitCounts {
  created: number;
  updated: number;
  skipped: number;
}

const batchRows = 2000;

/**
 * Turns the staged rows into contacts inside `tx`, the caller's one region
 * transaction: created in bulk, matched ones skipped or updated by the dedup
 * mode, each with its history entry carrying the import's id (source `import`),
 * written a batch at a time. Throws, and so rolls everything back, if any row no
 * longer passes (a custom field deleted since the dry run, say).
 */
export async function commitStagedRows(
  tx: Queryable,
  caller: Caller,
  grant: SpaceGrant,
  plan: CommitPlan,
  at: Date,
  onProgress: (done: number) => void,
): Promise<CommitCounts> {
  const spaceId = grant.space.id;
  const actor: Caller = { ...caller, source: 'import' };
  const definitions = await definitionsOf(tx, spaceId);
  const stamp = { source: 'import', at };
  const counts: CommitCounts = { created: 0, updated: 0, skipped: 0 };
  const keyOf = (email: string | null, phone: string | null) =>
    plan.dedupBy === 'email' ? normaliseText(email) : phoneDigits(phone);
  let afterLine = 0;
  let done = 0;
  for (;;) {
    const rows = await readStagedRows(tx, spaceId, plan.importId, afterLine, batchRows);
    if (rows.length === 0) {
      break;
    }
    afterLine = rows.at(-1)?.line ?? afterLine;
    // Dedup keys of this batch: contacts already in the Space, those created by
    // earlier batches included (the lookup runs inside the same transaction),
    // and those created earlier in this batch. Memory stays one batch wide.
    const seen = new Map<string, string>();
    const inputs = rows.map((row) => parseInput(contactInput, row.input));
    if (plan.mode !== 'create') {
      const keys = inputs.map((input) => keyOf(input.email ?? null, input.phone ?? null));
      const unique = [...new Set(keys.filter((key) => key !== ''))];
      for (const found of await findContactsByKey(tx, spaceId, plan.dedupBy, unique)) {
        if (!seen.has(found.key)) {
          seen.set(found.key, found.id);
        }
      }
    }
    const created: Contact[] = [];
    const pending = new Map<string, Contact>();
    const entries: HistoryEntryInput[] = [];
    const entryOf = (
      action: 'contact.create' | 'contact.update',
      id: string,
      changes: ReturnType<typeof diffContacts>,
    ) => ({
      ...entryFor(actor, grant, {
        action,
        target: { type: 'contact', id },
        changes,
        at,
        subjectId: id,
      }),
      importId: plan.importId,
    });
    for (const input of inputs) {
      const key = plan.mode === 'create' ? '' : keyOf(input.email ?? null, input.phone ?? null);
      const match = key === '' ? undefined : seen.get(key);
      if (match !== undefined && plan.mode === 'skip') {
        counts.skipped += 1;
        continue;
      }
      if (match !== undefined && plan.mode === 'update') {
        const inBatch = pending.get(match);
        if (inBatch) {
          const next = applyContactInput(inBatch, input, definitions, stamp);
          pending.set(match, { ...inBatch, ...next });
          counts.skipped += 1;
          continue;
        }
        if (await updateOne(tx, spaceId, match, input, definitions, stamp, at, entries, entryOf)) {
          counts.updated += 1;
        } else {
          counts.skipped += 1;
        }
        continue;
      }
      const fields = applyContactInput(emptyContactFields(), input, definitions, stamp);
      assertIdentifiable(null, fields);
      const contact: Contact = {
        ...fields,
        id: randomUUID(),
        createdBy: caller.actor.id,
        createdAt: at,
        updatedAt: at,
        deletedAt: null,
      };
      pending.set(contact.id, contact);
      created.push(contact);
      if (key !== '') {
        seen.set(key, contact.id);
      }
    }
    const finalCreated = created.map((c) => pending.get(c.id) ?? c);
    await insertContacts(tx, spaceId, finalCreated);
    for (const contact of finalCreated) {
      entries.push(entryOf('contact.create', contact.id, diffContacts(null, contact)));
    }
    counts.created += finalCreated.length;
    await appendHistoryEntries(tx, spaceId, entries);
    done += rows.length;
    onProgress(done);
  }
  return counts;
}

/** Applies the row to the existing contact; false when nothing changes. */
async function updateOne(
  tx: Queryable,
  spaceId: string,
  contactId: string,
  input: ReturnType<typeof parseInput<typeof contactInput>>,
  definitions: Awaited<ReturnType<typeof definitionsOf>>,
  stamp: { source: string; at: Date },
  at: Date,
  entries: HistoryEntryInput[],
  entryOf: (
    action: 'contact.update',
    id: string,
    changes: ReturnType<typeof diffContacts>,
  ) => HistoryEntryInput,
): Promise<boolean> {
  const current = await findContact(tx, spaceId, contactId, { lock: true });
  if (!current) {
    return false;
  }
  const after = applyContactInput(current, input, definitions, stamp);
  const changes = diffContacts(current, after);
  if (changes.length === 0) {
    return false;
  }
  assertIdentifiable(current, after);
  await updateContactColumns(tx, spaceId, contactId, after, at);
  if (changes.some((c) => c.field === 'tags')) {
    await replaceContactTags(tx, spaceId, contactId, after.tags);
  }
  const consents = consentChannels.filter((channel) =>
    changes.some((c) => c.field === `consents.${channel}`),
  );
  await saveContactConsents(
    tx,
    spaceId,
    contactId,
    Object.fromEntries(consents.map((ch) => [ch, after.consents[ch]])),
  );
  entries.push(entryOf('contact.update', contactId, changes));
  return true;
}
