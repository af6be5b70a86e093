import type { ServiceDeps } from '../../services.ts';
import { readRegionsInUse } from '../history/history.repository.ts';
import { failExport, findExportsToSweep, markExportExpired } from './export.repository.ts';
import { deleteExportFiles } from './export-storage.ts';

const minuteMs = 60_000;
/** A running job writes its heartbeat every second: one silent for this long was killed. */
const runningStaleMs = 60 * minuteMs;
/** A queued job waits behind the exports of its instance; one never started in a day was lost. */
const pendingStaleMs = 24 * 60 * minuteMs;
const batch = 500;

export interface SweepResult {
  expired: number;
  abandoned: number;
}

/**
 * The scheduled sweep (`exports.sweep` in scheduled-jobs.ts): deletes the files
 * of exports past their expiry (the job stays listed as `expired`, with its
 * digest and counts), and fails jobs whose server died under them, removing
 * their partial file. Region by region, in every region that holds Spaces.
 */
export async function sweepExports(
  deps: Pick<ServiceDeps, 'config' | 'stores' | 'clock'>,
): Promise<SweepResult> {
  const result: SweepResult = { expired: 0, abandoned: 0 };
  const regions = (await readRegionsInUse(await deps.stores.platform())).filter((region) =>
    deps.config.regions.includes(region),
  );
  for (const region of regions) {
    const db = await deps.stores.region(region);
    for (;;) {
      const now = deps.clock();
      const due = await findExportsToSweep(
        db,
        {
          now,
          runningStaleBefore: new Date(now.getTime() - runningStaleMs),
          pendingStaleBefore: new Date(now.getTime() - pendingStaleMs),
        },
        batch,
      );
      for (const record of due) {
        await deleteExportFiles(deps.config, region, record.fileName);
        if (record.status === 'completed' || record.status === 'failed') {
          await markExportExpired(db, record.spaceId, record.id);
          result.expired += 1;
        } else {
          await failExport(db, record.spaceId, record.id, {
            error: 'the export stopped (its server ended while it ran): start a new export',
            at: now,
          });
          result.abandoned += 1;
        }
      }
      if (due.length < batch) {
        break;
      }
    }
  }
  return result;
}
