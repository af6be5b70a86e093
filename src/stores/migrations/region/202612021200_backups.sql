-- Encrypted backups (SPEC 4.6), persisted contract: docs/backup-format.md.
--
-- space_data_keys: each Space's 256-bit data key, wrapped (AES-256-GCM) by the
-- region's master key named by key_id. Backups are encrypted under keys derived
-- from it; deleting the row makes every backup of the Space unreadable.
CREATE TABLE space_data_keys (
  space_id uuid PRIMARY KEY REFERENCES spaces (space_id) ON DELETE CASCADE,
  key_id text NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
  wrapped bytea NOT NULL CHECK (octet_length(wrapped) BETWEEN 40 AND 512),
  created_at timestamptz NOT NULL,
  wrapped_at timestamptz NOT NULL
);

-- Contacts erased from a Space: ids and time only, never personal data. Every
-- restore replays it, so an erased contact never comes back from a backup. Not
-- restored from backups itself, and kept while the Space lives.
CREATE TABLE erasure_ledger (
  space_id uuid NOT NULL REFERENCES spaces (space_id) ON DELETE CASCADE,
  contact_id uuid NOT NULL,
  erased_at timestamptz NOT NULL,
  PRIMARY KEY (space_id, contact_id)
);

-- Deleting a Space removes its whole history with it, and nothing else may
-- delete history. The append-only triggers let a DELETE through only inside
-- kith_purge_space(), which removes the chain, its values and checkpoints, its
-- head and the Space's home row together: it cannot shorten or rewrite the
-- chain of a Space that lives on. On PostgreSQL the application role has no
-- DELETE on the history tables at all; the function runs with its owner's
-- (the migrating role's) rights.
CREATE OR REPLACE FUNCTION kith_refuse_history_rewrite() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('kith.purging_space', true) = OLD.space_id::text THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'history is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION kith_purge_space(target uuid) RETURNS void
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public
  AS $$
BEGIN
  PERFORM set_config('kith.purging_space', target::text, true);
  DELETE FROM history_values WHERE space_id = target;
  DELETE FROM history_checkpoints WHERE space_id = target;
  DELETE FROM history_entries WHERE space_id = target;
  DELETE FROM history_heads WHERE space_id = target;
  DELETE FROM spaces WHERE space_id = target;
  PERFORM set_config('kith.purging_space', '', true);
END
$$;
