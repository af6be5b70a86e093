/**
 * `npm run bench -- <name>`: runs one benchmark of bench/ (default: all).
 * Each prints its figures and their ratios to a baseline measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { repoRoot } from './lib.ts';

const benchmarks = ['foundation', 'imports'];
// Names choose benchmarks; `--flag value` pairs after them are passed to each one.
const args = process.argv.slice(2);
const firstFlag = args.findIndex((arg) => arg.startsWith('--'));
const chosen = firstFlag === -1 ? args : args.slice(0, firstFlag);
const flags = firstFlag === -1 ? [] : args.slice(firstFlag);
for (const name of chosen.length > 0 ? chosen : benchmarks) {
  if (!benchmarks.includes(name)) {
    console.error(`unknown benchmark ${name}: choose from ${benchmarks.join(', ')}`);
    process.exit(2);
  }
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...flags], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
}
