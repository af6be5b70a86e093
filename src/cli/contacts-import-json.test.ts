import assert from 'node:assert/strict';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runKith } from '../../test/harness/cli-process.ts';
import { createTestEnv } from '../../test/harness/test-env.ts';
import { loadConfig } from '../config.ts';
import { type Caller, operatorCaller } from '../context.ts';
import { exportPath } from '../modules/exports/export-storage.ts';
import { createServices } from '../services.ts';
import { Stores } from '../stores/stores.ts';

/** `kith contacts import` of a Kith JSON export, as a real process on embedded stores. */
let dataDir = '';
let target = '';
let exportFile = '';
const email = 'loader@example.org';
const env = () => ({ KITH_DATA: dataDir, KITH_REGIONS: 'eu' });

before(async () => {
  const testEnv = await createTestEnv('pglite', { KITH_REGIONS: 'eu' });
  dataDir = testEnv.config.dataDir;
  const services = createServices(testEnv.config, testEnv.stores);
  const user = await services.identity.createUser(operatorCaller(), {
    email,
    name: 'Lou Loader',
    password: 'correct horse battery staple',
  });
  const caller: Caller = { actor: { type: 'user', id: user.id, name: user.name }, source: 'cli' };
  const [source, empty] = await Promise.all(
    ['Source', 'Target'].map((name) =>
      services.spaces.create(operatorCaller(), { name, country: 'FR' }, { userId: user.id }),
    ),
  );
  target = empty?.id ?? '';
  for (const firstName of ['Ann', 'Bob']) {
    await services.contacts.create(caller, source?.id ?? '', { firstName, tags: ['cli'] });
  }
  const started = await services.exports.create(caller, source?.id ?? '', { format: 'json' });
  await services.exports.settled(started.id);
  const done = await services.exports.get(caller, source?.id ?? '', started.id);
  assert.equal(done.status, 'completed');
  const record = join(dataDir, 'export.json');
  await copyFile(exportPath(testEnv.config, 'eu', `kith-export-${started.id}.json`), record);
  exportFile = record;
  await testEnv.stores.close();
});
after(() => rm(dataDir, { recursive: true, force: true }));

test('a JSON export loads into an empty Space, then is refused there (no longer empty)', async () => {
  const args = ['contacts', 'import', exportFile, '--space', target, '--as', email];
  const run = await runKith(args, { env: env() });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /committed: 2 created/);
  const stores = new Stores(loadConfig({ ...env(), KITH_LOG_LEVEL: 'silent' }));
  try {
    const db = await stores.region('eu');
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM contact_tags WHERE space_id = $1',
      [target],
    );
    assert.equal(rows[0]?.n, 2);
  } finally {
    await stores.close();
  }
  const again = await runKith(args, { env: env() });
  assert.equal(again.code, 6, again.stderr);
  assert.match(again.stderr, /empty Space/);
});
