import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../../context.ts';
import type { Queryable } from '../../stores/database.ts';
import { duePeriod, type Schedule } from './schedule.ts';
import { claimRun, finishRun, pruneRuns, renewLease } from './scheduled-run.repository.ts';

/** What a job is given when it runs. */
export interface JobContext {
  /** The period being run, e.g. `2026-12-02`. */
  readonly period: string;
  readonly now: Date;
  /** Aborted when the server shuts down: long jobs stop at a safe point. */
  readonly signal: AbortSignal;
}

export interface ScheduledJob {
  /** A stable name: the lock is taken on it (e.g. `history.checkpoints`, `backups.eu`). */
  readonly name: string;
  readonly schedule: Schedule;
  /** How long a claim holds without renewal; renewed every third of it while the job runs. */
  readonly leaseMinutes?: number;
  /** Does the work; what it resolves to is kept as the run's outcome (no personal data). */
  run(context: JobContext): Promise<unknown>;
}

export interface SchedulerLogger {
  info(record: object, message: string): void;
  error(record: object, message: string): void;
}

const defaultLeaseMinutes = 15;
/** A failed run is tried again after this long, up to `maxAttempts` in its period. */
const retryAfterMs = 15 * 60_000;
const maxAttempts = 3;
/** Finished runs are kept this long: enough to see the last month's backups and checkpoints. */
const keepRunsMs = 35 * 24 * 60 * 60_000;

/**
 * Runs each job once per period across every instance of an installation: a run
 * is claimed by one INSERT in the platform store (`scheduled_runs`), so two API
 * servers side by side never both run today's backups. A claim whose instance
 * died is taken over once its lease runs out.
 */
export class Scheduler {
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly platform: () => Promise<Queryable>,
    private readonly jobs: readonly ScheduledJob[],
    private readonly clock: Clock,
    private readonly logger: SchedulerLogger,
  ) {}

  /** Checks for due jobs now and every `intervalMs` after, until `stop()`. */
  start(intervalMs = 30_000): void {
    if (this.timer) {
      return;
    }
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /**
   * Claims and starts every job due now that this instance is not already running;
   * resolves once they have all finished (tests await it, the timer does not).
   */
  async tick(): Promise<void> {
    if (this.stopping.signal.aborted) {
      return;
    }
    this.ticking ??= this.claimDue().finally(() => {
      this.ticking = undefined;
    });
    await this.ticking;
    await Promise.all(this.running.values());
  }

  /** Stops claiming, tells running jobs to stop, and waits for them. */
  async stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.stopping.abort();
    await this.ticking;
    await Promise.all(this.running.values());
  }

  private async claimDue(): Promise<void> {
    for (const job of this.jobs) {
      if (this.running.has(job.name) || this.stopping.signal.aborted) {
        continue;
      }
      const now = this.clock();
      const period = duePeriod(job.schedule, now);
      if (!period) {
        continue;
      }
      try {
        const db = await this.platform();
        const claimed = await claimRun(db, {
          job: job.name,
          period,
          owner: this.owner,
          now,
          leaseUntil: this.leaseEnd(job, now),
          retryFailedBefore: new Date(now.getTime() - retryAfterMs),
          maxAttempts,
        });
        if (claimed) {
          const run = this.execute(db, job, period, now).finally(() => {
            this.running.delete(job.name);
          });
          this.running.set(job.name, run);
        }
      } catch (error) {
        this.logger.error({ job: job.name, err: error }, 'scheduler: could not claim a job');
      }
    }
  }

  private async execute(db: Queryable, job: ScheduledJob, period: string, now: Date) {
    const leaseMs = (job.leaseMinutes ?? defaultLeaseMinutes) * 60_000;
    const heartbeat = setInterval(() => {
      void renewLease(db, {
        job: job.name,
        period,
        owner: this.owner,
        leaseUntil: this.leaseEnd(job, this.clock()),
      }).catch(() => undefined);
    }, leaseMs / 3);
    heartbeat.unref();
    let ok = false;
    let outcome: unknown;
    try {
      outcome = await job.run({ period, now, signal: this.stopping.signal });
      ok = true;
      this.logger.info({ job: job.name, period }, 'scheduler: job finished');
    } catch (error) {
      outcome = { error: error instanceof Error ? error.message : String(error) };
      this.logger.error({ job: job.name, period, err: error }, 'scheduler: job failed');
    } finally {
      clearInterval(heartbeat);
    }
    await finishRun(db, {
      job: job.name,
      period,
      owner: this.owner,
      at: this.clock(),
      ok,
      outcome,
    }).catch((error: unknown) => {
      this.logger.error({ job: job.name, err: error }, 'scheduler: could not record a run');
    });
    await pruneRuns(db, job.name, new Date(now.getTime() - keepRunsMs)).catch(() => undefined);
  }

  private leaseEnd(job: ScheduledJob, from: Date): Date {
    return new Date(from.getTime() + (job.leaseMinutes ?? defaultLeaseMinutes) * 60_000);
  }
}
