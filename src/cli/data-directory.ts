import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Creates the data directory and its `secrets/` when missing, both mode 0700:
 * the directory holds every embedded store and the database role passwords, so
 * nobody but the operator's account may list or read it.
 */
export async function prepareDataDirectory(dataDir: string): Promise<{ created: boolean }> {
  const existed = await stat(dataDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await mkdir(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  return { created: !existed };
}
