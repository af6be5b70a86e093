import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Caller } from '../context.ts';
import { AppError } from '../errors.ts';
import { globalOptionsOf } from './global-options.ts';
import { withInstallation } from './installation.ts';
import { Output } from './output.ts';

/** How often progress is shown while an export runs. */
const progressIntervalMs = 1000;

interface ExportOptions {
  space: string;
  as: string;
  format: string;
  out: string;
}

/**
 * `kith export --space ID --as EMAIL --format F --out PATH`: exports the whole
 * Space as that member (who must be allowed to export it), with the same job,
 * checks and history entry as the API, and writes the file to PATH.
 */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a whole Space (csv, xlsx, json, ndjson or parquet) as one of its members')
    .requiredOption('--space <id>', 'the Space’s id')
    .requiredOption('--as <email>', 'the member the export is made as (superadmin or admin)')
    .requiredOption('--format <format>', 'csv, xlsx, json, ndjson or parquet')
    .requiredOption('--out <path>', 'where to write the file')
    .action(async (options: ExportOptions, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const out = resolve(options.out);
      const result = await withInstallation(command, async ({ services }) => {
        const user = await services.identity.findUserByEmail(options.as);
        if (!user) {
          throw new AppError(
            'not_found',
            `no account has the email ${options.as}: pass the email of a member of the Space`,
          );
        }
        const caller: Caller = {
          actor: { type: 'user', id: user.id, name: user.name },
          source: 'cli',
        };
        const created = await services.exports.create(caller, options.space, {
          format: options.format,
        });
        const timer = setInterval(() => {
          void services.exports.get(caller, options.space, created.id).then(
            (status) =>
              output.note(
                `exported ${status.progress.rowsDone} of ${status.progress.rowsTotal} rows (${status.progress.percent}%)…`,
              ),
            () => undefined,
          );
        }, progressIntervalMs);
        try {
          await services.exports.settled(created.id);
        } finally {
          clearInterval(timer);
        }
        const status = await services.exports.get(caller, options.space, created.id);
        if (status.status !== 'completed') {
          throw new AppError('internal', status.error ?? `the export ended ${status.status}`);
        }
        const file = await services.exports.download(caller, options.space, created.id);
        const partial = `${out}.partial`;
        try {
          await pipeline(file.stream, createWriteStream(partial, { mode: 0o600 }));
          await rename(partial, out);
        } catch (error) {
          await rm(partial, { force: true });
          throw new AppError('internal', `cannot write ${out}: ${(error as Error).message}`);
        }
        return status;
      });
      output.result(
        {
          id: result.id,
          format: result.format,
          size: result.size,
          sha256: result.sha256,
          rowCounts: result.rowCounts,
          out,
        },
        [
          `Exported Space ${options.space} as ${result.format} to ${out}: ${result.progress.rowsDone} rows, ${result.size} bytes.`,
          `SHA-256 ${result.sha256}`,
        ],
      );
    });
}
