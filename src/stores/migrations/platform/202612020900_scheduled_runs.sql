-- Scheduled jobs (daily checkpoints, backups, expiry): one row per job and period
-- (e.g. a day). Whoever inserts the row runs the job; the lease lets another
-- instance take over a run whose instance died. API servers run side by side and
-- each job still runs once per period (SPEC 3).
CREATE TABLE scheduled_runs (
  job text NOT NULL CHECK (length(job) BETWEEN 1 AND 100),
  period text NOT NULL CHECK (length(period) BETWEEN 1 AND 40),
  claimed_by text NOT NULL,
  claimed_at timestamptz NOT NULL,
  lease_until timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  finished_at timestamptz,
  -- A summary of what the run did (counts, ids, an error message); no personal data.
  outcome jsonb,
  ok boolean,
  PRIMARY KEY (job, period)
);
CREATE INDEX scheduled_runs_by_time ON scheduled_runs (job, claimed_at DESC);
