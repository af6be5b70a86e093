import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runKith, spawnKith } from '../../test/harness/cli-process.ts';
import { createTestEnv } from '../../test/harness/test-env.ts';
import { loadConfig } from '../config.ts';
import { operatorCaller } from '../context.ts';
import { createServices } from '../services.ts';
import { Stores } from '../stores/stores.ts';

/** `kith contacts import` as a real process on embedded stores, including one killed mid-commit. */
let dataDir = '';
let spaceId = '';
let userId = '';
const email = 'importer@example.org';
const env = () => ({ KITH_DATA: dataDir, KITH_REGIONS: 'eu' });

async function withStores<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
  const config = loadConfig({ KITH_DATA: dataDir, KITH_REGIONS: 'eu', KITH_LOG_LEVEL: 'silent' });
  const stores = new Stores(config);
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}

const contactCount = () =>
  withStores(async (stores) => {
    const db = await stores.region('eu');
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM contacts WHERE space_id = $1',
      [spaceId],
    );
    return rows[0]?.n ?? -1;
  });

before(async () => {
  // Stores cloned from the test templates (migrated once per run), then closed for the CLI.
  const testEnv = await createTestEnv('pglite', { KITH_REGIONS: 'eu' });
  dataDir = testEnv.config.dataDir;
  const services = createServices(testEnv.config, testEnv.stores);
  const user = await services.identity.createUser(operatorCaller(), {
    email,
    name: 'Imma Importer',
    password: 'correct horse battery staple',
  });
  const space = await services.spaces.create(
    operatorCaller(),
    { name: 'CLI imports', country: 'FR' },
    { userId: user.id },
  );
  spaceId = space.id;
  userId = user.id;
  await testEnv.stores.close();
});
after(() => rm(dataDir, { recursive: true, force: true }));

test('a dry run prints every rejected row by line and changes nothing', async () => {
  const file = join(dataDir, 'small.csv');
  await writeFile(file, 'email;first name\na@example.org;Ann\nnope;Bad\nb@example.org;Bob\n');
  const dry = await runKith(
    ['contacts', 'import', file, '--space', spaceId, '--as', email, '--dry-run'],
    { env: env() },
  );
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /2 valid rows, 1 rejected; nothing was changed/);
  assert.match(dry.stdout, /line 3: email: must be an email address/);
  assert.equal(await contactCount(), 0);
});

test('a bad file exits 6 with one line naming the problem', async () => {
  const file = join(dataDir, 'bad.csv');
  await writeFile(file, Buffer.from([0x65, 0x6d, 0x61, 0x69, 0x6c, 0x0a, 0xff, 0xfe, 0x41, 0x0a]));
  const run = await runKith(['contacts', 'import', file, '--space', spaceId, '--as', email], {
    env: env(),
  });
  assert.equal(run.code, 6);
  assert.match(run.stderr.trim(), /^error: line 2: the file is not valid UTF-8/);
  assert.equal(run.stderr.trim().split('\n').length, 1);
});

test('an import killed with SIGKILL mid-commit leaves no contact behind', async () => {
  const before = await contactCount();
  const file = join(dataDir, 'big.csv');
  const lines = ['email,first name,last name,city,tags'];
  for (let i = 0; i < 4000; i++) {
    lines.push(`killed${i}@example.org,First${i},Last${i},City,tag${i % 7}`);
  }
  await writeFile(file, `${lines.join('\n')}\n`);
  const child = spawnKith(['contacts', 'import', file, '--space', spaceId, '--as', email], env());
  child.stdin.end();
  let stdout = '';
  const killed = new Promise<boolean>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/committing \d+ of/.test(stdout) && child.exitCode === null) {
        // Let the commit write a few batches first.
        setTimeout(() => resolve(child.kill('SIGKILL')), 300);
      }
    });
    child.once('close', () => resolve(false));
  });
  assert.ok(await killed, `the import was killed while committing (output: ${stdout})`);
  await new Promise((resolve) => child.once('close', resolve));
  assert.equal(child.signalCode, 'SIGKILL');
  assert.equal(await contactCount(), before, 'no contact of the killed import is left');
  const importId = /import ([0-9a-f-]{36}): committing/.exec(stdout)?.[1] ?? '';
  const status = await withStores(async (stores) => {
    const config = loadConfig({ KITH_DATA: dataDir, KITH_REGIONS: 'eu', KITH_LOG_LEVEL: 'silent' });
    const caller = {
      actor: { type: 'user' as const, id: userId, name: 'Imma' },
      source: 'cli' as const,
    };
    return (await createServices(config, stores).imports.get(caller, spaceId, importId)).status;
  });
  assert.equal(status, 'interrupted', 'the killed job is reported as interrupted');
  // The same file can be imported again: the killed one never committed.
  const again = await runKith(
    ['contacts', 'import', file, '--space', spaceId, '--as', email, '--json'],
    { env: env() },
  );
  assert.equal(again.code, 0, again.stderr);
  const view = JSON.parse(again.stdout) as { status: string; counts: { created: number } };
  assert.equal(view.status, 'committed');
  assert.equal(view.counts.created, 4000);
  assert.equal(await contactCount(), before + 4000);
});
