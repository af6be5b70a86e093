/**
 * `npm run bench -- <name>`: runs one benchmark of bench/ (default: all), each in
 * its own process. Every `bench/<name>.ts` but this runner, `lib.ts` and
 * `bare-server.ts` is a benchmark. Each prints its figures and their ratios to a
 * baseline measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kithNodeFlags, repoRoot } from './lib.ts';

const helpers = new Set(['run', 'lib', 'bare-server']);
const benchmarks = readdirSync(join(repoRoot, 'bench'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .filter((name) => !helpers.has(name))
  .sort();
// Names choose benchmarks; options (`--rows N`) are handed to each one run.
const args = process.argv.slice(2);
const options: string[] = [];
const chosen: string[] = [];
for (let i = 0; i < args.length; i += 1) {
  const arg = args[i] as string;
  if (arg.startsWith('--')) {
    options.push(arg);
    const value = args[i + 1];
    if (!arg.includes('=') && value !== undefined && !value.startsWith('--')) {
      options.push(value);
      i += 1;
    }
  } else {
    chosen.push(arg);
  }
}
for (const name of chosen.length > 0 ? chosen : benchmarks) {
  if (!benchmarks.includes(name)) {
    console.error(`unknown benchmark ${name}: choose from ${benchmarks.join(', ')}`);
    process.exit(2);
  }
  const result = spawnSync(
    process.execPath,
    // Node as Kith's launchers start it (package.json, bin/kith.js), so that a
    // figure is the product's: see README, "Node's heap".
    ['--expose-gc', ...kithNodeFlags, '--import', 'tsx', `bench/${name}.ts`, ...options],
    {
      cwd: repoRoot,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
}
