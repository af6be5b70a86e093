import { CommanderError } from 'commander';
import { type ErrorCode, isAppError } from '../errors.ts';

/**
 * The CLI's exit codes (CONTRACT.md, "CLI"): scripts rely on them, so they are a
 * public contract. 0 success; 2 usage error; 3 not found; 4 forbidden; 5
 * integrity failure; 6 invalid input; 1 anything else.
 */
export const exitCodes = {
  success: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  forbidden: 4,
  integrityFailure: 5,
  invalidInput: 6,
} as const;

/**
 * Every error code's exit code, once; a new `ErrorCode` without one does not
 * compile. A conflict (e.g. an email already in use) and a too-large input are
 * the operator's input being refused, so they share "invalid input"; a missing
 * session is as much a refusal as a forbidden action. Throttling, an unreachable
 * store and internal errors are worth retrying or reporting: plain failure.
 */
export const exitCodeOf: Record<ErrorCode, number> = {
  invalid_input: exitCodes.invalidInput,
  unauthenticated: exitCodes.forbidden,
  forbidden: exitCodes.forbidden,
  not_found: exitCodes.notFound,
  conflict: exitCodes.invalidInput,
  too_large: exitCodes.invalidInput,
  throttled: exitCodes.failure,
  integrity_failure: exitCodes.integrityFailure,
  unavailable: exitCodes.failure,
  internal: exitCodes.failure,
};

/** Commander's own exits that are not errors: help and version were asked for. */
const commanderSuccesses = new Set(['commander.helpDisplayed', 'commander.version']);

/** The exit code of whatever a command threw. */
export function exitCodeFor(error: unknown): number {
  if (isAppError(error)) {
    return exitCodeOf[error.code];
  }
  if (error instanceof CommanderError) {
    if (
      commanderSuccesses.has(error.code) ||
      (error.code === 'commander.help' && error.exitCode === 0)
    ) {
      return exitCodes.success;
    }
    return exitCodes.usage;
  }
  return exitCodes.failure;
}
