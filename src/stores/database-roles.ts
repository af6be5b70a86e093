import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Passwords of the per-store login roles Kith creates on PostgreSQL, kept in
 * `KITH_DATA/secrets/database-roles.json` (mode 0600). Each store's role can
 * connect to its own database only.
 */
export class DatabaseRoleSecrets {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'secrets', 'database-roles.json');
  }

  async read(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return {};
      }
      throw error;
    }
  }

  async passwordOf(role: string): Promise<string | undefined> {
    return (await this.read())[role];
  }

  /** The role's password, created (and saved before it is used) when missing. */
  async ensure(role: string): Promise<{ password: string; created: boolean }> {
    const all = await this.read();
    const existing = all[role];
    if (existing) {
      return { password: existing, created: false };
    }
    const password = randomBytes(24).toString('base64url');
    await this.write({ ...all, [role]: password });
    return { password, created: true };
  }

  private async write(all: Record<string, string>): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.file);
  }
}
