import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type CliRun,
  freePort,
  runKith,
  spawnKith,
  stderrLines,
} from '../../test/harness/cli-process.ts';
import { dropPrefixed } from '../../test/harness/postgres-cleanup.ts';
import { testDatabaseUrl } from '../../test/harness/test-env.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const password = 'correct horse battery staple';
const storeNames = ['hr', 'platform', 'region_eu', 'region_uk', 'sales', 'support'];

/** The one stderr line of a refused command, with its exit code checked. */
function refusal(run: CliRun, code: number): string {
  assert.equal(run.code, code, `exit ${run.code}: ${run.stderr}`);
  assert.equal(run.stdout, '', 'a refused command prints no result');
  const lines = stderrLines(run);
  assert.equal(lines.length, 1, `one stderr line, got: ${run.stderr}`);
  return lines[0]!;
}

function json<T>(run: CliRun): T {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** `kith serve` until `/api/health` answers; then `check`, SIGTERM, and the exit code. */
async function whileServing(
  env: Record<string, string>,
  check: (base: string, output: () => string) => Promise<void>,
): Promise<number | null> {
  const port = await freePort();
  const server = spawnKith(['serve', '--port', String(port), '--host', '127.0.0.1'], env);
  let output = '';
  server.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  server.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  server.stdin.end();
  const exited = new Promise<number | null>((resolve) =>
    server.once('exit', (code) => resolve(code)),
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      assert.equal(server.exitCode, null, `kith serve exited early: ${output}`);
      assert.ok(Date.now() < deadline, `not healthy within 60 s: ${output}`);
      const health = await fetch(`${base}/api/health`).catch(() => undefined);
      if (health?.ok) {
        assert.deepEqual(await health.json(), { ok: true });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await check(base, () => output);
  } finally {
    server.kill('SIGTERM');
  }
  return exited;
}

for (const engine of ['pglite', 'postgres'] as const) {
  const adminUrl = testDatabaseUrl();
  if (engine === 'postgres' && !adminUrl) {
    test(
      'kith CLI [postgres]',
      {
        skip: 'PostgreSQL not available: install postgresql or set KITH_TEST_DATABASE_URL',
      },
      () => undefined,
    );
    continue;
  }

  // One installation per engine, taken through its life in order: the tests
  // below depend on each other (init, then serve with no account, then accounts...).
  describe(`kith CLI [${engine}]`, () => {
    const prefix = `kt_${randomBytes(5).toString('hex')}`;
    let root = '';
    let env: Record<string, string> = {};
    const kith = (args: string[], input?: string) =>
      runKith(args, { env, ...(input === undefined ? {} : { input }) });

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'kith-cli-'));
      env = {
        KITH_DATA: join(root, 'data'),
        KITH_REGIONS: 'eu,uk',
        ...(engine === 'postgres' && adminUrl
          ? { KITH_DATABASE_URL: adminUrl, KITH_DATABASE_PREFIX: prefix }
          : {}),
      };
    });

    after(async () => {
      if (engine === 'postgres' && adminUrl) {
        await dropPrefixed(adminUrl, prefix);
      }
      await rm(root, { recursive: true, force: true });
    });

    test('init creates the data directory (0700) and every store; a second init changes nothing', async () => {
      const first = json<{ dataDir: string; created: boolean; stores: Record<string, string[]> }>(
        await kith(['init', '--json']),
      );
      assert.equal(first.dataDir, env.KITH_DATA);
      assert.equal(first.created, true);
      assert.deepEqual(Object.keys(first.stores).sort(), storeNames);
      assert.ok(first.stores.platform!.length > 0, 'the platform store got its migrations');
      assert.ok(first.stores.region_eu!.length > 0, 'the region store got its migrations');
      assert.equal((await stat(env.KITH_DATA!)).mode & 0o777, 0o700);
      assert.equal((await stat(join(env.KITH_DATA!, 'secrets'))).mode & 0o777, 0o700);

      const again = await kith(['init']);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Using data directory/);
      const second = json<{ created: boolean; stores: Record<string, string[]> }>(
        await kith(['--json', 'init']),
      );
      assert.equal(second.created, false);
      assert.deepEqual(second.stores, Object.fromEntries(storeNames.map((name) => [name, []])));
    });

    test('serve answers /api/health, says how to log in the first time, exits 0 on SIGTERM', async () => {
      const code = await whileServing(env, async (base, output) => {
        assert.match(output(), new RegExp(`listening on ${base}`));
        assert.match(output(), new RegExp(`${base}/api/docs`));
        assert.match(output(), /No account exists yet/);
        assert.match(output(), /npx kith users create .*--password-stdin/);
        assert.match(output(), /npx kith spaces create .*--country FR --owner you@example\.org/);
        assert.match(output(), new RegExp(`curl -s ${base}/api/v1/auth/login`));
        if (engine === 'pglite') {
          // An embedded store is one process's: the CLI must not open it meanwhile.
          const refused = await kith(
            [
              'users',
              'create',
              '--email',
              'meanwhile@example.org',
              '--name',
              'M',
              '--password-stdin',
            ],
            `${password}\n`,
          );
          assert.match(refusal(refused, 1), /in use by "kith serve"/);
        }
      });
      assert.equal(code, 0);
      await assert.rejects(stat(join(env.KITH_DATA!, 'kith.lock')), 'the lock is released');
    });

    test('users create reads the password from stdin and prints {id}; refuses a taken email and a weak password', async () => {
      const created = json<{ id: string }>(
        await kith(
          [
            'users',
            'create',
            '--email',
            'Ann@Example.org',
            '--name',
            'Ann',
            '--password-stdin',
            '--json',
          ],
          `${password}\n`,
        ),
      );
      assert.match(created.id, uuidPattern);
      assert.deepEqual(Object.keys(created), ['id']);

      const taken = await kith(
        [
          'users',
          'create',
          '--email',
          'ann@example.org',
          '--name',
          'Ann Again',
          '--password-stdin',
        ],
        `${password}\n`,
      );
      assert.match(refusal(taken, 6), /already exists/);
      const weak = await kith(
        ['users', 'create', '--email', 'bob@example.org', '--name', 'Bob', '--password-stdin'],
        'short\n',
      );
      assert.match(refusal(weak, 6), /^error: .*password/);
      const common = await kith(
        ['users', 'create', '--email', 'bob@example.org', '--name', 'Bob', '--password-stdin'],
        'password\n',
      );
      assert.match(refusal(common, 6), /too common/);

      // The refusals created nothing: there is no account to disable.
      const missing = await kith(['users', 'disable', '--email', 'bob@example.org']);
      assert.match(refusal(missing, 3), /bob@example\.org/);
    });

    test('spaces create puts the Space in its residency region; refuses an unknown owner (3) and country (6)', async () => {
      type Space = { id: string; name: string; country: string; region: string };
      const fr = json<Space>(
        await kith([
          'spaces',
          'create',
          '--name',
          'Campagne',
          '--country',
          'FR',
          '--owner',
          'ann@example.org',
          '--json',
        ]),
      );
      assert.match(fr.id, uuidPattern);
      assert.deepEqual(
        { ...fr, id: '' },
        { id: '', name: 'Campagne', country: 'FR', region: 'eu' },
      );
      const gb = json<Space>(
        await kith([
          'spaces',
          'create',
          '--name',
          'Campaign',
          '--country',
          'GB',
          '--owner',
          'ann@example.org',
          '--json',
        ]),
      );
      assert.equal(gb.region, 'uk');

      const unknownOwner = await kith([
        'spaces',
        'create',
        '--name',
        'X',
        '--country',
        'FR',
        '--owner',
        'nobody@example.org',
      ]);
      assert.match(refusal(unknownOwner, 3), /nobody@example\.org/);
      const unknownCountry = await kith([
        'spaces',
        'create',
        '--name',
        'X',
        '--country',
        'JP',
        '--owner',
        'ann@example.org',
      ]);
      assert.match(refusal(unknownCountry, 6), /\bJP\b/);
    });

    test('users disable disables the account', async () => {
      const disabled = json<{ id: string; disabled: boolean }>(
        await kith(['users', 'disable', '--email', 'ANN@example.org', '--json']),
      );
      assert.match(disabled.id, uuidPattern);
      assert.equal(disabled.disabled, true);
    });
  });
}
