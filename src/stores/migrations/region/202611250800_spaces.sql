-- Region store: customers' data of the Spaces whose residency is this region.
-- Every table carries space_id in every primary key, unique constraint and
-- foreign key (Citus-ready: distributed by space_id). The catalogue test in
-- src/stores/region-schema.test.ts fails on a table that breaks the rule.

CREATE FUNCTION kith_store_region() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT substr(name, length('region_') + 1) FROM kith_store $$;

-- The home of a Space in its region. Every other customer-data table references
-- it, so no row of a Space can exist in a region store that is not the Space's.
CREATE TABLE spaces (
  space_id uuid PRIMARY KEY,
  region text NOT NULL,
  country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION kith_enforce_space_residency() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF NEW.region IS DISTINCT FROM kith_store_region() THEN
    RAISE EXCEPTION 'residency: Space % belongs to region %, this store holds region %',
      NEW.space_id, NEW.region, kith_store_region()
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER spaces_residency
  BEFORE INSERT OR UPDATE ON spaces
  FOR EACH ROW EXECUTE FUNCTION kith_enforce_space_residency();
