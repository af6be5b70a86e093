-- A Kith JSON export loaded into an empty Space through the imports route
-- (SPEC 4.5: "importing a JSON export into an empty Space gives back the same
-- data") is an import like the others, of format 'json'.
ALTER TABLE imports DROP CONSTRAINT imports_file_format_check;
ALTER TABLE imports ADD CONSTRAINT imports_file_format_check
  CHECK (file_format IN ('csv', 'xlsx', 'json'));
