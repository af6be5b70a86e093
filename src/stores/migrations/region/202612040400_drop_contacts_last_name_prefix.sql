-- contacts_last_name_prefix duplicated contacts_by_name for prefix search:
-- last_name_search is COLLATE "C", so the plain btree on (space_id,
-- last_name_search, …) already answers `last_name_search LIKE 'x%'` as a range
-- (EXPLAIN shows a Bitmap Index Scan on contacts_by_name with
-- `last_name_search >= 'x' AND last_name_search < 'y'`). One index fewer for
-- every contact written, which an import of a million contacts feels.
DROP INDEX IF EXISTS contacts_last_name_prefix;
