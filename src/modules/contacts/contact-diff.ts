import {
  type ConsentChannel,
  type ContactFields,
  type CustomValue,
  consentChannels,
  flagFields,
  textFields,
} from './contact-model.ts';

/** One field's change, as history records it: `firstName`, `tags`, `customFields.<key>`, `consents.<channel>`, … */
export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

/**
 * The field-by-field changes from `before` to `after`, in a stable order. A
 * creation diffs against nothing (`before` null): every field that holds a
 * value, from null. Consents compare by status: a new source alone is no change.
 */
export function diffContacts(before: ContactFields | null, after: ContactFields): FieldChange[] {
  const changes: FieldChange[] = [];
  const push = (field: string, from: unknown, to: unknown) => {
    if (before === null ? to !== null : !sameValue(from, to)) {
      changes.push({ field, from: before === null ? null : from, to });
    }
  };
  for (const field of textFields) {
    push(field, before?.[field] ?? null, after[field]);
  }
  push(
    'tags',
    before?.tags ?? [],
    after.tags.length === 0 && before === null ? null : [...after.tags],
  );
  const keys = new Set([
    ...Object.keys(before?.customFields ?? {}),
    ...Object.keys(after.customFields),
  ]);
  for (const key of [...keys].sort()) {
    push(
      `customFields.${key}`,
      customValue(before?.customFields, key),
      customValue(after.customFields, key),
    );
  }
  for (const channel of consentChannels) {
    const to = after.consents[channel].status;
    push(
      `consents.${channel}`,
      before ? before.consents[channel].status : 'unknown',
      before === null && to === 'unknown' ? null : to,
    );
  }
  for (const field of flagFields) {
    push(field, before?.[field] ?? false, after[field]);
  }
  return changes;
}

function customValue(
  values: Readonly<Record<string, CustomValue>> | undefined,
  key: string,
): CustomValue | null {
  return values && Object.hasOwn(values, key) ? (values[key] ?? null) : null;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => item === b[i]);
  }
  return a === b;
}

/** Whether `field` names something a contact change can carry (and so a revert can set back). */
export function isContactField(field: string): boolean {
  if (
    (textFields as readonly string[]).includes(field) ||
    (flagFields as readonly string[]).includes(field)
  ) {
    return true;
  }
  if (field === 'tags') {
    return true;
  }
  if (field.startsWith('consents.')) {
    return (consentChannels as readonly string[]).includes(field.slice('consents.'.length));
  }
  return /^customFields\.[a-z][a-z0-9_]{0,62}$/.test(field);
}

/** The channel a `consents.<channel>` field names, if it names one. */
export function consentChannelOf(field: string): ConsentChannel | undefined {
  const channel = field.startsWith('consents.') ? field.slice('consents.'.length) : '';
  return (consentChannels as readonly string[]).includes(channel)
    ? (channel as ConsentChannel)
    : undefined;
}
