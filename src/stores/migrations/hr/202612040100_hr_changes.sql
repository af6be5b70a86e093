-- Change notifications for the staff-session cache (the hr twin of the platform
-- store's 202612030100_platform_changes). Every instance LISTENs on
-- `kith_hr_changes` and drops what a notification names, so a staff session
-- ended, a staff account disabled, or a contract ended or changed (role, name,
-- end date) by any instance, by the contract sweep or by hand in the database
-- is never served from another instance's memory. Payloads: `staff:<uuid>` (that
-- staff member's sessions, account and contract) or `all`.
-- Touches of `staff_sessions.last_seen_at` do not notify: they are not a change of state.
CREATE FUNCTION kith_notify_staff_session_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kith_hr_changes', 'staff:' || OLD.staff_id::text);
  IF TG_OP = 'UPDATE' AND NEW.staff_id IS DISTINCT FROM OLD.staff_id THEN
    PERFORM pg_notify('kith_hr_changes', 'staff:' || NEW.staff_id::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION kith_notify_staff_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kith_hr_changes', 'staff:' || OLD.id::text);
  IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
    PERFORM pg_notify('kith_hr_changes', 'staff:' || NEW.id::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER staff_sessions_changed
  AFTER UPDATE OF ended_at, end_reason, expires_at, token_hash, staff_id OR DELETE ON staff_sessions
  FOR EACH ROW EXECUTE FUNCTION kith_notify_staff_session_change();

CREATE TRIGGER staff_accounts_changed
  AFTER UPDATE OF staff_id, password_hash, disabled_at OR DELETE ON staff_accounts
  FOR EACH ROW EXECUTE FUNCTION kith_notify_staff_session_change();

CREATE TRIGGER staff_changed
  AFTER UPDATE OF id, name, role, end_date OR DELETE ON staff
  FOR EACH ROW EXECUTE FUNCTION kith_notify_staff_change();
