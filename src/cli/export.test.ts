import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runKith } from '../../test/harness/cli-process.ts';

// `kith export` end to end as a real process, on the embedded default (the
// export job itself runs on both engines in src/modules/exports/).
let root = '';
let env: Record<string, string> = {};
let spaceId = '';
const password = 'correct horse battery staple 42';
const kith = (args: string[], input?: string) =>
  runKith(args, { env, ...(input === undefined ? {} : { input }) });

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'kith-export-cli-'));
  env = { KITH_DATA: join(root, 'data'), KITH_REGIONS: 'eu' };
  const created = await kith(
    ['users', 'create', '--email', 'owner@example.org', '--name', 'Owner', '--password-stdin'],
    `${password}\n`,
  );
  assert.equal(created.code, 0, created.stderr);
  const space = await kith([
    'spaces',
    'create',
    '--name',
    'Les Amis',
    '--country',
    'FR',
    '--owner',
    'owner@example.org',
    '--json',
  ]);
  assert.equal(space.code, 0, space.stderr);
  spaceId = (JSON.parse(space.stdout) as { id: string }).id;
});
after(() => rm(root, { recursive: true, force: true }));

test('kith export writes the file, prints its SHA-256 and row counts', async () => {
  const out = join(root, 'space.json');
  const run = await kith([
    'export',
    '--space',
    spaceId,
    '--as',
    'owner@example.org',
    '--format',
    'json',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as {
    sha256: string;
    size: number;
    rowCounts: Record<string, number>;
  };
  const bytes = await readFile(out);
  assert.equal(bytes.length, result.size);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), result.sha256);
  assert.equal(result.rowCounts.members, 1);
  assert.equal((JSON.parse(bytes.toString('utf8')) as { spaceId: string }).spaceId, spaceId);
});

test('kith export refuses an unknown account (exit 3), an unknown format (exit 6), and writes nothing', async () => {
  const out = join(root, 'refused.csv.zip');
  const stranger = await kith([
    'export',
    '--space',
    spaceId,
    '--as',
    'nobody@example.org',
    '--format',
    'csv',
    '--out',
    out,
  ]);
  assert.equal(stranger.code, 3, stranger.stderr);
  assert.match(stranger.stderr, /^error: no account has the email nobody@example.org/);
  const format = await kith([
    'export',
    '--space',
    spaceId,
    '--as',
    'owner@example.org',
    '--format',
    'pdf',
    '--out',
    out,
  ]);
  assert.equal(format.code, 6, format.stderr);
  await assert.rejects(readFile(out));
});
