import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL cluster for the test run: `initdb` into a temporary
 * directory, `pg_ctl start` on a free loopback port, password authentication
 * (so that per-store roles are tested for real), removed on stop.
 */
export interface PostgresCluster {
  readonly adminUrl: string;
  stop(): void;
}

function findBinaries(): string | undefined {
  const candidates = [
    ...(process.env.PG_BINDIR ? [process.env.PG_BINDIR] : []),
    ...listVersions('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`),
    '/usr/local/pgsql/bin',
  ];
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) {
      return dir;
    }
  }
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  return onPath ? onPath.replace(/\/initdb$/, '') : undefined;
}

function listVersions(root: string): string[] {
  try {
    return readdirSync(root).sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts a cluster, or returns undefined when no PostgreSQL server binaries exist. */
export async function startPostgresCluster(): Promise<PostgresCluster | undefined> {
  const bin = findBinaries();
  if (!bin) {
    return undefined;
  }
  const root = mkdtempSync(join(tmpdir(), 'kith-pg-'));
  const dataDir = join(root, 'data');
  const password = randomBytes(16).toString('hex');
  const pwfile = join(root, 'pwfile');
  writeFileSync(pwfile, `${password}\n`);
  const port = await freePort();
  // initdb refuses to run as root: run the cluster as the `postgres` system user then.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(root, 0o777);
    chmodSync(pwfile, 0o644);
  }
  const run = (command: string, args: string[]) => {
    const file = join(bin, command);
    if (asRoot) {
      execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'pipe' });
    } else {
      execFileSync(file, args, { stdio: 'pipe' });
    }
  };
  run('initdb', [
    '-D',
    dataDir,
    '-U',
    'kith_admin',
    '--auth=scram-sha-256',
    `--pwfile=${pwfile}`,
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB`;
  run('pg_ctl', [
    '-D',
    dataDir,
    '-o',
    options,
    '-l',
    join(root, 'server.log'),
    '-w',
    '-t',
    '60',
    'start',
  ]);
  return {
    adminUrl: `postgres://kith_admin:${password}@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
