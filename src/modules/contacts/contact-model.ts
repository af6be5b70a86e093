/** A contact as the contacts module reasons about it (SPEC 4.2); JSON names of CONTRACT.md. */

export const consentChannels = ['email', 'sms', 'phone'] as const;
export type ConsentChannel = (typeof consentChannels)[number];

export const consentStatuses = ['granted', 'denied', 'unknown'] as const;
export type ConsentStatus = (typeof consentStatuses)[number];

/** A channel's status, with where and when it was given (null: never given). */
export interface Consent {
  readonly status: ConsentStatus;
  readonly source: string | null;
  readonly at: Date | null;
}

export type CustomValue = string | number | boolean;

/** The single-line text fields, in the order they are listed and diffed. */
export const textFields = [
  'firstName',
  'lastName',
  'email',
  'phone',
  'street',
  'postcode',
  'city',
  'country',
] as const;
export type TextField = (typeof textFields)[number];

export const flagFields = ['doNotContact', 'doNotSell'] as const;
export type FlagField = (typeof flagFields)[number];

/** Everything about a contact that a member edits (and history records). */
export interface ContactFields
  extends Record<TextField, string | null>,
    Record<FlagField, boolean> {
  /** Distinct, sorted. */
  readonly tags: readonly string[];
  /** Custom field key → value; a key without a value is absent. */
  readonly customFields: Readonly<Record<string, CustomValue>>;
  readonly consents: Readonly<Record<ConsentChannel, Consent>>;
}

export interface Contact extends ContactFields {
  readonly id: string;
  /** The member who created it (volunteers see only their own). */
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deletedAt: Date | null;
}

export const unknownConsent: Consent = { status: 'unknown', source: null, at: null };

/** A contact with nothing in it: the "before" of a creation. */
export function emptyContactFields(): ContactFields {
  return {
    firstName: null,
    lastName: null,
    email: null,
    phone: null,
    street: null,
    postcode: null,
    city: null,
    country: null,
    tags: [],
    customFields: {},
    consents: { email: unknownConsent, sms: unknownConsent, phone: unknownConsent },
    doNotContact: false,
    doNotSell: false,
  };
}
