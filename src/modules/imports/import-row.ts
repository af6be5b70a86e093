import { isAppError } from '../../errors.ts';
import { applyContactInput, assertIdentifiable, parseInput } from '../contacts/contact-input.ts';
import { type ContactFields, emptyContactFields } from '../contacts/contact-model.ts';
import { type ContactInput, contactInput } from '../contacts/contacts.schemas.ts';
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
    const input = parseInput(contactInput, raw);
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
