import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kithNodeFlags } from '../bench/lib.ts';

/**
 * Node's heap flags are part of how Kith runs (README, "Node's heap"): without
 * room in the old generation, a large export spends a third of its CPU in full
 * garbage collections. Every launcher gives Node the same flags, and the
 * benchmarks measure Kith as it is launched.
 */
const root = fileURLToPath(new URL('../', import.meta.url));
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  scripts: Record<string, string>;
};

test('npm start, npm run kith, bin/kith.js and the benchmarks start Node with the same flags', () => {
  assert.ok(
    kithNodeFlags.some((flag) => flag.startsWith('--initial-old-space-size=')),
    `npm start gives Node room in its old generation (flags: ${kithNodeFlags.join(' ')})`,
  );
  const flags = kithNodeFlags.join(' ');
  assert.equal(manifest.scripts.start, `node ${flags} --import tsx src/cli.ts serve`);
  assert.equal(manifest.scripts.kith, `node ${flags} --import tsx src/cli.ts`);
  const shebang = readFileSync(`${root}bin/kith.js`, 'utf8').split('\n')[0];
  assert.equal(shebang, `#!/usr/bin/env -S node ${flags}`);
});

test('bin/kith.js runs as a command through its shebang', () => {
  const run = spawnSync(`${root}bin/kith.js`, ['--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /\bserve\b/);
});
