/**
 * `npm run bench -- <name>`: runs one benchmark of bench/ (default: all), each in
 * its own process. Every `bench/<name>.ts` but this runner, `lib.ts` and
 * `bare-server.ts` is a benchmark. Each prints its figures and their ratios to a
 * baseline measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './lib.ts';

const helpers = new Set(['run', 'lib', 'bare-server']);
const benchmarks = readdirSync(join(repoRoot, 'bench'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .filter((name) => !helpers.has(name))
  .sort();
const chosen = process.argv.slice(2);
for (const name of chosen.length > 0 ? chosen : benchmarks) {
  if (!benchmarks.includes(name)) {
    console.error(`unknown benchmark ${name}: choose from ${benchmarks.join(', ')}`);
    process.exit(2);
  }
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
}
