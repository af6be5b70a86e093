-- A value's foreign key to its entry made every edit lock its own, just inserted
-- entry row once per value (FOR KEY SHARE: a row lock written into an append-only
-- table), and was a quarter of an edit's history cost. The writer inserts an entry
-- and its values in one statement (history.repository.ts appendSingle/appendRows),
-- nothing else inserts values, and the verifier holds every value to the digest
-- its entry commits to (a value whose entry is gone sits in a gap the chain
-- already reports). Entries stay referenced by seq; values keep their primary key.
ALTER TABLE history_values DROP CONSTRAINT history_values_space_id_seq_fkey;
