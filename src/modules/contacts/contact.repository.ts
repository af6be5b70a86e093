import type { Queryable } from '../../stores/database.ts';
import {
  type Consent,
  type ConsentChannel,
  type Contact,
  type ContactFields,
  type CustomValue,
  consentChannels,
  unknownConsent,
} from './contact-model.ts';
import { likePrefix, searchColumnsOf } from './contact-search.ts';

/** SQL of contacts, their tags and consents. Every statement names the Space. */

interface ContactRow {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  street: string | null;
  postcode: string | null;
  city: string | null;
  country: string | null;
  custom_fields: Record<string, CustomValue>;
  do_not_contact: boolean;
  do_not_sell: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  tags: string[];
  consents: Record<string, { status: Consent['status']; source: string; at: string }> | null;
}

// Tags and consents come with each row, so a page of contacts is one statement.
const selectContact = (extraColumns = '') => `
  SELECT ${extraColumns}c.id, c.first_name, c.last_name, c.email, c.phone, c.street, c.postcode, c.city, c.country,
         c.custom_fields, c.do_not_contact, c.do_not_sell, c.created_by, c.created_at, c.updated_at, c.deleted_at,
         ARRAY(SELECT t.tag FROM contact_tags t WHERE t.space_id = c.space_id AND t.contact_id = c.id) AS tags,
         (SELECT jsonb_object_agg(k.channel, jsonb_build_object('status', k.status, 'source', k.source, 'at', k.at))
            FROM contact_consents k WHERE k.space_id = c.space_id AND k.contact_id = c.id) AS consents
    FROM contacts c`;

function toContact(row: ContactRow): Contact {
  const consents = {} as Record<ConsentChannel, Consent>;
  for (const channel of consentChannels) {
    const stored = row.consents?.[channel];
    consents[channel] = stored
      ? { status: stored.status, source: stored.source, at: new Date(stored.at) }
      : unknownConsent;
  }
  return {
    id: row.id,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    phone: row.phone,
    street: row.street,
    postcode: row.postcode,
    city: row.city,
    country: row.country,
    tags: [...row.tags].sort(),
    customFields: row.custom_fields,
    consents,
    doNotContact: row.do_not_contact,
    doNotSell: row.do_not_sell,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** The contact, deleted or not; `lock` takes its row lock until the transaction ends. */
export async function findContact(
  db: Queryable,
  spaceId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Contact | undefined> {
  const { rows } = await db.query<ContactRow>(
    `${selectContact()} WHERE c.space_id = $1 AND c.id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [spaceId, id],
  );
  return rows[0] && toContact(rows[0]);
}

/** The contacts with these ids, deleted or not, each row locked until the transaction ends (imports). */
export async function findContactsForUpdate(
  db: Queryable,
  spaceId: string,
  ids: readonly string[],
): Promise<Contact[]> {
  if (ids.length === 0) {
    return [];
  }
  const { rows } = await db.query<ContactRow>(
    `${selectContact()} WHERE c.space_id = $1 AND c.id = ANY($2::uuid[]) ORDER BY c.id FOR UPDATE`,
    [spaceId, ids],
  );
  return rows.map(toContact);
}

function fieldValues(fields: ContactFields): unknown[] {
  const search = searchColumnsOf(fields);
  return [
    fields.firstName,
    fields.lastName,
    fields.email,
    fields.phone,
    fields.street,
    fields.postcode,
    fields.city,
    fields.country,
    JSON.stringify(fields.customFields),
    fields.doNotContact,
    fields.doNotSell,
    search.firstName,
    search.lastName,
    search.fullName,
    search.email,
    search.phone,
  ];
}

/** Inserts the contact with its tags and consents. */
export async function insertContact(
  db: Queryable,
  spaceId: string,
  contact: Contact,
): Promise<void> {
  await db.query(
    `INSERT INTO contacts (space_id, id, created_by, created_at, updated_at, first_name, last_name, email, phone,
                           street, postcode, city, country, custom_fields, do_not_contact, do_not_sell,
                           first_name_search, last_name_search, name_search, email_search, phone_search)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17, $18, $19, $20, $21)`,
    [
      spaceId,
      contact.id,
      contact.createdBy,
      contact.createdAt,
      contact.updatedAt,
      ...fieldValues(contact),
    ],
  );
  await replaceContactTags(db, spaceId, contact.id, contact.tags);
  await saveContactConsents(db, spaceId, contact.id, contact.consents);
}

/** Writes the contact's own columns (not tags or consents) and its search columns. */
export async function updateContactColumns(
  db: Queryable,
  spaceId: string,
  id: string,
  fields: ContactFields,
  updatedAt: Date,
): Promise<void> {
  const update = contactColumnsUpdate(spaceId, id, fields, updatedAt);
  await db.query(update.sql, update.params);
}

/** updateContactColumns' statement, for a caller that runs it with its history entry. */
export function contactColumnsUpdate(
  spaceId: string,
  id: string,
  fields: ContactFields,
  updatedAt: Date,
): { sql: string; params: unknown[] } {
  return {
    sql: `UPDATE contacts
        SET first_name = $4, last_name = $5, email = $6, phone = $7, street = $8, postcode = $9, city = $10,
            country = $11, custom_fields = $12::jsonb, do_not_contact = $13, do_not_sell = $14,
            first_name_search = $15, last_name_search = $16, name_search = $17, email_search = $18,
            phone_search = $19, updated_at = $3
      WHERE space_id = $1 AND id = $2`,
    params: [spaceId, id, updatedAt, ...fieldValues(fields)],
  };
}

/** Makes the contact's tags exactly `tags`. */
export async function replaceContactTags(
  db: Queryable,
  spaceId: string,
  contactId: string,
  tags: readonly string[],
): Promise<void> {
  await db.query('DELETE FROM contact_tags WHERE space_id = $1 AND contact_id = $2', [
    spaceId,
    contactId,
  ]);
  if (tags.length > 0) {
    await db.query(
      `INSERT INTO contact_tags (space_id, contact_id, tag)
       SELECT $1, $2, tag FROM jsonb_array_elements_text($3::jsonb) AS tag`,
      [spaceId, contactId, JSON.stringify(tags)],
    );
  }
}

/** Stores the consents given (a source and time); channels never given stay without a row. */
export async function saveContactConsents(
  db: Queryable,
  spaceId: string,
  contactId: string,
  consents: Partial<Readonly<Record<ConsentChannel, Consent>>>,
): Promise<void> {
  for (const channel of consentChannels) {
    const consent = consents[channel];
    if (!consent || consent.source === null || consent.at === null) {
      continue;
    }
    await db.query(
      `INSERT INTO contact_consents (space_id, contact_id, channel, status, source, at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (space_id, contact_id, channel)
       DO UPDATE SET status = EXCLUDED.status, source = EXCLUDED.source, at = EXCLUDED.at`,
      [spaceId, contactId, channel, consent.status, consent.source, consent.at],
    );
  }
}

/** Marks the contact deleted (a time) or not deleted (null). */
export async function setContactDeletedAt(
  db: Queryable,
  spaceId: string,
  id: string,
  deletedAt: Date | null,
  updatedAt: Date,
): Promise<void> {
  await db.query(
    'UPDATE contacts SET deleted_at = $3, updated_at = $4 WHERE space_id = $1 AND id = $2',
    [spaceId, id, deletedAt, updatedAt],
  );
}

/** The sort key of the list order: (last name, first name, id), normalised. */
export type ContactSortKey = readonly [lastName: string, firstName: string, id: string];

export interface ContactListFilter {
  readonly deleted: boolean;
  /** Only contacts this member created. */
  readonly createdBy?: string | undefined;
  /** Normalised prefix of a name or email. */
  readonly text?: string | undefined;
  /** Digits prefix of a phone number. */
  readonly digits?: string | null | undefined;
  readonly tag?: string | undefined;
  readonly after?: ContactSortKey | undefined;
  readonly limit: number;
}

/** One page of contacts in list order, with each one's sort key. */
export async function listContacts(
  db: Queryable,
  spaceId: string,
  filter: ContactListFilter,
): Promise<{ contact: Contact; key: ContactSortKey }[]> {
  const params: unknown[] = [spaceId];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = [
    'c.space_id = $1',
    filter.deleted ? 'c.deleted_at IS NOT NULL' : 'c.deleted_at IS NULL',
  ];
  if (filter.createdBy !== undefined) {
    where.push(`c.created_by = ${param(filter.createdBy)}`);
  }
  if (filter.text !== undefined) {
    const text = param(likePrefix(filter.text));
    const matches = [
      `c.name_search LIKE ${text}`,
      `c.last_name_search LIKE ${text}`,
      `c.email_search LIKE ${text}`,
    ];
    if (filter.digits) {
      matches.push(
        `(c.phone_search <> '' AND c.phone_search LIKE ${param(likePrefix(filter.digits))})`,
      );
    }
    where.push(`(${matches.join(' OR ')})`);
  }
  if (filter.tag !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM contact_tags f WHERE f.space_id = c.space_id AND f.contact_id = c.id AND f.tag = ${param(filter.tag)})`,
    );
  }
  if (filter.after) {
    const [lastName, firstName, id] = filter.after;
    where.push(
      `(c.last_name_search, c.first_name_search, c.id) > (${param(lastName)}, ${param(firstName)}, ${param(id)}::uuid)`,
    );
  }
  const { rows } = await db.query<
    ContactRow & { first_name_search: string; last_name_search: string }
  >(
    `${selectContact('c.first_name_search, c.last_name_search, ')}
      WHERE ${where.join(' AND ')}
      ORDER BY c.last_name_search, c.first_name_search, c.id
      LIMIT ${param(filter.limit)}`,
    params,
  );
  return rows.map((row) => ({
    contact: toContact(row),
    key: [row.last_name_search, row.first_name_search, row.id],
  }));
}
