/**
 * The one error type of Kith's domain. Services throw it; the HTTP layer and the CLI
 * each map its code once (see `http/error-handler.ts` and `cli/exit-codes.ts`), and
 * both maps are `Record<ErrorCode, …>`, so a new code without a mapping does not compile.
 */
export const errorCodes = [
  'invalid_input',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'too_large',
  'throttled',
  'integrity_failure',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorDetails {
  /** Where in the input the problem is, e.g. `["body", "email"]`. */
  readonly path?: readonly (string | number)[];
  /** Seconds after which a throttled caller may try again. */
  readonly retryAfterSeconds?: number;
  readonly issues?: readonly { path: string; message: string }[];
}

export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The answer for an object that does not exist or belongs to another Space: the same. */
export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}
