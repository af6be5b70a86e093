-- An entry's foreign key to its Space made every edit run a referential check
-- that takes FOR KEY SHARE on the Space's row in `spaces`: a row lock written
-- into the one row every editor of the Space shares (a multixact as soon as two
-- editors overlap), for a guarantee the chain head already gives. Entries are
-- only appended through the Space's head (history_heads, which keeps its
-- foreign key to `spaces` and is locked by every append), so no entry can
-- name a Space without a head, and a Space with a head cannot be deleted.
ALTER TABLE history_entries DROP CONSTRAINT history_entries_space_id_fkey;
