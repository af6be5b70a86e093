-- The complete history of a Space (SPEC 4.3): an append-only hash chain per Space.
-- The format the hashes cover is a persisted contract: docs/history-format.md.
--
-- history_entries and history_checkpoints are append-only: triggers refuse UPDATE,
-- DELETE and TRUNCATE on both engines, and on PostgreSQL the store's login role is
-- granted SELECT, INSERT only (src/stores/privileges.ts). history_values holds the
-- values the entries commit to by salted digest; erasure deletes them (and only
-- that: no UPDATE, no TRUNCATE), and the chain still verifies without them.

-- The head of each Space's chain. Appends lock it FOR UPDATE, which serialises the
-- appends of one Space and lets different Spaces append in parallel.
CREATE TABLE history_heads (
  space_id uuid PRIMARY KEY REFERENCES spaces (space_id),
  seq bigint NOT NULL CHECK (seq >= 0),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);

CREATE TABLE history_entries (
  space_id uuid NOT NULL REFERENCES spaces (space_id),
  seq bigint NOT NULL CHECK (seq >= 1),
  at timestamptz NOT NULL,
  -- {type, id, name, role} as they were when the change was made.
  actor jsonb NOT NULL,
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text NOT NULL,
  -- [{field, fromDigest, toDigest}]: digests only, never the values.
  changes jsonb NOT NULL,
  source text NOT NULL,
  device text,
  ip text,
  import_id uuid,
  format_version smallint NOT NULL,
  prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (space_id, seq)
);
CREATE INDEX history_entries_by_target ON history_entries (space_id, target_type, target_id, seq DESC);
CREATE INDEX history_entries_by_actor ON history_entries (space_id, (actor ->> 'id'), seq DESC);
CREATE INDEX history_entries_by_action ON history_entries (space_id, action, seq DESC);
CREATE INDEX history_entries_by_time ON history_entries (space_id, at);

CREATE TABLE history_values (
  space_id uuid NOT NULL,
  seq bigint NOT NULL,
  -- Position of the change in the entry's `changes`.
  idx smallint NOT NULL CHECK (idx >= 0),
  side text NOT NULL CHECK (side IN ('from', 'to')),
  salt bytea NOT NULL CHECK (octet_length(salt) = 16),
  value jsonb NOT NULL,
  -- The data subject (contact id) the value belongs to: erasure deletes by it.
  subject_id text,
  PRIMARY KEY (space_id, seq, idx, side),
  FOREIGN KEY (space_id, seq) REFERENCES history_entries (space_id, seq)
);
CREATE INDEX history_values_by_subject ON history_values (space_id, subject_id) WHERE subject_id IS NOT NULL;

CREATE TABLE history_checkpoints (
  space_id uuid NOT NULL REFERENCES spaces (space_id),
  seq bigint NOT NULL CHECK (seq >= 1),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32),
  signed_at timestamptz NOT NULL,
  key_id text NOT NULL,
  signature bytea NOT NULL,
  PRIMARY KEY (space_id, seq)
);

CREATE FUNCTION kith_refuse_history_rewrite() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION 'history is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER history_entries_append_only
  BEFORE UPDATE OR DELETE ON history_entries
  FOR EACH ROW EXECUTE FUNCTION kith_refuse_history_rewrite();
CREATE TRIGGER history_entries_no_truncate
  BEFORE TRUNCATE ON history_entries
  FOR EACH STATEMENT EXECUTE FUNCTION kith_refuse_history_rewrite();

CREATE TRIGGER history_checkpoints_append_only
  BEFORE UPDATE OR DELETE ON history_checkpoints
  FOR EACH ROW EXECUTE FUNCTION kith_refuse_history_rewrite();
CREATE TRIGGER history_checkpoints_no_truncate
  BEFORE TRUNCATE ON history_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION kith_refuse_history_rewrite();

-- Values may be deleted (erasure), never changed.
CREATE TRIGGER history_values_no_update
  BEFORE UPDATE ON history_values
  FOR EACH ROW EXECUTE FUNCTION kith_refuse_history_rewrite();
CREATE TRIGGER history_values_no_truncate
  BEFORE TRUNCATE ON history_values
  FOR EACH STATEMENT EXECUTE FUNCTION kith_refuse_history_rewrite();
