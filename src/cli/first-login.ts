import { resolve } from 'node:path';

/** Quotes `value` for a POSIX shell when it needs it. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * What `kith serve` prints while the platform has no account: the exact commands
 * that create the first account and Space, and how to log in. Embedded stores
 * take one process at a time, so there the server must stop for the CLI to run.
 */
export function firstLoginInstructions(where: {
  url: string;
  dataDir: string;
  embedded: boolean;
  /** A country the residency policy maps to a region in use, e.g. `FR`. */
  country: string;
}): string[] {
  const data = where.dataDir === resolve('data') ? '' : ` --data ${shellQuote(where.dataDir)}`;
  const login = JSON.stringify({ email: 'you@example.org', password: 'a long passphrase' });
  const steps = where.embedded
    ? ['  1. Stop this server (Ctrl-C): the embedded stores take one process at a time. Then run:']
    : ['  1. In another terminal, with the same environment (KITH_DATABASE_URL, ...), run:'];
  return [
    'No account exists yet. To log in the first time:',
    ...steps,
    `       printf '%s\\n' 'a long passphrase' | npx kith users create${data} --email you@example.org --name "Your Name" --password-stdin`,
    `       npx kith spaces create${data} --name "Our Campaign" --country ${where.country} --owner you@example.org`,
    where.embedded ? '  2. Start Kith again (npm start), and log in:' : '  2. Log in:',
    `       curl -s ${where.url}/api/v1/auth/login -H 'content-type: application/json' -d '${login}'`,
    '     then send the "token" it answers as "Authorization: Bearer <token>".',
  ];
}
