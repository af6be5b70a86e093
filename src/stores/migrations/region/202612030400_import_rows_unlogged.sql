-- Staged import rows are a working copy of an uploaded file, kept only until
-- the import's commit (or its failure) deletes them: they need no WAL. A crash
-- empties an unlogged table, which is what happens to an import whose process
-- stops anyway (it is marked interrupted and nothing was committed). A million-
-- row import stages a million rows: without WAL they go in at COPY speed.
ALTER TABLE import_rows SET UNLOGGED;
