-- Region store: staff access grants to a Space (SPEC 4.7). Customer-visible data,
-- kept beside the Space's other data. `staff_id` is an opaque id from the hr
-- store: no key or join crosses stores.
CREATE TABLE staff_grants (
  space_id uuid NOT NULL REFERENCES spaces (space_id) ON DELETE CASCADE,
  id uuid NOT NULL,
  staff_id uuid NOT NULL,
  -- As they were when the grant was opened: the customer reads who, not an id.
  staff_name text NOT NULL CHECK (length(staff_name) BETWEEN 1 AND 200),
  staff_role text NOT NULL CHECK (staff_role IN ('cto', 'account_manager')),
  reason text NOT NULL CHECK (length(reason) BETWEEN 10 AND 500),
  status text NOT NULL CHECK (status IN ('pending', 'active', 'denied')),
  minutes integer NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
  requested_at timestamptz NOT NULL,
  -- Set when the grant opens (at request, or at a superadmin's approval).
  opened_at timestamptz,
  expires_at timestamptz,
  decided_by uuid,
  decided_at timestamptz,
  PRIMARY KEY (space_id, id)
);
CREATE INDEX staff_grants_by_staff ON staff_grants (space_id, staff_id, expires_at DESC);
CREATE INDEX staff_grants_by_time ON staff_grants (space_id, requested_at DESC, id);
