-- Contact imports (SPEC 4.4): one row per import job, its valid rows staged
-- until the commit, and its rejected rows by line and reason. Keys, uniques and
-- references all carry space_id (SPEC 3).

CREATE TABLE imports (
  space_id uuid NOT NULL,
  id uuid NOT NULL,
  -- queued → validating → committing → committed, or → validated for a dry run;
  -- or failed / interrupted (a process that stopped mid-import).
  status text NOT NULL CHECK (status IN ('queued', 'validating', 'committing', 'committed', 'validated', 'failed', 'interrupted')),
  dry_run boolean NOT NULL,
  -- The member (platform user id) who started it.
  created_by uuid NOT NULL,
  file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
  file_format text NOT NULL CHECK (file_format IN ('csv', 'xlsx')),
  file_size bigint NOT NULL CHECK (file_size >= 0),
  -- SHA-256 of the uploaded bytes: the same file committed twice is refused.
  file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  -- mapping, dedup mode and key, encoding, delimiter: what the import was asked to do.
  options jsonb NOT NULL CHECK (jsonb_typeof(options) = 'object'),
  total_rows integer NOT NULL DEFAULT 0,
  processed_rows integer NOT NULL DEFAULT 0,
  valid_rows integer NOT NULL DEFAULT 0,
  rejected_rows integer NOT NULL DEFAULT 0,
  created_count integer NOT NULL DEFAULT 0,
  updated_count integer NOT NULL DEFAULT 0,
  skipped_count integer NOT NULL DEFAULT 0,
  error_code text,
  error_message text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (space_id, id),
  FOREIGN KEY (space_id) REFERENCES spaces (space_id) ON DELETE CASCADE
);
CREATE INDEX imports_by_file ON imports (space_id, file_sha256);

-- Rows that passed validation, waiting for the commit; deleted once it ends.
-- The commit reads them in line order inside its one transaction. The input
-- is the contacts-API JSON as text: written and read whole, never queried.
CREATE TABLE import_rows (
  space_id uuid NOT NULL,
  import_id uuid NOT NULL,
  line integer NOT NULL,
  input text NOT NULL,
  PRIMARY KEY (space_id, import_id, line),
  FOREIGN KEY (space_id, import_id) REFERENCES imports (space_id, id) ON DELETE CASCADE
);

CREATE TABLE import_rejections (
  space_id uuid NOT NULL,
  import_id uuid NOT NULL,
  line integer NOT NULL,
  reason text NOT NULL,
  PRIMARY KEY (space_id, import_id, line),
  FOREIGN KEY (space_id, import_id) REFERENCES imports (space_id, id) ON DELETE CASCADE
);
