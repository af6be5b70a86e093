import { randomUUID } from 'node:crypto';
import { type Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';

/**
 * argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). `Algorithm`
 * is a `const enum` in the package's types and an empty object at run time, so its
 * value (Argon2id = 2) is written here; the test checks hashes start `$argon2id$`.
 */
const argon2id = 2 as Algorithm;
const options = { algorithm: argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of a new password. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/** Whether `password` matches `passwordHash`; false, never an error, for a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** Whether `passwordHash` was made with other parameters than today's (then rehash at login). */
export function needsRehash(passwordHash: string): boolean {
  try {
    const current = parseOptions(passwordHash);
    return (
      current.algorithm !== options.algorithm ||
      current.memoryCost !== options.memoryCost ||
      current.timeCost !== options.timeCost ||
      current.parallelism !== options.parallelism
    );
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password with today's parameters. A login for an unknown
 * email verifies against it, so that it takes as long as a wrong password for a
 * known one and the answer time does not tell which emails have accounts.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hash(randomUUID(), options);
  return dummyHash;
}
