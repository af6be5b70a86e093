import type { Command } from 'commander';
import { operatorCaller } from '../context.ts';
import { AppError } from '../errors.ts';
import {
  type BackupDeps,
  listBackups,
  runBackups,
  verifyBackup,
} from '../modules/backups/backup-operations.ts';
import { toBackupView } from '../modules/backups/backup-presenter.ts';
import { restoreSpace } from '../modules/backups/backup-restore.ts';
import { rotateMasterKey } from '../modules/backups/master-key-rotation.ts';
import { globalOptionsOf } from './global-options.ts';
import { type Installation, withInstallation } from './installation.ts';
import { Output } from './output.ts';

const depsOf = ({ config, stores }: Installation): BackupDeps => ({
  config,
  stores,
  now: () => new Date(),
});

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** `kith backup run | list | verify | restore | rotate-key` (SPEC 4.6). */
export function registerBackupCommands(program: Command): void {
  const backup = program
    .command('backup')
    .description('encrypted backups of every Space, per region');

  backup
    .command('run')
    .description('back up every Space now (or one region, or one Space), then prune by retention')
    .option('--region <region>', 'only this region')
    .option('--space <id>', 'only this Space')
    .action(async (options: { region?: string; space?: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const run = await withInstallation(command, (installation) =>
        runBackups(depsOf(installation), { region: options.region, spaceId: options.space }, (m) =>
          output.note(
            `backed up Space ${m.spaceId} (${m.region}): ${m.backupId}, ${megabytes(m.size)}`,
          ),
        ),
      );
      output.result(
        { backups: run.made.map(toBackupView), failed: run.failed, pruned: run.pruned },
        [
          `Backups made: ${run.made.length}; failed: ${run.failed.length}; pruned by retention: ${run.pruned}.`,
          ...run.failed.map((f) => `  FAILED ${f.region} ${f.spaceId ?? ''}: ${f.reason}`),
        ],
      );
      if (run.failed.length > 0) {
        throw new AppError(
          'unavailable',
          `${run.failed.length} backup(s) failed; first: ${run.failed[0]?.reason ?? ''}`,
        );
      }
    });

  backup
    .command('list')
    .description('list kept backups: id, space, region, time, size')
    .option('--space <id>', 'only this Space')
    .action(async (options: { space?: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const manifests = await withInstallation(command, ({ config }) =>
        listBackups(config, { spaceId: options.space }),
      );
      const items = manifests.map(toBackupView);
      output.result({ items }, [
        ...items.map(
          (b) => `${b.id}  ${b.spaceId}  ${b.region}  ${b.createdAt}  ${megabytes(b.size)}`,
        ),
        `${items.length} backup(s) kept.`,
      ]);
    });

  backup
    .command('verify')
    .description('decrypt and check every kept backup (or one Space’s); exit 5 on any failure')
    .option('--space <id>', 'only this Space')
    .action(async (options: { space?: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const checks = await withInstallation(command, async (installation) => {
        const deps = depsOf(installation);
        const results = [];
        for (const manifest of await listBackups(installation.config, { spaceId: options.space })) {
          const check = await verifyBackup(deps, manifest);
          output.note(
            `${check.ok ? 'ok     ' : 'FAILED '} ${check.backupId} (Space ${check.spaceId})`,
          );
          results.push(check);
        }
        return results;
      });
      const failed = checks.filter((c) => !c.ok);
      output.result({ ok: failed.length === 0, checks }, [
        `${checks.length - failed.length} of ${checks.length} backup(s) verify.`,
        ...failed.map((c) => `  ${c.backupId}: ${c.reason}`),
      ]);
      if (failed.length > 0) {
        throw new AppError(
          'integrity_failure',
          `${failed.length} backup(s) do not verify; first: ${failed[0]?.backupId}: ${failed[0]?.reason}`,
        );
      }
    });

  backup
    .command('restore')
    .description(
      'restore one Space from a kept backup (the latest by default), in place or as a new Space',
    )
    .requiredOption('--space <id>', 'the Space whose backup to restore')
    .option('--backup <id>', 'which backup (see kith backup list); default: the latest')
    .option('--as-new', 'restore into a new Space (same country and region) instead of in place')
    .option('--owner <email>', 'with --as-new: the account that becomes the new Space’s superadmin')
    .option(
      '--name <name>',
      'with --as-new: the new Space’s name (default: "<name> (restored <date>)")',
    )
    .action(
      async (
        options: { space: string; backup?: string; asNew?: boolean; owner?: string; name?: string },
        command: Command,
      ) => {
        const output = new Output(globalOptionsOf(command).json);
        if (options.asNew && !options.owner) {
          throw new AppError(
            'invalid_input',
            '--as-new needs --owner EMAIL: the account that will own the new Space',
          );
        }
        let shownAt = Date.now();
        const outcome = await withInstallation(command, async (installation) => {
          let asNew: { ownerUserId: string; name?: string } | undefined;
          if (options.asNew && options.owner) {
            const owner = await installation.services.identity.findUserByEmail(options.owner);
            if (!owner) {
              throw new AppError(
                'not_found',
                `no account has the email ${options.owner}: create it first with kith users create`,
              );
            }
            asNew = { ownerUserId: owner.id, ...(options.name ? { name: options.name } : {}) };
          }
          return restoreSpace(depsOf(installation), operatorCaller(), {
            spaceId: options.space,
            backupId: options.backup,
            asNew,
            onProgress: (rows) => {
              if (Date.now() - shownAt >= 1000) {
                shownAt = Date.now();
                output.note(`restored ${rows} rows…`);
              }
            },
          });
        });
        output.result(outcome, [
          `Restored backup ${outcome.backupId} into Space ${outcome.spaceId}${outcome.asNew ? ' (a new Space)' : ' (in place)'}: ${outcome.rows.contacts ?? 0} contacts; ${outcome.erasedAgain} erased contact(s) kept out.`,
        ]);
      },
    );

  backup
    .command('rotate-key')
    .description('move a region to a new master key: re-wraps every data key, backups unchanged')
    .requiredOption('--region <region>', 'the region')
    .action(async (options: { region: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      const result = await withInstallation(command, (installation) =>
        rotateMasterKey(depsOf(installation), options.region),
      );
      output.result(result, [
        `Region ${result.region}: master key ${result.previousKeyId} → ${result.keyId}; ${result.rewrapped} data key(s) re-wrapped.`,
        'Keep a copy of the new key apart from the backups; the old one no longer opens anything.',
      ]);
    });
}
