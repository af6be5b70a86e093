-- Entries that come from another store's transaction (member and role changes are
-- made in the platform store) travel through that store's outbox and carry the
-- outbox row's id here: delivering one twice finds it and appends nothing.
ALTER TABLE history_entries ADD COLUMN origin_id uuid;
CREATE UNIQUE INDEX history_entries_by_origin ON history_entries (space_id, origin_id)
  WHERE origin_id IS NOT NULL;
