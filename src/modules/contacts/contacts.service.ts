import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Database, Queryable } from '../../stores/database.ts';
import { entryFor } from '../history/entry-for.ts';
import type { HistoryAction } from '../history/history-format.ts';
import {
  appendHistoryEntries,
  appendHistoryEntryWith,
  type CompanionStatement,
} from '../history/history-writer.ts';
import { isUuid, SpaceAccess, type SpaceGrant } from '../spaces/space-access.ts';
import {
  contactColumnsUpdate,
  findContact,
  insertContact,
  listContacts,
  replaceContactTags,
  saveContactConsents,
  setContactDeletedAt,
} from './contact.repository.ts';
import { diffContacts, type FieldChange, isContactField } from './contact-diff.ts';
import {
  applyContactInput,
  assertIdentifiable,
  inputForField,
  parseInput,
} from './contact-input.ts';
import {
  type Contact,
  type ContactFields,
  consentChannels,
  emptyContactFields,
} from './contact-model.ts';
import { type ContactView, toVisibleContactView } from './contact-presenter.ts';
import { valueAfterEntry } from './contact-revert.ts';
import { searchPrefixesOf } from './contact-search.ts';
import { contactInput, revertBody } from './contacts.schemas.ts';
import { definitionsOf } from './custom-field.repository.ts';
import type { CustomFieldDefinition } from './custom-field-values.ts';

export type { ContactView } from './contact-presenter.ts';

const contactCursor = z.tuple([z.string().max(2000), z.string().max(2000), z.uuid()]);

export interface ContactListQuery {
  q?: string | undefined;
  tag?: string | undefined;
  /** List deleted contacts instead (those allowed to restore them). */
  deleted?: boolean | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * Contacts of a Space (SPEC 4.2). Every change runs in one region-store
 * transaction with the contact's row locked, and writes its history entry in
 * that transaction: the change and its record commit together or not at all.
 */
export class ContactsService {
  private readonly access: SpaceAccess;

  constructor(private readonly deps: ServiceDeps) {
    this.access = new SpaceAccess(deps);
  }

  /** Creates a contact owned by the caller; `input` is checked here, whoever calls. */
  async create(caller: Caller, spaceId: string, input: unknown): Promise<ContactView> {
    const grant = await this.access.require(caller, spaceId, 'contacts.create');
    const fields = parseInput(contactInput, input);
    const db = await this.regionOf(grant);
    const now = this.deps.clock();
    return db.transaction(async (tx) => {
      const definitions = await definitionsOf(tx, grant.space.id);
      const next = applyContactInput(emptyContactFields(), fields, definitions, {
        source: caller.source,
        at: now,
      });
      assertIdentifiable(null, next);
      const contact: Contact = {
        ...next,
        id: randomUUID(),
        createdBy: caller.actor.id,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      };
      await insertContact(tx, grant.space.id, contact);
      await this.record(
        tx,
        caller,
        grant,
        'contact.create',
        contact.id,
        diffContacts(null, next),
        now,
      );
      return toVisibleContactView(contact, definitions);
    });
  }

  /** One page in (last name, first name, id) order; volunteers see the contacts they created. */
  async list(
    caller: Caller,
    spaceId: string,
    query: ContactListQuery,
  ): Promise<{ items: ContactView[]; nextCursor: string | null }> {
    const grant = await this.access.require(
      caller,
      spaceId,
      query.deleted ? 'contacts.restore' : 'contacts.read',
    );
    const after = decodeCursor(query.cursor, contactCursor);
    const prefixes =
      query.q === undefined || query.q.trim() === '' ? undefined : searchPrefixesOf(query.q);
    const db = await this.regionOf(grant);
    const rows = await listContacts(db, grant.space.id, {
      deleted: query.deleted === true,
      createdBy: grant.permission === 'own' ? caller.actor.id : undefined,
      text: prefixes?.text,
      digits: prefixes?.digits,
      tag: query.tag,
      after,
      limit: query.limit + 1,
    });
    const definitions = await definitionsOf(db, grant.space.id);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => toVisibleContactView(row.contact, definitions)),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.key) : null,
    };
  }

  /** The contact; a deleted one only with `deleted` and the right to restore it. */
  async get(
    caller: Caller,
    spaceId: string,
    contactId: string,
    options: { deleted?: boolean | undefined } = {},
  ): Promise<ContactView> {
    const grant = await this.access.require(
      caller,
      spaceId,
      options.deleted ? 'contacts.restore' : 'contacts.read',
    );
    const db = await this.regionOf(grant);
    const contact = await this.visible(db, caller, grant, contactId, {
      deleted: options.deleted ? 'include' : 'exclude',
    });
    return toVisibleContactView(contact, await definitionsOf(db, grant.space.id));
  }

  /** Applies any subset of fields; writes one `contact.update` entry, or nothing when nothing changes. */
  async update(
    caller: Caller,
    spaceId: string,
    contactId: string,
    input: unknown,
  ): Promise<ContactView> {
    const grant = await this.access.require(caller, spaceId, 'contacts.edit');
    const patch = parseInput(contactInput, input);
    return this.change(caller, grant, contactId, 'contact.update', (current, definitions, now) =>
      applyContactInput(current, patch, definitions, { source: caller.source, at: now }),
    );
  }

  /** Sets one field back to the value it had right after history entry `seq`; the revert is an entry. */
  async revert(
    caller: Caller,
    spaceId: string,
    contactId: string,
    input: unknown,
  ): Promise<ContactView> {
    const grant = await this.access.require(caller, spaceId, 'contacts.edit');
    const { field, seq } = parseInput(revertBody, input);
    return this.change(
      caller,
      grant,
      contactId,
      'contact.revert',
      async (current, definitions, now, tx) => {
        if (!isContactField(field)) {
          throw new AppError('invalid_input', `field: "${field}" is not a contact field`, {
            path: ['body', 'field'],
          });
        }
        const value = await valueAfterEntry(tx, grant.space.id, current.id, field, seq);
        const patch = parseInput(contactInput, inputForField(field, value));
        return applyContactInput(current, patch, definitions, { source: caller.source, at: now });
      },
    );
  }

  /** Soft-deletes: the contact disappears from lists and reads until restored. */
  async delete(caller: Caller, spaceId: string, contactId: string): Promise<void> {
    const grant = await this.access.require(caller, spaceId, 'contacts.delete');
    const db = await this.regionOf(grant);
    await db.transaction(async (tx) => {
      const current = await this.visible(tx, caller, grant, contactId, {
        lock: true,
        deleted: 'exclude',
      });
      const now = this.deps.clock();
      await setContactDeletedAt(tx, grant.space.id, current.id, now, now);
      await this.record(tx, caller, grant, 'contact.delete', current.id, [], now);
    });
  }

  /** Brings a deleted contact back, with the same id. */
  async restore(caller: Caller, spaceId: string, contactId: string): Promise<ContactView> {
    const grant = await this.access.require(caller, spaceId, 'contacts.restore');
    const db = await this.regionOf(grant);
    return db.transaction(async (tx) => {
      const current = await this.visible(tx, caller, grant, contactId, {
        lock: true,
        deleted: 'include',
      });
      if (current.deletedAt === null) {
        throw new AppError('conflict', 'this contact is not deleted: there is nothing to restore');
      }
      const now = this.deps.clock();
      await setContactDeletedAt(tx, grant.space.id, current.id, null, now);
      await this.record(tx, caller, grant, 'contact.restore', current.id, [], now);
      return toVisibleContactView(
        { ...current, deletedAt: null, updatedAt: now },
        await definitionsOf(tx, grant.space.id),
      );
    });
  }

  /**
   * Locks the contact, computes its next state, and writes the difference with
   * its history entry. The lock comes before the diff: concurrent changes of one
   * contact queue, and each one's `from` is what the previous one left.
   */
  private async change(
    caller: Caller,
    grant: SpaceGrant,
    contactId: string,
    action: HistoryAction,
    next: (
      current: Contact,
      definitions: ReadonlyMap<string, CustomFieldDefinition>,
      now: Date,
      tx: Queryable,
    ) => ContactFields | Promise<ContactFields>,
  ): Promise<ContactView> {
    const db = await this.regionOf(grant);
    return db.transaction(async (tx) => {
      const current = await this.visible(tx, caller, grant, contactId, {
        lock: true,
        deleted: 'exclude',
      });
      const definitions = await definitionsOf(tx, grant.space.id);
      const now = this.deps.clock();
      const after = await next(current, definitions, now, tx);
      const changes = diffContacts(current, after);
      if (changes.length === 0) {
        return toVisibleContactView(current, definitions);
      }
      assertIdentifiable(current, after);
      // The columns' UPDATE carries the history entry: one round trip for both.
      await this.record(
        tx,
        caller,
        grant,
        action,
        current.id,
        changes,
        now,
        contactColumnsUpdate(grant.space.id, current.id, after, now),
      );
      if (changes.some((c) => c.field === 'tags')) {
        await replaceContactTags(tx, grant.space.id, current.id, after.tags);
      }
      const consents = consentChannels.filter((channel) =>
        changes.some((c) => c.field === `consents.${channel}`),
      );
      await saveContactConsents(
        tx,
        grant.space.id,
        current.id,
        Object.fromEntries(consents.map((ch) => [ch, after.consents[ch]])),
      );
      return toVisibleContactView({ ...current, ...after, updatedAt: now }, definitions);
    });
  }

  /**
   * The contact as this caller may see it: another Space's, someone else's for a
   * volunteer, and (unless asked for) a deleted one all answer 404, as if absent.
   */
  private async visible(
    db: Queryable,
    caller: Caller,
    grant: SpaceGrant,
    contactId: string,
    options: { lock?: boolean; deleted: 'include' | 'exclude' },
  ): Promise<Contact> {
    if (!isUuid(contactId)) {
      throw notFound('contact');
    }
    const contact = await findContact(db, grant.space.id, contactId, {
      lock: options.lock === true,
    });
    if (
      !contact ||
      (grant.permission === 'own' && contact.createdBy !== caller.actor.id) ||
      (options.deleted === 'exclude' && contact.deletedAt !== null)
    ) {
      throw notFound('contact');
    }
    return contact;
  }

  private async record(
    tx: Queryable,
    caller: Caller,
    grant: SpaceGrant,
    action: HistoryAction,
    contactId: string,
    changes: FieldChange[],
    at: Date,
    /** The change's own statement, run with the entry in one statement. */
    change?: CompanionStatement,
  ): Promise<void> {
    if (this.deps.recordContactHistory === false) {
      if (change) {
        await tx.query(change.sql, change.params);
      }
      return;
    }
    const target = { type: 'contact', id: contactId };
    const entry = entryFor(caller, grant, { action, target, changes, at, subjectId: contactId });
    if (change) {
      await appendHistoryEntryWith(tx, grant.space.id, entry, change);
    } else {
      await appendHistoryEntries(tx, grant.space.id, [entry]);
    }
  }

  private regionOf(grant: SpaceGrant): Promise<Database> {
    return this.deps.stores.region(grant.space.region);
  }
}
