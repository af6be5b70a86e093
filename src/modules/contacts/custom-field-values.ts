import { AppError } from '../../errors.ts';
import { plainText } from '../../http/common-schemas.ts';
import type { CustomValue } from './contact-model.ts';

export const customFieldTypes = ['text', 'number', 'date', 'boolean', 'choice'] as const;
export type CustomFieldType = (typeof customFieldTypes)[number];

/** A Space's definition of one custom field. */
export interface CustomFieldDefinition {
  readonly key: string;
  readonly label: string;
  readonly type: CustomFieldType;
  /** The allowed values of a `choice` field; null for other types. */
  readonly choices: readonly string[] | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deletedAt: Date | null;
}

export const customFieldKeyPattern = /^[a-z][a-z0-9_]{0,62}$/;

const textValue = plainText(0, 2000);

function invalid(key: string, message: string): AppError {
  return new AppError('invalid_input', `customFields.${key}: ${message}`, {
    path: ['body', 'customFields', key],
  });
}

/**
 * `value` checked against the Space's live definition of `key`: null means "no
 * value" (and an empty text is no value). Throws a 400 naming the field for an
 * unknown key or a value of the wrong type.
 */
export function checkCustomValue(
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
  key: string,
  value: unknown,
): CustomValue | null {
  const definition = definitions.get(key);
  if (!definition || definition.deletedAt !== null) {
    throw invalid(
      key,
      `this Space has no custom field "${key}": define it first (POST /spaces/:spaceId/custom-fields)`,
    );
  }
  if (value === null) {
    return null;
  }
  switch (definition.type) {
    case 'text': {
      const parsed = textValue.safeParse(value);
      if (!parsed.success) {
        throw invalid(
          key,
          'must be a single-line text of at most 2000 characters, without control characters',
        );
      }
      return parsed.data === '' ? null : parsed.data;
    }
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw invalid(key, 'must be a number');
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') {
        throw invalid(key, 'must be true or false');
      }
      return value;
    case 'date':
      if (typeof value !== 'string' || !isCalendarDate(value)) {
        throw invalid(key, 'must be a date written yyyy-mm-dd, e.g. 2026-11-25');
      }
      return value;
    case 'choice':
      if (typeof value !== 'string' || !(definition.choices ?? []).includes(value)) {
        throw invalid(key, `must be one of: ${(definition.choices ?? []).join(', ')}`);
      }
      return value;
  }
}

/** `yyyy-mm-dd` naming a day that exists (no 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) {
    return false;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}
