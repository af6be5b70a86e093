#!/usr/bin/env -S node --initial-old-space-size=128
// The `kith` command (package.json "bin"): Kith runs its TypeScript through tsx,
// so this launcher registers tsx, then loads the CLI. Node starts with room in
// its old generation, as `npm start` does (README, "Node's heap").
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
