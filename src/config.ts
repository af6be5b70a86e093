import { join, resolve } from 'node:path';
import { z } from 'zod';
import { AppError } from './errors.ts';
import type { ImportLimits } from './modules/imports/import-limits.ts';
import { defaultResidencyPolicy, type ResidencyPolicy } from './modules/spaces/residency.ts';

/**
 * The only reader of `process.env`. Everything else receives a `Config`.
 * Variable names are part of the public contract (CONTRACT.md): add, never rename.
 */
export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** Regions in use, lower-case, e.g. `["eu", "uk"]`. */
  readonly regions: readonly string[];
  readonly residency: ResidencyPolicy;
  /** A PostgreSQL server holding one database per store; absent: embedded PGlite. */
  readonly databaseUrl: string | undefined;
  /** Per-store overrides: `KITH_<STORE>_DATABASE_URL`, keyed by store name (`platform`, `region_eu`, …). */
  readonly storeUrls: Readonly<Record<string, string>>;
  /** Prefix of database and role names on PostgreSQL (`kith` → `kith_platform`). */
  readonly databasePrefix: string;
  readonly session: {
    readonly idleMinutes: number;
    readonly absoluteHours: number;
    /** Mark the session cookie `Secure` (set when served over HTTPS). */
    readonly secureCookie: boolean;
  };
  readonly http: {
    readonly bodyLimitBytes: number;
    /** Trust `X-Forwarded-For` from a reverse proxy. */
    readonly trustProxy: boolean;
  };
  readonly logLevel: string;
  readonly staff: {
    /** How long a staff grant to a Space lasts (SPEC 4.7: one hour by default). */
    readonly grantMinutes: number;
  };
  readonly scheduler: {
    /** Whether `kith serve` runs scheduled jobs (`KITH_SCHEDULER=off` on API-only instances). */
    readonly enabled: boolean;
    /** When each day (`HH:MM`, UTC) every Space's history head is signed. */
    readonly checkpointTime: string;
  };
  readonly exports: {
    /** Days an export file is kept before the scheduled job deletes it (`KITH_EXPORT_TTL_DAYS`, default 7). */
    readonly ttlDays: number;
    /** Each region's export storage (`KITH_REGION_<R>_EXPORTS`, default `KITH_DATA/exports/<region>`). */
    readonly directories: Readonly<Record<string, string>>;
  };
  /** What an import may hold: each limit exceeded is a clear 4xx naming it (SPEC 4.4). */
  readonly imports: ImportLimits;
  readonly backups: {
    /** When each day (`HH:MM`, UTC) every region backs up its Spaces (`KITH_BACKUP_TIME`). */
    readonly time: string;
    /** Days a backup is kept, at most 35 (`KITH_BACKUP_RETENTION_DAYS`). */
    readonly retentionDays: number;
    /** Each region's backup directory: `KITH_REGION_<R>_BACKUPS`, default `KITH_DATA/backups/<r>`. */
    readonly locations: Readonly<Record<string, string>>;
    /** Master keys supplied by `KITH_REGION_<R>_MASTER_KEY` (base64), by region. */
    readonly masterKeys: Readonly<Record<string, string>>;
    /** Older master keys still accepted for unwrapping during a rotation (`KITH_REGION_<R>_PREVIOUS_MASTER_KEYS`, comma-separated). */
    readonly previousMasterKeys: Readonly<Record<string, readonly string[]>>;
  };
}

/** SPEC 4.6: backups are kept at most 35 days; the operator may only shorten it. */
export const maxBackupRetentionDays = 35;

const regionName = z
  .string()
  .regex(/^[a-z][a-z0-9]{1,15}$/, 'a region is 2–16 lower-case letters or digits');

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC), e.g. 02:30');

const positiveInt = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .transform((v) => v ?? fallback);

const envSchema = z.object({
  KITH_DATA: z.string().min(1).optional(),
  HOST: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  KITH_REGIONS: z.string().optional(),
  KITH_RESIDENCY: z.string().optional(),
  KITH_DATABASE_URL: z.string().url().optional(),
  KITH_DATABASE_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,30}$/)
    .optional(),
  KITH_SESSION_IDLE_MINUTES: positiveInt(60),
  KITH_SESSION_ABSOLUTE_HOURS: positiveInt(12),
  KITH_SECURE_COOKIE: z.enum(['true', 'false']).optional(),
  KITH_BODY_LIMIT_BYTES: positiveInt(1024 * 1024),
  KITH_TRUST_PROXY: z.enum(['true', 'false']).optional(),
  KITH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  KITH_SCHEDULER: z.enum(['on', 'off']).optional(),
  KITH_STAFF_GRANT_MINUTES: z.coerce.number().int().min(1).max(1440).default(60),
  KITH_CHECKPOINT_TIME: timeOfDay.optional(),
  KITH_EXPORT_TTL_DAYS: positiveInt(7),
  KITH_IMPORT_MAX_BYTES: positiveInt(256 * 1024 * 1024),
  KITH_IMPORT_MAX_ROWS: positiveInt(1_000_000),
  KITH_IMPORT_MAX_COLUMNS: positiveInt(200),
  KITH_IMPORT_MAX_CELL_CHARS: positiveInt(10_000),
  KITH_IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES: positiveInt(1024 * 1024 * 1024),
  KITH_IMPORT_MAX_XLSX_ENTRIES: positiveInt(1000),
  KITH_IMPORT_WORKER_MEMORY_MB: positiveInt(256),
  KITH_BACKUP_TIME: timeOfDay.optional(),
  KITH_BACKUP_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxBackupRetentionDays, 'must be at most 35 (days): backups are never kept longer')
    .optional(),
});

export interface ConfigOverrides {
  dataDir?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
}

/** Reads and validates the environment; throws `AppError('invalid_input')` naming the variable. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: ConfigOverrides = {},
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(
      'invalid_input',
      `configuration: ${String(issue?.path[0] ?? 'environment')} ${issue?.message ?? 'is invalid'}`,
    );
  }
  const e = parsed.data;
  const regions = parseRegions(e.KITH_REGIONS);
  const dataDir = resolve(overrides.dataDir ?? e.KITH_DATA ?? './data');
  return {
    dataDir,
    host: overrides.host ?? e.HOST ?? '127.0.0.1',
    port: overrides.port ?? e.PORT ?? 3000,
    regions,
    residency: parseResidency(e.KITH_RESIDENCY, regions),
    databaseUrl: e.KITH_DATABASE_URL,
    storeUrls: readStoreUrls(env, regions),
    databasePrefix: e.KITH_DATABASE_PREFIX ?? 'kith',
    session: {
      idleMinutes: e.KITH_SESSION_IDLE_MINUTES,
      absoluteHours: e.KITH_SESSION_ABSOLUTE_HOURS,
      secureCookie: e.KITH_SECURE_COOKIE === 'true',
    },
    http: { bodyLimitBytes: e.KITH_BODY_LIMIT_BYTES, trustProxy: e.KITH_TRUST_PROXY === 'true' },
    logLevel: e.KITH_LOG_LEVEL ?? 'info',
    staff: { grantMinutes: e.KITH_STAFF_GRANT_MINUTES },
    scheduler: {
      enabled: e.KITH_SCHEDULER !== 'off',
      checkpointTime: e.KITH_CHECKPOINT_TIME ?? '02:30',
    },
    exports: {
      ttlDays: e.KITH_EXPORT_TTL_DAYS,
      directories: readExportDirectories(env, regions, dataDir),
    },
    imports: {
      maxUploadBytes: e.KITH_IMPORT_MAX_BYTES,
      maxRows: e.KITH_IMPORT_MAX_ROWS,
      maxColumns: e.KITH_IMPORT_MAX_COLUMNS,
      maxCellChars: e.KITH_IMPORT_MAX_CELL_CHARS,
      maxXlsxUncompressedBytes: e.KITH_IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
      maxXlsxEntries: e.KITH_IMPORT_MAX_XLSX_ENTRIES,
      workerMemoryMb: e.KITH_IMPORT_WORKER_MEMORY_MB,
    },
    backups: readBackupConfig(
      env,
      regions,
      dataDir,
      e.KITH_BACKUP_TIME,
      e.KITH_BACKUP_RETENTION_DAYS,
    ),
  };
}

function readExportDirectories(
  env: NodeJS.ProcessEnv,
  regions: readonly string[],
  dataDir: string,
): Record<string, string> {
  const directories: Record<string, string> = {};
  for (const region of regions) {
    const value = env[`KITH_REGION_${region.toUpperCase()}_EXPORTS`];
    directories[region] = resolve(value ?? join(dataDir, 'exports', region));
  }
  return directories;
}

function parseRegions(value: string | undefined): string[] {
  const names = (value ?? 'eu,uk,us,ca,au')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  if (names.length === 0) {
    throw new AppError('invalid_input', 'configuration: KITH_REGIONS names no region');
  }
  for (const name of names) {
    if (!regionName.safeParse(name).success) {
      throw new AppError(
        'invalid_input',
        `configuration: KITH_REGIONS has an invalid region "${name}"`,
      );
    }
  }
  return [...new Set(names)];
}

/**
 * `KITH_RESIDENCY` changes the default policy: `CH=eu,JP=none` maps CH to eu and
 * removes JP. Entries that name a region not in use are dropped, so their country
 * has no region (and Space creation answers a clear 400).
 */
function parseResidency(value: string | undefined, regions: readonly string[]): ResidencyPolicy {
  const table = new Map(defaultResidencyPolicy);
  for (const pair of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z]{2})=([a-z0-9]+)$/.exec(pair);
    if (!match) {
      throw new AppError(
        'invalid_input',
        `configuration: KITH_RESIDENCY entry "${pair}" is not CC=region`,
      );
    }
    const country = match[1]!.toUpperCase();
    const region = match[2]!;
    if (region === 'none') {
      table.delete(country);
    } else {
      table.set(country, region);
    }
  }
  for (const [country, region] of table) {
    if (!regions.includes(region)) {
      table.delete(country);
    }
  }
  return table;
}

function readStoreUrls(env: NodeJS.ProcessEnv, regions: readonly string[]): Record<string, string> {
  const names = ['platform', 'hr', 'sales', 'support', ...regions.map((r) => `region_${r}`)];
  const urls: Record<string, string> = {};
  for (const name of names) {
    const value = env[`KITH_${name.toUpperCase()}_DATABASE_URL`];
    if (value) {
      urls[name] = value;
    }
  }
  return urls;
}

function readBackupConfig(
  env: NodeJS.ProcessEnv,
  regions: readonly string[],
  dataDir: string,
  time: string | undefined,
  retentionDays: number | undefined,
): Config['backups'] {
  const locations: Record<string, string> = {};
  const masterKeys: Record<string, string> = {};
  const previousMasterKeys: Record<string, string[]> = {};
  for (const region of regions) {
    const prefix = `KITH_REGION_${region.toUpperCase()}`;
    locations[region] = resolve(env[`${prefix}_BACKUPS`] || resolve(dataDir, 'backups', region));
    const key = env[`${prefix}_MASTER_KEY`];
    if (key) {
      masterKeys[region] = key;
    }
    const previous = env[`${prefix}_PREVIOUS_MASTER_KEYS`];
    if (previous) {
      previousMasterKeys[region] = previous
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    }
  }
  return {
    time: time ?? '01:30',
    retentionDays: retentionDays ?? maxBackupRetentionDays,
    locations,
    masterKeys,
    previousMasterKeys,
  };
}
