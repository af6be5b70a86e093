import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.ts';
import {
  ensureCheckpointKeys,
  loadCheckpointSigningKey,
} from '../modules/history/checkpoint-keys.ts';
import { signCheckpoint } from '../modules/history/checkpoints.ts';
import { sampleEntries } from '../modules/history/history-test-support.ts';
import { appendHistoryEntries } from '../modules/history/history-writer.ts';
import { Stores } from '../stores/stores.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// The command as `kith` runs it (cli.ts's main: parse, one stderr line, exit code),
// on a program holding only this command, so the test does not depend on its wiring.
const runner = `
import { Command } from 'commander';
import { registerHistoryCommands } from './src/cli/history.ts';
import { addGlobalOptions } from './src/cli/global-options.ts';
import { exitCodeFor } from './src/cli/exit-codes.ts';
import { errorLine } from './src/cli/output.ts';
const program = addGlobalOptions(new Command('kith')).exitOverride();
registerHistoryCommands(program);
try {
  await program.parseAsync(process.argv.slice(1), { from: 'user' });
} catch (error) {
  const line = errorLine(error);
  if (line) process.stderr.write(line + '\\n');
  process.exitCode = exitCodeFor(error);
}`;

function kithHistory(...args: string[]) {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', runner, '--', ...args],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      // Embedded stores under --data, whatever KITH_* the developer has set.
      env: {
        ...Object.fromEntries(
          Object.entries(process.env).filter(([name]) => !name.startsWith('KITH_')),
        ),
        KITH_REGIONS: 'eu',
        KITH_LOG_LEVEL: 'silent',
      },
    },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

let dataDir = '';
let spaceId = '';

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kith-cli-history-'));
  const config = loadConfig({ KITH_DATA: dataDir, KITH_REGIONS: 'eu', KITH_LOG_LEVEL: 'silent' });
  await ensureCheckpointKeys(config);
  const stores = new Stores(config);
  try {
    spaceId = randomUUID();
    const platform = await stores.platform();
    await platform.query(
      `INSERT INTO spaces (id, name, country, region) VALUES ($1, 'CLI', 'FR', 'eu')`,
      [spaceId],
    );
    const db = await stores.region('eu');
    await db.query(`INSERT INTO spaces (space_id, region, country) VALUES ($1, 'eu', 'FR')`, [
      spaceId,
    ]);
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, sampleEntries(12)));
    await signCheckpoint(db, spaceId, await loadCheckpointSigningKey(config, 'eu'), new Date());
  } finally {
    await stores.close();
  }
});
after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test('kith history verify: exit 0 and the count when the chain verifies', () => {
  const run = kithHistory('--data', dataDir, 'history', 'verify', '--space', spaceId, '--json');
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    spaceId,
    region: 'eu',
    ok: true,
    count: 12,
    firstBadSeq: null,
    reason: null,
  });
  const human = kithHistory('--data', dataDir, 'history', 'verify', '--space', spaceId);
  assert.match(human.stdout, /verifies: 12 entries/);
});

test('kith history verify: exit 5 naming the first bad seq after tampering', async () => {
  const config = loadConfig({ KITH_DATA: dataDir, KITH_REGIONS: 'eu', KITH_LOG_LEVEL: 'silent' });
  const stores = new Stores(config);
  try {
    const db = await stores.region('eu');
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(
        `UPDATE history_entries SET actor = jsonb_set(actor, '{role}', '"volunteer"') WHERE space_id = $1 AND seq = 6`,
        [spaceId],
      );
    });
  } finally {
    await stores.close();
  }
  const run = kithHistory('--data', dataDir, 'history', 'verify', '--space', spaceId, '--json');
  assert.equal(run.code, 5, run.stderr);
  assert.equal(JSON.parse(run.stdout).firstBadSeq, 6);
  assert.match(
    run.stderr.trim(),
    /^error: history of Space .* does not verify: first bad seq 6 \(entry 6 was modified/,
  );
  assert.equal(run.stderr.trim().split('\n').length, 1, 'one stderr line');
});

test('kith history verify: exit 3 for an unknown Space, 2 without --space', () => {
  assert.equal(
    kithHistory('--data', dataDir, 'history', 'verify', '--space', randomUUID()).code,
    3,
  );
  assert.equal(kithHistory('--data', dataDir, 'history', 'verify', '--space', 'nope').code, 3);
  assert.equal(kithHistory('--data', dataDir, 'history', 'verify').code, 2);
});
