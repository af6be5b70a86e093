import type {
  Consent,
  ConsentChannel,
  ConsentStatus,
  Contact,
  CustomValue,
} from './contact-model.ts';
import type { CustomFieldDefinition } from './custom-field-values.ts';

interface ConsentDetailView {
  status: ConsentStatus;
  source: string | null;
  at: string | null;
}

/** A contact as it leaves the server (CONTRACT.md field names). */
export interface ContactView {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  street: string | null;
  postcode: string | null;
  city: string | null;
  country: string | null;
  tags: string[];
  customFields: Record<string, CustomValue>;
  consents: Record<ConsentChannel, ConsentStatus>;
  consentDetails: Record<ConsentChannel, ConsentDetailView>;
  doNotContact: boolean;
  doNotSell: boolean;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

const detail = (consent: Consent): ConsentDetailView => ({
  status: consent.status,
  source: consent.source,
  at: consent.at?.toISOString() ?? null,
});

/** The contact's JSON, as stored. */
export function toContactView(contact: Contact): ContactView {
  const { email, sms, phone } = contact.consents;
  const view: ContactView = {
    id: contact.id,
    firstName: contact.firstName,
    lastName: contact.lastName,
    email: contact.email,
    phone: contact.phone,
    street: contact.street,
    postcode: contact.postcode,
    city: contact.city,
    country: contact.country,
    tags: [...contact.tags],
    customFields: { ...contact.customFields },
    consents: { email: email.status, sms: sms.status, phone: phone.status },
    consentDetails: { email: detail(email), sms: detail(sms), phone: detail(phone) },
    doNotContact: contact.doNotContact,
    doNotSell: contact.doNotSell,
    createdAt: contact.createdAt.toISOString(),
    updatedAt: contact.updatedAt.toISOString(),
  };
  if (contact.deletedAt) {
    view.deletedAt = contact.deletedAt.toISOString();
  }
  return view;
}

/** The contact's JSON without values of deleted custom fields: they stay stored (and in history) but are not shown. */
export function toVisibleContactView(
  contact: Contact,
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
): ContactView {
  const customFields = Object.fromEntries(
    Object.entries(contact.customFields).filter(
      ([key]) => definitions.get(key)?.deletedAt === null,
    ),
  );
  return toContactView({ ...contact, customFields });
}
