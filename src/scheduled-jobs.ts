import type { Config } from './config.ts';
import type { Clock } from './context.ts';
import { runBackups } from './modules/backups/backup-operations.ts';
import { sweepExports } from './modules/exports/export-sweep.ts';
import { signDueCheckpoints } from './modules/history/checkpoints.ts';
import { readRegionsInUse } from './modules/history/history.repository.ts';
import { deliverAllHistoryOutboxes } from './modules/history/history-outbox.ts';
import { sweepUploads } from './modules/imports/import-upload.ts';
import type { ScheduledJob } from './modules/scheduler/scheduler.ts';
import { relayStaffAccesses, sweepStaffContracts } from './modules/staff/staff-sweeps.ts';
import type { Stores } from './stores/stores.ts';

/**
 * Every job `kith serve` runs on a schedule, in one list. Each runs once per
 * period across all instances (see `Scheduler`).
 */
export function scheduledJobs(config: Config, stores: Stores, clock: Clock): ScheduledJob[] {
  return [
    {
      // Member and role changes whose history entry could not be appended at once
      // (their region store did not answer) reach the chain here.
      name: 'history.outbox',
      schedule: { kind: 'every', minutes: 1 },
      async run() {
        const run = await deliverAllHistoryOutboxes(stores);
        if (run.failed.length > 0) {
          throw new Error(
            `${run.failed.length} Space(s) still pending (${run.delivered} entries delivered); first: ${run.failed[0]?.spaceId}: ${run.failed[0]?.reason}`,
          );
        }
        return { delivered: run.delivered };
      },
    },
    {
      // SPEC 4.7: uses of staff grants are recorded at once and delivered to the
      // history in-process a moment later; this delivers what a stopped instance left.
      name: 'staff.access',
      schedule: { kind: 'every', minutes: 1 },
      run: () => relayStaffAccesses(stores),
    },
    {
      // SPEC 4.7: a contract whose end date passed ends its sessions and grants.
      name: 'staff.contracts',
      schedule: { kind: 'every', minutes: 15 },
      run: () => sweepStaffContracts({ stores, clock }),
    },
    {
      // SPEC 4.3: the chain head of every Space that changed is signed daily.
      name: 'history.checkpoints',
      schedule: { kind: 'daily', at: config.scheduler.checkpointTime },
      async run() {
        const run = await signDueCheckpoints(stores, config, clock);
        if (run.failed.length > 0) {
          const first = run.failed[0];
          throw new Error(
            `${run.failed.length} Space(s) not signed (${run.signed.length} signed); first: ${first?.spaceId ?? first?.region}: ${first?.reason}`,
          );
        }
        return { signed: run.signed.length };
      },
    },
    {
      // SPEC 4.5: export files expire (KITH_EXPORT_TTL_DAYS); killed jobs are failed.
      name: 'exports.sweep',
      schedule: { kind: 'every', minutes: 60 },
      run: () => sweepExports({ config, stores, clock }),
    },
    {
      // SPEC 4.4: an upload a killed import left on disk is deleted (personal data).
      name: 'imports.sweep',
      schedule: { kind: 'every', minutes: 60 },
      run: () => sweepUploads(config.dataDir, clock()),
    },
    // SPEC 4.6: every Space of each region is backed up daily, then retention prunes.
    ...config.regions.map(
      (region): ScheduledJob => ({
        name: `backups.${region}`,
        schedule: { kind: 'daily', at: config.backups.time },
        async run() {
          // A region no Space lives in is never opened (stores open lazily).
          if (!(await readRegionsInUse(await stores.platform())).includes(region)) {
            return { backups: 0, pruned: 0 };
          }
          const run = await runBackups({ config, stores, now: clock }, { region });
          if (run.failed.length > 0) {
            throw new Error(
              `${run.failed.length} Space(s) not backed up in ${region} (${run.made.length} done); first: ${run.failed[0]?.spaceId}: ${run.failed[0]?.reason}`,
            );
          }
          return { backups: run.made.length, pruned: run.pruned };
        },
      }),
    ),
  ];
}
