import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { Caller } from '../context.ts';
import { AppError, type ErrorCode, errorCodes } from '../errors.ts';
import { saveUpload, uploadDirectory } from '../modules/imports/import-upload.ts';
import type { ImportView } from '../modules/imports/imports.schemas.ts';
import { globalOptionsOf } from './global-options.ts';
import { withInstallation } from './installation.ts';
import { Output } from './output.ts';

/** How often the progress line is printed while an import runs. */
const progressIntervalMs = 1000;
const shownRejections = 20;

interface ImportCommandOptions {
  space: string;
  as: string;
  dryRun?: boolean;
  mode?: string;
  dedupBy?: string;
  encoding?: string;
  delimiter?: string;
  mapping?: string;
}

/** `kith contacts import FILE --space ID --as EMAIL [--dry-run]`: imports CSV or XLSX as that member. */
export function registerContactsCommands(program: Command): void {
  const contacts = program.command('contacts').description('work with a Space’s contacts');
  contacts
    .command('import')
    .description(
      'import contacts from a CSV or XLSX file, or load a Kith JSON export into an empty Space, as a member of the Space',
    )
    .argument('<file>', 'the CSV or XLSX file, or a Kith JSON export')
    .requiredOption('--space <id>', 'the Space’s id')
    .requiredOption('--as <email>', 'the member (admin or superadmin) the import is made as')
    .option('--dry-run', 'check every row and report rejections; change nothing')
    .option('--mode <mode>', 'a row matching a contact: skip, update or create (default skip)')
    .option('--dedup-by <key>', 'what matches a contact: email or phone (default email)')
    .option('--encoding <name>', 'auto, utf-8, utf-16le, utf-16be or windows-1252 (default auto)')
    .option('--delimiter <char>', 'the CSV delimiter: , ; | or "tab" (default: detected)')
    .option('--mapping <json>', 'column header → field, e.g. {"E-mail":"email"} (default: guessed)')
    .action(async (file: string, options: ImportCommandOptions, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const view = await withInstallation(command, async ({ config, services }) => {
        const user = await services.identity.findUserByEmail(options.as);
        if (!user) {
          throw new AppError('not_found', `no account has the email ${options.as}`);
        }
        const caller: Caller = {
          actor: { type: 'user', id: user.id, name: user.name },
          source: 'cli',
        };
        await services.imports.authorize(caller, options.space);
        const upload = await saveUpload(
          createReadStream(file),
          await uploadDirectory(config.dataDir),
          basename(file),
          config.imports.maxUploadBytes,
        ).catch((error: unknown) => {
          if ((error as { code?: string }).code === 'ENOENT') {
            throw new AppError('not_found', `no file at ${file}`);
          }
          throw error;
        });
        let shownAt = 0;
        let phase = '';
        const { id, done } = await services.imports.start(
          caller,
          options.space,
          upload,
          optionsOf(options),
          (progress) => {
            const now = Date.now();
            if (progress.progress.phase !== phase || now - shownAt >= progressIntervalMs) {
              phase = progress.progress.phase;
              shownAt = now;
              output.note(progressLine(progress));
            }
          },
        );
        await done;
        return services.imports.get(caller, options.space, id, { rejectedLimit: 10_000 });
      });
      if (view.status === 'failed') {
        const code = (errorCodes as readonly string[]).includes(view.error?.code ?? '')
          ? (view.error?.code as ErrorCode)
          : 'internal';
        throw new AppError(
          code,
          `import ${view.id} failed, nothing was imported: ${view.error?.message}`,
        );
      }
      output.result(view, summaryOf(view));
    });
}

function optionsOf(options: ImportCommandOptions): Record<string, unknown> {
  const parsed: Record<string, unknown> = { dryRun: options.dryRun === true };
  if (options.mode !== undefined) {
    parsed.mode = options.mode;
  }
  if (options.dedupBy !== undefined) {
    parsed.dedupBy = options.dedupBy;
  }
  if (options.encoding !== undefined) {
    parsed.encoding = options.encoding;
  }
  if (options.delimiter !== undefined) {
    parsed.delimiter = options.delimiter === 'tab' ? '\t' : options.delimiter;
  }
  if (options.mapping !== undefined) {
    try {
      parsed.mapping = JSON.parse(options.mapping) as unknown;
    } catch {
      throw new AppError('invalid_input', '--mapping must be JSON, e.g. {"E-mail":"email"}');
    }
  }
  return parsed;
}

/** `importing: committing 40000 of 100000 rows (70%)`. */
function progressLine(view: ImportView): string {
  const { phase, done, total, fraction } = view.progress;
  return `import ${view.id}: ${phase} ${done} of ${total} rows (${Math.round(fraction * 100)}%)`;
}

function summaryOf(view: ImportView): string[] {
  const c = view.counts;
  const lines = view.dryRun
    ? [
        `Dry run of import ${view.id}: ${c.validRows} valid rows, ${c.rejectedRows} rejected; nothing was changed.`,
      ]
    : [
        `Import ${view.id} committed: ${c.created} created, ${c.updated} updated, ${c.skipped} skipped, ${c.rejectedRows} rejected.`,
      ];
  for (const row of view.rejectedRows.slice(0, shownRejections)) {
    lines.push(`  line ${row.line}: ${row.reason}`);
  }
  if (c.rejectedRows > shownRejections) {
    lines.push(`  … and ${c.rejectedRows - shownRejections} more (--json lists them all)`);
  }
  return lines;
}
