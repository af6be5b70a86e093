-- History entries of changes made in the platform store (members, roles), written
-- in the same transaction as the change and delivered to the Space's history in
-- its region store right after, or by the scheduler's relay when that failed. A
-- row is deleted once its entry is in the chain. Holds what the entry records:
-- the member's name and email are users' data, as in `users`.
CREATE TABLE history_outbox (
  id uuid PRIMARY KEY,
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  entry jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX history_outbox_by_space ON history_outbox (space_id, created_at, id);
