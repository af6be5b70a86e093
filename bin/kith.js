#!/usr/bin/env node
// The `kith` command (package.json "bin"): Kith runs its TypeScript through tsx,
// so this launcher registers tsx, then loads the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
