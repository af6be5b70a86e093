/**
 * `npm run bench -- <name>`: runs one benchmark of bench/ (default: all).
 * Each prints its figures and their ratios to a baseline measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { repoRoot } from './lib.ts';

const benchmarks = ['foundation', 'staff-grant'];
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
