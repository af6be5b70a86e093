import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.ts';
import { ensureMasterKeys } from '../modules/backups/master-key-files.ts';
import { Stores } from '../stores/stores.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// The command as `kith` runs it (parse, one stderr line, exit code), on a program
// holding only the backup commands.
const runner = `
import { Command } from 'commander';
import { registerBackupCommands } from './src/cli/backup.ts';
import { addGlobalOptions } from './src/cli/global-options.ts';
import { exitCodeFor } from './src/cli/exit-codes.ts';
import { errorLine } from './src/cli/output.ts';
const program = addGlobalOptions(new Command('kith')).exitOverride();
registerBackupCommands(program);
try {
  await program.parseAsync(process.argv.slice(1), { from: 'user' });
} catch (error) {
  const line = errorLine(error);
  if (line) process.stderr.write(line + '\\n');
  process.exitCode = exitCodeFor(error);
}`;

const childEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('KITH_'))),
  KITH_REGIONS: 'eu',
  KITH_LOG_LEVEL: 'silent',
};
const argvOf = (args: string[]) => [
  '--import',
  'tsx',
  '--input-type=module',
  '-e',
  runner,
  '--',
  ...args,
];

function kithBackup(...args: string[]) {
  const run = spawnSync(process.execPath, argvOf(['--data', dataDir, 'backup', ...args]), {
    cwd: repoRoot,
    encoding: 'utf8',
    env: childEnv,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

let dataDir = '';
let spaceId = '';
let spaceDirectory = '';
const contacts = 25_000;
let keptBackupId = '';

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kith-cli-backup-'));
  const config = loadConfig({ KITH_DATA: dataDir, KITH_REGIONS: 'eu', KITH_LOG_LEVEL: 'silent' });
  await ensureMasterKeys(config);
  spaceDirectory = join(config.backups.locations.eu ?? '', '');
  const stores = new Stores(config);
  try {
    spaceId = randomUUID();
    await (await stores.platform()).query(
      `INSERT INTO spaces (id, name, country, region) VALUES ($1, 'CLI', 'FR', 'eu')`,
      [spaceId],
    );
    const db = await stores.region('eu');
    await db.query(`INSERT INTO spaces (space_id, region, country) VALUES ($1, 'eu', 'FR')`, [
      spaceId,
    ]);
    // Enough rows that a backup takes long enough to be killed in the middle.
    await db.query(
      `INSERT INTO contacts (space_id, id, first_name, email, created_at, updated_at)
       SELECT $1, gen_random_uuid(), 'name ' || i, 'c' || i || '@example.org', now(), now()
         FROM generate_series(1, $2::int) AS i`,
      [spaceId, contacts],
    );
  } finally {
    await stores.close();
  }
  spaceDirectory = join(spaceDirectory, spaceId);
});
after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test('kill -9 during a backup leaves nothing listed; the next run succeeds and verifies', async () => {
  const child = spawn(process.execPath, argvOf(['--data', dataDir, 'backup', 'run']), {
    cwd: repoRoot,
    env: childEnv,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 240_000;
  let killed = false;
  while (Date.now() < deadline && child.exitCode === null) {
    const names = await readdir(spaceDirectory).catch(() => [] as string[]);
    if (names.some((name) => name.startsWith('.tmp-'))) {
      child.kill('SIGKILL');
      killed = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await exited;
  assert.ok(killed, 'the backup finished before it could be killed: raise the row count');
  const names = await readdir(spaceDirectory);
  assert.ok(
    names.some((name) => name.startsWith('.tmp-')),
    'a partial file was being written',
  );
  const listed = kithBackup('list', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).items, []);

  const run = kithBackup('run', '--json');
  assert.equal(run.code, 0, run.stderr);
  const made = JSON.parse(run.stdout).backups as { id: string; rows: Record<string, number> }[];
  assert.equal(made.length, 1);
  assert.equal(made[0]?.rows.contacts, contacts);
  keptBackupId = made[0]?.id ?? '';
  const verified = kithBackup('verify', '--json');
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(JSON.parse(verified.stdout).ok, true);
});

test('one flipped byte: kith backup verify exits 5 naming the backup', async () => {
  const manifest = { id: keptBackupId };
  assert.ok(manifest.id);
  const path = join(spaceDirectory, `${manifest.id}.kbk`);
  const bytes = await readFile(path);
  const at = bytes.length - 100;
  bytes[at] = (bytes[at] ?? 0) ^ 0x80;
  await writeFile(path, bytes);
  const run = kithBackup('verify', '--space', spaceId);
  assert.equal(run.code, 5, run.stderr);
  assert.match(
    run.stderr,
    new RegExp(`error: 1 backup\\(s\\) do not verify; first: ${manifest.id}`),
  );
});
