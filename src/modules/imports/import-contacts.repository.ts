import { copyField, copyRow } from '../../stores/copy-text.ts';
import type { CopyIn, Queryable } from '../../stores/database.ts';
import { type Contact, type ContactFields, consentChannels } from '../contacts/contact-model.ts';
import { searchColumnsOf } from '../contacts/contact-search.ts';

/**
 * Contacts written many at a time: the import's commit loads each batch with
 * the engine's COPY (the contacts module writes one at a time). Same columns,
 * same search normalisation as `insertContact`.
 */
export async function insertContacts(
  db: Queryable & CopyIn,
  spaceId: string,
  contacts: readonly Contact[],
): Promise<void> {
  if (contacts.length === 0) {
    return;
  }
  const rows: string[] = [];
  const tags: string[] = [];
  const consents: string[] = [];
  for (const c of contacts) {
    const search = searchColumnsOf(c);
    const at = c.createdAt.toISOString();
    rows.push(
      copyRow([
        spaceId,
        c.id,
        c.createdBy,
        at,
        c.updatedAt.toISOString(),
        c.firstName,
        c.lastName,
        c.email,
        c.phone,
        c.street,
        c.postcode,
        c.city,
        c.country,
        JSON.stringify(c.customFields),
        c.doNotContact,
        c.doNotSell,
        search.firstName,
        search.lastName,
        search.fullName,
        search.email,
        search.phone,
      ]),
    );
    for (const tag of c.tags) {
      tags.push(`${spaceId}\t${c.id}\t${copyField(tag)}\n`);
    }
    for (const channel of consentChannels) {
      const consent = c.consents[channel];
      if (consent.source !== null && consent.at !== null) {
        consents.push(
          `${spaceId}\t${c.id}\t${channel}\t${consent.status}\t${copyField(consent.source)}\t${consent.at.toISOString()}\n`,
        );
      }
    }
  }
  await db.copyIn(
    `contacts (space_id, id, created_by, created_at, updated_at, first_name, last_name, email, phone,
               street, postcode, city, country, custom_fields, do_not_contact, do_not_sell,
               first_name_search, last_name_search, name_search, email_search, phone_search)`,
    Buffer.from(rows.join('')),
  );
  if (tags.length > 0) {
    await db.copyIn('contact_tags (space_id, contact_id, tag)', Buffer.from(tags.join('')));
  }
  if (consents.length > 0) {
    await db.copyIn(
      'contact_consents (space_id, contact_id, channel, status, source, at)',
      Buffer.from(consents.join('')),
    );
  }
}

/** A contact of the Space and what the import makes of it. */
export interface ContactUpdate {
  readonly id: string;
  readonly after: ContactFields;
  /** Whether its tags changed (they are then replaced). */
  readonly tags: boolean;
  /** Channels whose consent changed. */
  readonly consents: readonly string[];
}

/**
 * Writes updated contacts set-based: one UPDATE … FROM for their columns, one
 * DELETE and one INSERT for the tags of those whose tags changed, one upsert for
 * the consents that changed. Same columns and normalisation as
 * `updateContactColumns`.
 */
export async function updateContacts(
  db: Queryable,
  spaceId: string,
  updates: readonly ContactUpdate[],
  at: Date,
): Promise<void> {
  if (updates.length === 0) {
    return;
  }
  const rows = updates.map(({ id, after: c }) => {
    const search = searchColumnsOf(c);
    return {
      id,
      first_name: c.firstName,
      last_name: c.lastName,
      email: c.email,
      phone: c.phone,
      street: c.street,
      postcode: c.postcode,
      city: c.city,
      country: c.country,
      custom_fields: c.customFields,
      do_not_contact: c.doNotContact,
      do_not_sell: c.doNotSell,
      s_first: search.firstName,
      s_last: search.lastName,
      s_name: search.fullName,
      s_email: search.email,
      s_phone: search.phone,
    };
  });
  await db.query(
    `UPDATE contacts c
        SET first_name = r.first_name, last_name = r.last_name, email = r.email, phone = r.phone,
            street = r.street, postcode = r.postcode, city = r.city, country = r.country,
            custom_fields = r.custom_fields, do_not_contact = r.do_not_contact, do_not_sell = r.do_not_sell,
            first_name_search = r.s_first, last_name_search = r.s_last, name_search = r.s_name,
            email_search = r.s_email, phone_search = r.s_phone, updated_at = $3
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, first_name text, last_name text, email text, phone text,
            street text, postcode text, city text, country text, custom_fields jsonb, do_not_contact boolean,
            do_not_sell boolean, s_first text, s_last text, s_name text, s_email text, s_phone text)
      WHERE c.space_id = $1 AND c.id = r.id`,
    [spaceId, JSON.stringify(rows), at],
  );
  const retagged = updates.filter((u) => u.tags);
  if (retagged.length > 0) {
    await db.query(
      'DELETE FROM contact_tags WHERE space_id = $1 AND contact_id = ANY($2::uuid[])',
      [spaceId, retagged.map((u) => u.id)],
    );
    const tags = retagged.flatMap((u) => u.after.tags.map((tag) => ({ c: u.id, t: tag })));
    if (tags.length > 0) {
      await db.query(
        `INSERT INTO contact_tags (space_id, contact_id, tag)
         SELECT $1, r.c, r.t FROM jsonb_to_recordset($2::jsonb) AS r(c uuid, t text)`,
        [spaceId, JSON.stringify(tags)],
      );
    }
  }
  const consents = updates.flatMap((u) =>
    consentChannels.flatMap((channel) => {
      const consent = u.after.consents[channel];
      return u.consents.includes(channel) && consent.source !== null && consent.at !== null
        ? [{ c: u.id, ch: channel, s: consent.status, src: consent.source, at: consent.at }]
        : [];
    }),
  );
  if (consents.length > 0) {
    await db.query(
      `INSERT INTO contact_consents (space_id, contact_id, channel, status, source, at)
       SELECT $1, r.c, r.ch, r.s, r.src, r.at
         FROM jsonb_to_recordset($2::jsonb) AS r(c uuid, ch text, s text, src text, at timestamptz)
       ON CONFLICT (space_id, contact_id, channel)
       DO UPDATE SET status = EXCLUDED.status, source = EXCLUDED.source, at = EXCLUDED.at`,
      [spaceId, JSON.stringify(consents)],
    );
  }
}

/** Live (not deleted) contacts whose normalised email, or phone digits, is one of `keys`. */
export async function findContactsByKey(
  db: Queryable,
  spaceId: string,
  by: 'email' | 'phone',
  keys: readonly string[],
): Promise<{ id: string; key: string }[]> {
  if (keys.length === 0) {
    return [];
  }
  const column = by === 'email' ? 'email_search' : 'phone_search';
  const { rows } = await db.query<{ id: string; key: string }>(
    `SELECT id, ${column} AS key FROM contacts
      WHERE space_id = $1 AND deleted_at IS NULL AND ${column} <> '' AND ${column} = ANY($2::text[])
      ORDER BY created_at, id`,
    [spaceId, keys],
  );
  return rows;
}
