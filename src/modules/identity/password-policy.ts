import { readFile } from 'node:fs/promises';
import { AppError } from '../../errors.ts';

/**
 * What a new password must be (ASVS 5.0 V6.2): at least 8 characters, at least 64
 * accepted, any character allowed (no composition rules), and not one of the
 * commonly used passwords. Lengths count Unicode code points, not UTF-16 units,
 * so an emoji is one character.
 */
export const passwordLimits = { minLength: 8, maxLength: 256 } as const;

const listFile = new URL('./common-passwords.txt', import.meta.url);

let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/** The common-passwords list (see `scripts/build-common-passwords.ts`), read once on first use. */
export function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= readFile(listFile, 'utf8').then((text) => {
    const set = new Set<string>();
    for (const line of text.split('\n')) {
      if (line.length > 0 && !line.startsWith('#')) {
        set.add(line);
      }
    }
    return set;
  });
  commonPasswords.catch(() => {
    commonPasswords = undefined;
  });
  return commonPasswords;
}

/** Whether `password` is on the common-passwords list, ignoring case. */
export async function isCommonPassword(password: string): Promise<boolean> {
  return (await loadCommonPasswords()).has(password.toLowerCase());
}

/** Throws `invalid_input` saying what to change when `password` may not be used. */
export async function assertAcceptablePassword(password: string): Promise<void> {
  const length = [...password].length;
  if (length < passwordLimits.minLength) {
    throw new AppError(
      'invalid_input',
      `the password is too short: use at least ${passwordLimits.minLength} characters`,
      { path: ['password'] },
    );
  }
  if (length > passwordLimits.maxLength) {
    throw new AppError(
      'invalid_input',
      `the password is too long: use at most ${passwordLimits.maxLength} characters`,
      { path: ['password'] },
    );
  }
  if (await isCommonPassword(password)) {
    throw new AppError('invalid_input', 'this password is too common: choose another', {
      path: ['password'],
    });
  }
}
