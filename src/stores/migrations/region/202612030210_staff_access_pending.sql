-- Each read or write under a staff grant (SPEC 4.7), recorded durably before the
-- response by one INSERT that also proves the grant is still live, and turned into
-- `staff.access` history entries by the relay soon after, in `seq` order, in
-- batches (one head lock per batch instead of one per request). A row is deleted
-- in the same transaction that appends its entry, which carries the row's `id`
-- as its origin: an access is never lost and never recorded twice.
CREATE TABLE staff_access_pending (
  space_id uuid NOT NULL,
  seq bigserial,
  id uuid NOT NULL,
  grant_id uuid NOT NULL,
  -- The history entry to append (a HistoryEntryInput as JSON, `at` an ISO string).
  entry jsonb NOT NULL,
  PRIMARY KEY (space_id, seq),
  FOREIGN KEY (space_id, grant_id) REFERENCES staff_grants (space_id, id) ON DELETE CASCADE
);
