import type { Queryable } from '../../stores/database.ts';

/** SQL of the `scheduled_runs` table (platform store): which instance runs which job, when. */

export interface ScheduledRunRow {
  job: string;
  period: string;
  claimed_by: string;
  claimed_at: Date;
  lease_until: Date;
  attempts: number;
  finished_at: Date | null;
  outcome: unknown;
  ok: boolean | null;
}

/**
 * Claims the run of `job` for `period` in one statement: the first claim wins; a
 * later one wins only when the earlier run never finished and its lease ran out
 * (its instance died), or when it failed at or before `retryFailedBefore` and has
 * had fewer than `maxAttempts`. Returns whether this instance holds the run now.
 */
export async function claimRun(
  db: Queryable,
  claim: {
    job: string;
    period: string;
    owner: string;
    now: Date;
    leaseUntil: Date;
    retryFailedBefore: Date;
    maxAttempts: number;
  },
): Promise<boolean> {
  const { rows } = await db.query<{ job: string }>(
    `INSERT INTO scheduled_runs AS r (job, period, claimed_by, claimed_at, lease_until)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (job, period) DO UPDATE SET
       claimed_by = EXCLUDED.claimed_by,
       claimed_at = EXCLUDED.claimed_at,
       lease_until = EXCLUDED.lease_until,
       attempts = r.attempts + 1,
       finished_at = NULL,
       ok = NULL,
       outcome = NULL
     WHERE r.attempts < $7
       AND ((r.finished_at IS NULL AND r.lease_until < EXCLUDED.claimed_at)
         OR (r.ok = false AND r.finished_at <= $6))
     RETURNING job`,
    [
      claim.job,
      claim.period,
      claim.owner,
      claim.now,
      claim.leaseUntil,
      claim.retryFailedBefore,
      claim.maxAttempts,
    ],
  );
  return rows.length === 1;
}

/** Extends the lease of a run this instance holds; false when another instance took it over. */
export async function renewLease(
  db: Queryable,
  run: { job: string; period: string; owner: string; leaseUntil: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE scheduled_runs SET lease_until = $4
      WHERE job = $1 AND period = $2 AND claimed_by = $3 AND finished_at IS NULL`,
    [run.job, run.period, run.owner, run.leaseUntil],
  );
  return rowCount === 1;
}

export async function finishRun(
  db: Queryable,
  run: { job: string; period: string; owner: string; at: Date; ok: boolean; outcome: unknown },
): Promise<void> {
  await db.query(
    `UPDATE scheduled_runs SET finished_at = $4, ok = $5, outcome = $6::jsonb
      WHERE job = $1 AND period = $2 AND claimed_by = $3`,
    [run.job, run.period, run.owner, run.at, run.ok, JSON.stringify(run.outcome ?? null)],
  );
}

/** The latest runs of `job`, newest first (the operator's `kith` status output). */
export async function latestRuns(
  db: Queryable,
  job: string,
  limit: number,
): Promise<ScheduledRunRow[]> {
  const { rows } = await db.query<ScheduledRunRow>(
    `SELECT * FROM scheduled_runs WHERE job = $1 ORDER BY claimed_at DESC LIMIT $2`,
    [job, limit],
  );
  return rows;
}

/** Forgets the finished runs of `job` claimed before `before` (a job every minute adds 1,440 a day). */
export async function pruneRuns(db: Queryable, job: string, before: Date): Promise<void> {
  await db.query(
    'DELETE FROM scheduled_runs WHERE job = $1 AND claimed_at < $2 AND finished_at IS NOT NULL',
    [job, before],
  );
}
