-- Each read or write under a staff grant (SPEC 4.7), recorded durably before the
-- response by one INSERT that also proves the grant is still live, and turned into
-- `staff.access` history entries by the relay soon after, in `seq` order, in
-- batches (one head lock per batch instead of one per request). A row is deleted
-- in the same transaction that appends its entry, which carries the row's `id`
-- as its origin: an access is never lost and never recorded twice. Not in
-- backups (see backup-tables.ts): a restore leaves undelivered uses in place,
-- and they reach the restored chain after it.
CREATE TABLE staff_access_pending (
  space_id uuid NOT NULL,
  seq bigserial,
  id uuid NOT NULL,
  grant_id uuid NOT NULL,
  -- The history entry to append (a HistoryEntryInput as JSON, `at` an ISO string).
  entry jsonb NOT NULL,
  PRIMARY KEY (space_id, seq),
  -- No key to staff_grants: a restore replaces the grants, and must not take
  -- undelivered uses with them (the entry holds all it records).
  FOREIGN KEY (space_id) REFERENCES spaces (space_id) ON DELETE CASCADE
);
