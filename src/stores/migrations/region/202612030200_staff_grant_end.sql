-- A staff grant can end before its time box runs out (SPEC 4.7): the staff member
-- closes it, the Space's superadmin revokes it, the account manager is unassigned
-- from the Space, or the staff member's contract ends. An ended grant gives
-- nothing, as an expired or refused one.
ALTER TABLE staff_grants DROP CONSTRAINT staff_grants_status_check;
ALTER TABLE staff_grants ADD CONSTRAINT staff_grants_status_check
  CHECK (status IN ('pending', 'active', 'denied', 'ended'));
ALTER TABLE staff_grants ADD COLUMN ended_at timestamptz;
-- Who ended it: the staff member or the superadmin (an opaque id); null when the
-- operator or a scheduled sweep did.
ALTER TABLE staff_grants ADD COLUMN ended_by uuid;
ALTER TABLE staff_grants ADD COLUMN end_reason text
  CHECK (end_reason IN ('staff', 'superadmin', 'unassigned', 'contract_ended'));
ALTER TABLE staff_grants ADD CONSTRAINT staff_grants_end_check
  CHECK ((status = 'ended') = (ended_at IS NOT NULL AND end_reason IS NOT NULL));
