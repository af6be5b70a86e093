import { isAppError } from '../../errors.ts';
import { isPlainText } from '../../http/common-schemas.ts';
import { applyContactInput, assertIdentifiable, parseInput } from '../contacts/contact-input.ts';
import {
  type ContactFields,
  consentStatuses,
  emptyContactFields,
} from '../contacts/contact-model.ts';
import { type ContactInput, contactInput, phonePattern } from '../contacts/contacts.schemas.ts';
import type { CustomFieldDefinition } from '../contacts/custom-field-values.ts';
import type { ResolvedColumns } from './column-mapping.ts';

const yes = new Set([
  'yes',
  'y',
  'true',
  '1',
  'oui',
  'x',
  'granted',
  'opt-in',
  'optin',
  'ja',
  'si',
]);
const no = new Set(['no', 'n', 'false', '0', 'non', 'denied', 'opt-out', 'optout', 'nein']);

/** `yes`/`no` words as booleans; anything else is passed on as text for the validator to name. */
function flagOf(value: string): boolean | string {
  const word = value.toLowerCase();
  return yes.has(word) ? true : no.has(word) ? false : value;
}

function consentOf(value: string): string {
  const flag = flagOf(value);
  if (flag === true) {
    return 'granted';
  }
  if (flag === false) {
    return 'denied';
  }
  return value.toLowerCase() === 'unknown' ? 'unknown' : value;
}

/** A cell as its custom field's type wants it: `1,5` → 1.5, `oui` → true; the rest as written. */
function customValueOf(value: string, definition: CustomFieldDefinition | undefined): unknown {
  switch (definition?.type) {
    case 'number':
      return /^[+-]?\d+([.,]\d+)?$/.test(value) ? Number(value.replace(',', '.')) : value;
    case 'boolean':
      return flagOf(value);
    default:
      return value;
  }
}

/**
 * The contacts API's input for one row: empty cells say nothing, tags split on
 * `;` or `,`, yes/no words become booleans and consents. Validation is left to
 * the contacts module's own schema (`checkRow`).
 */
export function rowInput(
  cells: readonly string[],
  columns: ResolvedColumns,
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const consents: Record<string, string> = {};
  const customFields: Record<string, unknown> = {};
  for (const [target, index] of columns) {
    const value = (cells[index] ?? '').trim();
    if (value === '') {
      continue;
    }
    if (target === 'tags') {
      input.tags = value
        .split(/[;,]/)
        .map((tag) => tag.trim())
        .filter((tag) => tag !== '');
    } else if (target.startsWith('consents.')) {
      consents[target.slice('consents.'.length)] = consentOf(value);
    } else if (target.startsWith('customFields.')) {
      const key = target.slice('customFields.'.length);
      customFields[key] = customValueOf(value, definitions.get(key));
    } else if (target === 'doNotContact' || target === 'doNotSell') {
      input[target] = flagOf(value);
    } else {
      input[target] = value;
    }
  }
  if (Object.keys(consents).length > 0) {
    input.consents = consents;
  }
  if (Object.keys(customFields).length > 0) {
    input.customFields = customFields;
  }
  return input;
}

export type RowCheck =
  | { ok: true; input: ContactInput; fields: ContactFields }
  | { ok: false; reason: string };

/** The row's input checked by the same rules as `POST /contacts`, or the reason it is refused. */
export function checkRow(
  raw: Record<string, unknown>,
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
  at: Date,
): RowCheck {
  try {
    const input = plainInput(raw) ?? parseInput(contactInput, raw);
    const fields = applyContactInput(emptyContactFields(), input, definitions, {
      source: 'import',
      at,
    });
    assertIdentifiable(null, fields);
    return { ok: true, input, fields };
  } catch (error) {
    if (isAppError(error)) {
      return { ok: false, reason: error.message };
    }
    throw error;
  }
}

/** The longest value of each text field, as `contactInput` says. */
const textMax: Readonly<Record<string, number>> = {
  firstName: 200,
  lastName: 200,
  street: 300,
  postcode: 20,
  city: 200,
};

/** zod's `z.email()` pattern (zod 4), which `contactInput.email` uses. */
const emailPattern =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
const countryPattern = /^[A-Za-z]{2}$/;
const statuses: ReadonlySet<unknown> = new Set(consentStatuses);

/** `value` as `plainText(min, max)` outputs it (trimmed), or undefined where that schema refuses it. */
function plain(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const trimmed = value.trim();
  return trimmed.length >= min && trimmed.length <= max && isPlainText(trimmed)
    ? trimmed
    : undefined;
}

/**
 * The row's input as `contactInput` would output it, checked by hand (a zod
 * parse per row is most of an import's validation time), or undefined when any
 * field is not plainly valid: the caller then runs the schema itself, which
 * refuses the row with its own message. So this only ever accepts what the
 * schema accepts, with the same output, and never words an error.
 */
export function plainInput(raw: Record<string, unknown>): ContactInput | undefined {
  const out: Record<string, unknown> = {};
  for (const key in raw) {
    const value = raw[key];
    const max = textMax[key];
    if (max !== undefined) {
      const text = plain(value, 0, max);
      if (text === undefined) {
        return undefined;
      }
      out[key] = text;
    } else if (key === 'email') {
      if (
        typeof value !== 'string' ||
        (value !== '' && !(value.length <= 254 && emailPattern.test(value)))
      ) {
        return undefined;
      }
      out.email = value;
    } else if (key === 'phone') {
      if (typeof value !== 'string' || (value !== '' && !phonePattern.test(value))) {
        return undefined;
      }
      out.phone = value;
    } else if (key === 'country') {
      if (typeof value !== 'string' || !countryPattern.test(value)) {
        return undefined;
      }
      out.country = value;
    } else if (key === 'tags') {
      if (!Array.isArray(value) || value.length > 50) {
        return undefined;
      }
      const tags: string[] = [];
      for (const tag of value) {
        const text = plain(tag, 1, 64);
        if (text === undefined) {
          return undefined;
        }
        tags.push(text);
      }
      out.tags = tags;
    } else if (key === 'doNotContact' || key === 'doNotSell') {
      if (typeof value !== 'boolean') {
        return undefined;
      }
      out[key] = value;
    } else if (key === 'consents') {
      const consents = plainConsents(value);
      if (consents === undefined) {
        return undefined;
      }
      out.consents = consents;
    } else if (key === 'customFields') {
      const fields = plainCustomFields(value);
      if (fields === undefined) {
        return undefined;
      }
      out.customFields = fields;
    } else {
      return undefined;
    }
  }
  return out as ContactInput;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function plainConsents(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const channel in value) {
    const status = value[channel];
    if (
      (channel !== 'email' && channel !== 'sms' && channel !== 'phone') ||
      !statuses.has(status)
    ) {
      return undefined;
    }
    out[channel] = status as string;
  }
  return out;
}

function plainCustomFields(value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const field = value[key];
    const fits =
      field === null ||
      typeof field === 'boolean' ||
      (typeof field === 'number' && Number.isFinite(field)) ||
      (typeof field === 'string' && field.length <= 2000);
    if (key.length > 63 || !fits) {
      return undefined;
    }
    out[key] = field;
  }
  return out;
}
