import type { Caller } from '../../context.ts';
import type { Transaction } from '../../stores/database.ts';
import { findContactsForUpdate } from '../contacts/contact.repository.ts';
import { diffContacts, type FieldChange } from '../contacts/contact-diff.ts';
import { applyContactInput, assertIdentifiable } from '../contacts/contact-input.ts';
import type { Contact, ContactFields } from '../contacts/contact-model.ts';
import { normaliseText, phoneDigits } from '../contacts/contact-search.ts';
import { definitionsOf } from '../contacts/custom-field.repository.ts';
import { entryFor } from '../history/entry-for.ts';
import { HistoryBulkAppender } from '../history/history-bulk.ts';
import type { HistoryEntryInput } from '../history/history-writer.ts';
import type { SpaceGrant } from '../spaces/space-access.ts';
import { findContactsByKey, insertContacts, updateContacts } from './import-contacts.repository.ts';
import { timeOrderedUuid } from './import-ids.ts';
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
   * Whether JavaScript work may run while the server writes: a batch's history
   * prepared while its contacts load, the next batch read, checked and planned
   * while this one's COPYs are sent. On PostgreSQL the server works meanwhile;
   * PGlite runs in this thread, so there it gains nothing.
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
 * import's id, source `import`) appended by bulk COPY: the chain head is locked
 * before the first batch and moved once after the last. New contacts get
 * time-ordered ids (timeOrderedUuid), so the indexes keyed by them grow at
 * their right edge. Statements run one at a time on the connection; with
 * `plan.overlap` the JavaScript of the next step runs while they do. Throws, and so rolls everything back, if any row no longer passes
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
  const history = await HistoryBulkAppender.open(tx, spaceId);
  /** The previous batch's writes, still being sent (with `overlap`). */
  let inFlight: Promise<void> | undefined;
  try {
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
        // The connection runs one statement at a time: the previous batch's writes end first.
        await inFlight;
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
          id: timeOrderedUuid(),
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
      await inFlight;
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
      // server loads the contacts; the history's COPYs start once those end.
      for (const contact of created.values()) {
        entries.push(entryOf('contact.create', contact.id, diffContacts(null, contact)));
      }
      counts.created += created.size;
      const batchRows = rows.length;
      const writes = inOrder([
        contactWrites,
        history.append(entries, { after: contactWrites, yieldEvery: plan.overlap ? 250 : 0 }),
      ]);
      if (plan.overlap) {
        // This batch's COPYs travel while the next batch is read, checked and
        // prepared; one batch in flight at most.
        inFlight = writes.then(() => {
          done += batchRows;
          onProgress(done);
        });
        inFlight.catch(() => undefined);
      } else {
        await writes;
        done += batchRows;
        onProgress(done);
      }
    }
    await inFlight;
    await history.close();
  } catch (error) {
    // Let the writes already sent settle before the transaction is rolled back.
    await inFlight?.catch(() => undefined);
    throw error;
  }
  return counts;
}

/**
 * Settles once all `writes` have, throwing the first failure in issue order:
 * once one aborts the transaction, the later ones' errors are only its consequence.
 */
async function inOrder(writes: readonly Promise<unknown>[]): Promise<void> {
  for (const settled of await Promise.allSettled(writes)) {
    if (settled.status === 'rejected') {
      throw settled.reason;
    }
  }
}
