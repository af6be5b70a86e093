-- Export jobs of a Space (SPEC 4.5): one row per requested export, its progress
-- while it runs, and the file it produced (in the region's export storage) until
-- the file expires. The layout of the files is a persisted contract:
-- docs/export-format.md.

CREATE TABLE exports (
  space_id uuid NOT NULL,
  id uuid NOT NULL,
  format text NOT NULL CHECK (format IN ('csv', 'xlsx', 'json', 'ndjson', 'parquet')),
  status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'expired')),
  -- Rows written so far, and the rows there were to write when the export started.
  rows_done bigint NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
  rows_total bigint NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
  -- {table: rows written}, once completed.
  row_counts jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(row_counts) = 'object'),
  size_bytes bigint CHECK (size_bytes >= 0),
  sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- The file's name in the region's export storage (never a path).
  file_name text NOT NULL CHECK (file_name ~ '^[A-Za-z0-9._-]{1,200}$'),
  error text,
  -- The member (platform user id) who asked for it.
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL,
  -- Last sign of life of the job: a running export that stops moving was killed.
  heartbeat_at timestamptz NOT NULL,
  completed_at timestamptz,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (space_id, id),
  FOREIGN KEY (space_id) REFERENCES spaces (space_id) ON DELETE CASCADE
);

CREATE INDEX exports_by_expiry ON exports (expires_at) WHERE status IN ('completed', 'failed');
CREATE INDEX exports_by_heartbeat ON exports (heartbeat_at) WHERE status IN ('pending', 'running');
