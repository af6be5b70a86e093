-- An import's commit reads its upload again (kept on disk, hashed, until the commit
-- ends) and checks every row again inside its one transaction, so rows are no longer
-- staged in the database: the staging table has no reader or writer left.
DROP TABLE import_rows;
