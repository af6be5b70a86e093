import type { z } from 'zod';
import { AppError } from '../../errors.ts';
import { consentChannelOf } from './contact-diff.ts';
import {
  type Consent,
  type ConsentChannel,
  type ContactFields,
  type CustomValue,
  consentChannels,
  flagFields,
  textFields,
} from './contact-model.ts';
import type { ContactInput } from './contacts.schemas.ts';
import { type CustomFieldDefinition, checkCustomValue } from './custom-field-values.ts';

/** `value` parsed by `schema`, or a 400 naming the first invalid field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) {
    return result.data;
  }
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || 'body',
    message: issue.message,
  }));
  const first = issues[0];
  throw new AppError('invalid_input', first ? `${first.path}: ${first.message}` : 'invalid input', {
    issues,
  });
}

/** What the consents given in a request carry: where they came from, and when. */
export interface ConsentStamp {
  readonly source: string;
  readonly at: Date;
}

/**
 * `base` with `input` applied: text fields set (an empty string clears), tags
 * replaced, custom fields merged by key (null removes) and checked against the
 * Space's definitions, consents that change status stamped with `stamp`.
 */
export function applyContactInput(
  base: ContactFields,
  input: ContactInput,
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
  stamp: ConsentStamp,
): ContactFields {
  const next: Record<string, unknown> = { ...base };
  for (const field of textFields) {
    const value = input[field];
    if (value !== undefined) {
      const trimmed = value === null ? '' : value.trim();
      next[field] = trimmed === '' ? null : field === 'country' ? trimmed.toUpperCase() : trimmed;
    }
  }
  for (const field of flagFields) {
    const value = input[field];
    if (value !== undefined) {
      next[field] = value;
    }
  }
  if (input.tags !== undefined) {
    next.tags = [...new Set(input.tags)].sort();
  }
  if (input.customFields !== undefined) {
    next.customFields = mergeCustomFields(base.customFields, input.customFields, definitions);
  }
  if (input.consents !== undefined) {
    const consents: Record<ConsentChannel, Consent> = { ...base.consents };
    for (const channel of consentChannels) {
      const status = input.consents[channel];
      if (status !== undefined && status !== base.consents[channel].status) {
        consents[channel] = { status, source: input.consentSource ?? stamp.source, at: stamp.at };
      }
    }
    next.consents = consents;
  }
  return next as unknown as ContactFields;
}

function mergeCustomFields(
  base: Readonly<Record<string, CustomValue>>,
  changes: Readonly<Record<string, unknown>>,
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
): Record<string, CustomValue> {
  const merged = new Map(Object.entries(base));
  for (const [key, raw] of Object.entries(changes)) {
    const value = checkCustomValue(definitions, key, raw);
    if (value === null) {
      merged.delete(key);
    } else {
      merged.set(key, value);
    }
  }
  return Object.fromEntries([...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The request that sets one history field (`email`, `customFields.age`,
 * `consents.sms`, …) to `value`: a revert goes through the same checks as a PATCH.
 */
export function inputForField(field: string, value: unknown): Record<string, unknown> {
  if (field.startsWith('customFields.')) {
    return { customFields: { [field.slice('customFields.'.length)]: value } };
  }
  const channel = consentChannelOf(field);
  if (channel) {
    return { consents: { [channel]: value ?? 'unknown' } };
  }
  if (field === 'tags') {
    return { tags: value ?? [] };
  }
  if ((flagFields as readonly string[]).includes(field)) {
    return { [field]: value ?? false };
  }
  return { [field]: value };
}

const identifying = ['firstName', 'lastName', 'email', 'phone'] as const;

/** A contact is someone: it keeps a name, an email or a phone (unless it never had one). */
export function assertIdentifiable(before: ContactFields | null, after: ContactFields): void {
  const has = (fields: ContactFields) => identifying.some((field) => fields[field] !== null);
  if (!has(after) && (before === null || has(before))) {
    throw new AppError(
      'invalid_input',
      'a contact needs at least a first name, a last name, an email or a phone',
    );
  }
}
