import { readFileSync, rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { storeLocation } from '../stores/store-locations.ts';
import { allStoreNames } from '../stores/store-names.ts';

/**
 * An embedded (PGlite) store belongs to one process at a time: two processes
 * opening the same store directory corrupt it, and PGlite itself does not lock.
 * So the server and every CLI command hold `KITH_DATA/kith.lock` while they run
 * on embedded stores. PostgreSQL needs no such lock: servers run side by side.
 */
export interface DataDirectoryLock {
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

/** Whether any configured store of this installation is embedded. */
export function usesEmbeddedStores(config: Config): boolean {
  return allStoreNames(config.regions).some(
    (name) => storeLocation(config, name).engine === 'pglite',
  );
}

/**
 * Takes the data directory's lock for `command` (the directory must exist), or
 * throws `unavailable` naming the process that holds it. A lock left by a
 * process that is gone (a crash, `kill -9`) is taken over.
 */
export async function lockDataDirectory(
  dataDir: string,
  command: string,
): Promise<DataDirectoryLock> {
  const file = join(dataDir, 'kith.lock');
  const mine: Holder = { pid: process.pid, command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${JSON.stringify(mine)}\n`);
      await handle.close();
      return ownLock(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
    // An unreadable lock may be one another process is writing right now: look again.
    const holder = (await readHolder(file)) ?? (await sleep(100).then(() => readHolder(file)));
    if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw new AppError(
        'unavailable',
        `the data directory ${dataDir} is in use by "kith ${holder.command}" (pid ${holder.pid}): ` +
          `embedded stores take one process at a time; stop it and run this again (if no such process exists, delete ${file})`,
      );
    }
    await rm(file, { force: true });
  }
  throw new AppError(
    'unavailable',
    `could not take the lock ${file}: another kith process keeps taking it; try again`,
  );
}

function ownLock(file: string): DataDirectoryLock {
  // Released on any exit, even one that skips `release()` (an uncaught error).
  const releaseOnExit = () => removeIfMine(file);
  process.once('exit', releaseOnExit);
  return {
    async release() {
      process.off('exit', releaseOnExit);
      removeIfMine(file);
    },
  };
}

function removeIfMine(file: string): void {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    if (holder.pid === process.pid) {
      rmSync(file, { force: true });
    }
  } catch {
    // Already gone, or not ours to remove.
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' ? (holder as Holder) : undefined;
  } catch {
    // Unreadable or half-written: a process died writing it, or is writing it right now.
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
