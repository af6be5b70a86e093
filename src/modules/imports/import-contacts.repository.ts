import type { Queryable } from '../../stores/database.ts';
import { type Contact, consentChannels } from '../contacts/contact-model.ts';
import { searchColumnsOf } from '../contacts/contact-search.ts';

/**
 * Contacts written many at a time: the import's commit inserts thousands per
 * statement (the contacts module writes one at a time). Same columns, same
 * search normalisation as `insertContact`.
 */
export async function insertContacts(
  db: Queryable,
  spaceId: string,
  contacts: readonly Contact[],
): Promise<void> {
  if (contacts.length === 0) {
    return;
  }
  const rows = contacts.map((c) => {
    const search = searchColumnsOf(c);
    return {
      id: c.id,
      created_by: c.createdBy,
      at: c.createdAt.toISOString(),
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
    `INSERT INTO contacts (space_id, id, created_by, created_at, updated_at, first_name, last_name, email, phone,
                           street, postcode, city, country, custom_fields, do_not_contact, do_not_sell,
                           first_name_search, last_name_search, name_search, email_search, phone_search)
     SELECT $1, r.id, r.created_by, r.at, r.at, r.first_name, r.last_name, r.email, r.phone, r.street,
            r.postcode, r.city, r.country, r.custom_fields, r.do_not_contact, r.do_not_sell,
            r.s_first, r.s_last, r.s_name, r.s_email, r.s_phone
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, created_by uuid, at timestamptz, first_name text,
            last_name text, email text, phone text, street text, postcode text, city text, country text,
            custom_fields jsonb, do_not_contact boolean, do_not_sell boolean, s_first text, s_last text,
            s_name text, s_email text, s_phone text)`,
    [spaceId, JSON.stringify(rows)],
  );
  const tags = contacts.flatMap((c) => c.tags.map((tag) => ({ c: c.id, t: tag })));
  if (tags.length > 0) {
    await db.query(
      `INSERT INTO contact_tags (space_id, contact_id, tag)
       SELECT $1, r.c, r.t FROM jsonb_to_recordset($2::jsonb) AS r(c uuid, t text)`,
      [spaceId, JSON.stringify(tags)],
    );
  }
  const consents = contacts.flatMap((c) =>
    consentChannels.flatMap((channel) => {
      const consent = c.consents[channel];
      return consent.source === null || consent.at === null
        ? []
        : [{ c: c.id, ch: channel, s: consent.status, src: consent.source, at: consent.at }];
    }),
  );
  if (consents.length > 0) {
    await db.query(
      `INSERT INTO contact_consents (space_id, contact_id, channel, status, source, at)
       SELECT $1, r.c, r.ch, r.s, r.src, r.at
         FROM jsonb_to_recordset($2::jsonb) AS r(c uuid, ch text, s text, src text, at timestamptz)`,
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
