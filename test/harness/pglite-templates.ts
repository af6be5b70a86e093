import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../../src/stores/migrations.ts';
import { openPGliteDatabase } from '../../src/stores/pglite-database.ts';
import { type StoreName, storeKind } from '../../src/stores/store-names.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const templatesRoot = process.env.KITH_TEST_TEMPLATES ?? join(repoRoot, '.kith-test', 'templates');

let versionKey: Promise<string> | undefined;

/** Templates are keyed by every migration file and the PGlite version: a change makes new ones. */
function templateVersion(): Promise<string> {
  versionKey ??= (async () => {
    const hash = createHash('sha256');
    const root = join(repoRoot, 'src', 'stores', 'migrations');
    for (const kind of (await readdir(root)).sort()) {
      for (const file of (await readdir(join(root, kind))).sort()) {
        hash.update(`${kind}/${file}\0`).update(await readFile(join(root, kind, file)));
      }
    }
    const pglite = JSON.parse(
      await readFile(
        join(repoRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json'),
        'utf8',
      ),
    ) as { version: string };
    return hash.update(pglite.version).digest('hex').slice(0, 16);
  })();
  return versionKey;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The directory of a migrated PGlite store named `name`, made once per migration
 * set and shared by every test file (a lock directory keeps two processes from
 * making the same template). Cloning it is a file copy: no initdb per test.
 */
export async function pgliteTemplate(name: StoreName): Promise<string> {
  const directory = join(templatesRoot, await templateVersion(), name);
  const ready = join(directory, '.kith-template-ready');
  const lock = `${directory}.lock`;
  for (;;) {
    if (await exists(ready)) {
      return directory;
    }
    try {
      await mkdir(join(templatesRoot, await templateVersion()), { recursive: true });
      await mkdir(lock);
    } catch {
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (age > 180_000) {
        await rm(lock, { recursive: true, force: true });
      }
      await sleep(200);
      continue;
    }
    try {
      const building = `${directory}.building`;
      await rm(building, { recursive: true, force: true });
      const db = await openPGliteDatabase(name, building);
      await migrate(db, storeKind(name), name);
      await db.exec('VACUUM (FREEZE, ANALYZE)');
      await db.close();
      await writeFile(join(building, '.kith-template-ready'), '');
      await rm(directory, { recursive: true, force: true });
      await rename(building, directory);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

/** Copies the template of `name` into `directory` (which must not exist yet). */
export async function clonePGliteTemplate(name: StoreName, directory: string): Promise<void> {
  if (await exists(directory)) {
    return;
  }
  await cp(await pgliteTemplate(name), directory, { recursive: true });
  await rm(join(directory, '.kith-template-ready'), { force: true });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
