import { randomUUID } from 'node:crypto';
import type { Caller } from '../../context.ts';
import type { Transaction } from '../../stores/database.ts';
import { findContactsForUpdate } from '../contacts/contact.repository.ts';
import { diffContacts, type FieldChange } from '../contacts/contact-diff.ts';
import { applyContactInput, assertIdentifiable } from '../contacts/contact-input.ts';
import type { Contact, ContactFields } from '../contacts/contact-model.ts';
import { normaliseText, phoneDigits } from '../contacts/contact-search.ts';
import { definitionsOf } from '../contacts/custom-field.repository.ts';
import { entryFor } from '../history/entry-for.ts';
import { appendHistoryBulk } from '../history/history-bulk.ts';
import type { HistoryEntryInput } from '../history/history-writer.ts';
import type { SpaceGrant } from '../spaces/space-access.ts';
import { findContactsByKey, insertContacts, updateContacts } from './import-contacts.repository.ts';
import type { CheckedRow } from './import-validation.ts';

export const dedupModes = ['skip', 'update', 'create'] as const;
export type DedupMode = (typeof dedupModes)[number];
export const dedupKeys = ['email', 'phone'] as const;
export type DedupKey = (typeof dedupKeys)[number];

export interface CommitPlan {
  readonly importId: string;
  readonly mode: DedupMode;
  readonly dedupBy: DedupKey;
  /**
   * Whether the history of a batch may be prepared while its contacts are still
   * being written: on PostgreSQL the server works meanwhile; PGlite runs in this
   * thread, so there it gains nothing.
   */
  readonly overlap?: boolean;
}

export interface CommitCounts {
  created: number;
  updated: number;
  skipped: number;
}

/**
 * Turns the file's valid rows (`batches`, read and checked again inside the
 * transaction) into contacts inside `tx`, the caller's one region
 * transaction, a batch at a time and set-based: the batch's dedup keys looked
 * up in one statement, the matched contacts loaded (and locked) in one, the new
 * contacts with their tags and consents loaded by COPY, the updated ones written
 * by one UPDATE … FROM, and every contact's history entry (carrying the
 * import's id, source `import`) appended by one bulk COPY that moves the chain
 * head once. Throws, and so rolls everything back, if any row no longer passes
 * (`batches` throws; or an update no longer leaves the contact identifiable).
 */
export async function commitRows(
  tx: Transaction,
  caller: Caller,
  grant: SpaceGrant,
  plan: CommitPlan,
  batches: AsyncIterable<readonly CheckedRow[]>,
  at: Date,
  onProgress: (done: number) => void,
): Promise<CommitCounts> {
  const spaceId = grant.space.id;
  const actor: Caller = { ...caller, source: 'import' };
  const definitions = await definitionsOf(tx, spaceId);
  const stamp = { source: 'import', at };
  const counts: CommitCounts = { created: 0, updated: 0, skipped: 0 };
  const keyOf = (email: string | null | undefined, phone: string | null | undefined) =>
    plan.dedupBy === 'email' ? normaliseText(email) : phoneDigits(phone);
  const entryOf = (
    action: 'contact.create' | 'contact.update',
    id: string,
    changes: FieldChange[],
  ): HistoryEntryInput => ({
    ...entryFor(actor, grant, {
      action,
      target: { type: 'contact', id },
      changes,
      at,
      subjectId: id,
    }),
    importId: plan.importId,
  });
  let done = 0;
  for await (const rows of batches) {
    // Dedup keys of this batch: contacts already in the Space, those created by
    // earlier batches included (the lookup runs inside the same transaction),
    // and those created earlier in this batch. Memory stays one batch wide.
    const seen = new Map<string, string>();
    const existing = new Map<string, Contact>();
    if (plan.mode !== 'create') {
      const keys = new Set<string>();
      for (const { input } of rows) {
        const key = keyOf(input.email, input.phone);
        if (key !== '') {
          keys.add(key);
        }
      }
      for (const found of await findContactsByKey(tx, spaceId, plan.dedupBy, [...keys])) {
        if (!seen.has(found.key)) {
          seen.set(found.key, found.id);
        }
      }
      if (plan.mode === 'update' && seen.size > 0) {
        for (const contact of await findContactsForUpdate(tx, spaceId, [
          ...new Set(seen.values()),
        ])) {
          existing.set(contact.id, contact);
        }
      }
    }
    const created = new Map<string, Contact>();
    const updated = new Map<
      string,
      { after: ContactFields; tags: boolean; consents: Set<string> }
    >();
    const entries: HistoryEntryInput[] = [];
    for (const { input, fields } of rows) {
      const key = plan.mode === 'create' ? '' : keyOf(input.email, input.phone);
      const match = key === '' ? undefined : seen.get(key);
      if (match !== undefined && plan.mode === 'skip') {
        counts.skipped += 1;
        continue;
      }
      if (match !== undefined && plan.mode === 'update') {
        const inBatch = created.get(match);
        if (inBatch) {
          const next = applyContactInput(inBatch, input, definitions, stamp);
          created.set(match, { ...inBatch, ...next });
          counts.skipped += 1;
          continue;
        }
        const current = existing.get(match);
        const state = updated.get(match);
        const before = state?.after ?? current;
        if (!before) {
          counts.skipped += 1;
          continue;
        }
        const after = applyContactInput(before, input, definitions, stamp);
        const changes = diffContacts(before, after);
        if (changes.length === 0) {
          counts.skipped += 1;
          continue;
        }
        assertIdentifiable(before, after);
        const next = state ?? { after, tags: false, consents: new Set<string>() };
        next.after = after;
        for (const change of changes) {
          if (change.field === 'tags') {
            next.tags = true;
          } else if (change.field.startsWith('consents.')) {
            next.consents.add(change.field.slice('consents.'.length));
          }
        }
        updated.set(match, next);
        entries.push(entryOf('contact.update', match, changes));
        counts.updated += 1;
        continue;
      }
      // `fields` is this row applied to an empty contact, checked identifiable.
      const contact: Contact = {
        ...fields,
        id: randomUUID(),
        createdBy: caller.actor.id,
        createdAt: at,
        updatedAt: at,
        deletedAt: null,
      };
      created.set(contact.id, contact);
      if (key !== '') {
        seen.set(key, contact.id);
      }
    }
    const contactWrites = (async () => {
      await updateContacts(
        tx,
        spaceId,
        [...updated].map(([id, u]) => ({
          id,
          after: u.after,
          tags: u.tags,
          consents: [...u.consents],
        })),
        at,
      );
      await insertContacts(tx, spaceId, [...created.values()]);
    })();
    if (!plan.overlap) {
      await contactWrites;
    }
    // With `overlap`, the entries and their hash chain are computed while the
    // server loads the contacts: the statements still run one after the other on
    // the transaction's connection, in the order they are issued.
    for (const contact of created.values()) {
      entries.push(entryOf('contact.create', contact.id, diffContacts(null, contact)));
    }
    counts.created += created.size;
    const [contactsDone, historyDone] = await Promise.allSettled([
      contactWrites,
      appendHistoryBulk(tx, spaceId, entries),
    ]);
    // The contacts' own error first: once it aborts the transaction, the history's is only a consequence.
    if (contactsDone.status === 'rejected') {
      throw contactsDone.reason;
    }
    if (historyDone.status === 'rejected') {
      throw historyDone.reason;
    }
    done += rows.length;
    onProgress(done);
  }
  return counts;
}
