import { z } from 'zod';
import { AppError, errorCodes } from '../errors.ts';

/** The error shape every route answers with. */
export const errorSchema = z.object({
  error: z.object({
    /** A stable, machine-readable code. */
    code: z.enum(errorCodes),
    /** What is wrong and what to do, for a person. */
    message: z.string(),
    /** Each invalid input, when there were several. */
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** Standard error answers, to spread into a route's `response`. */
export const errorResponses = {
  400: errorSchema.describe('invalid input'),
  401: errorSchema.describe('not authenticated'),
  403: errorSchema.describe('forbidden'),
  404: errorSchema.describe('not found (also for another Space’s objects)'),
  409: errorSchema.describe('conflict'),
  413: errorSchema.describe('body too large'),
  429: errorSchema.describe('throttled'),
};

export const uuid = z.uuid({ message: 'must be a UUID' });

/** `?limit=&cursor=` of every list. */
export const pageQuery = z
  .object({
    /** Page size, 1–200 (default 50). */
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** Opaque cursor from a previous page's `nextCursor`. */
    cursor: z.string().max(512).optional(),
  })
  .strict();

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    /** Pass as `cursor` to get the next page; null on the last page. */
    nextCursor: z.string().nullable(),
  });
}

/**
 * Cursors are opaque to clients: base64url of a JSON array of the sort key of the
 * last item. A cursor that does not decode to the expected shape is a 400.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(
  cursor: string | undefined,
  shape: T,
): z.infer<T> | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) {
      throw new Error('not base64url');
    }
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError(
      'invalid_input',
      'invalid cursor: pass back the nextCursor of a previous page',
    );
  }
  const result = shape.safeParse(parsed);
  if (!result.success) {
    throw new AppError(
      'invalid_input',
      'invalid cursor: pass back the nextCursor of a previous page',
    );
  }
  return result.data;
}

/**
 * Control characters (NUL first: PostgreSQL text cannot hold it; tabs and line
 * breaks too, in single-line fields) and lone UTF-16 surrogates (not encodable as
 * UTF-8) are refused in every free-text field.
 */
export function isPlainText(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) {
      return false;
    }
  }
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

/** A trimmed single-line free text of `min`–`max` characters with no control characters. */
export function plainText(min: number, max: number) {
  return z.string().trim().min(min).max(max).refine(isPlainText, {
    message: 'must not contain control characters or invalid Unicode',
  });
}

/** Whether `value` is text that may span lines: `isPlainText` but for tabs and line breaks. */
export function isMultilineText(value: string): boolean {
  return isPlainText(value.replace(/[\t\r\n]/g, ' '));
}

/** A trimmed multi-line free text (notes, messages): line breaks and tabs allowed, other control characters not. */
export function multilineText(min: number, max: number) {
  return z.string().trim().min(min).max(max).refine(isMultilineText, {
    message: 'must not contain control characters (other than line breaks) or invalid Unicode',
  });
}
