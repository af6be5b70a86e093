-- Change notifications for the caches of authenticated reads (sessions, accounts,
-- the Spaces of a user). Every instance serving this platform store LISTENs on
-- `kith_platform_changes` and drops what a notification names, so a session
-- ended, an account disabled or a membership changed by any instance (or by hand
-- in the database) is never served from another instance's memory. Payloads:
-- `user:<uuid>` (that account's sessions, state and memberships) or `all`.
-- Touches of `sessions.last_seen_at` do not notify: they are not a change of state.
CREATE FUNCTION kith_notify_user_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('kith_platform_changes', 'user:' || OLD.user_id::text);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('kith_platform_changes', 'user:' || NEW.user_id::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION kith_notify_account_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kith_platform_changes', 'user:' || OLD.id::text);
  RETURN NULL;
END
$$;

CREATE FUNCTION kith_notify_all_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kith_platform_changes', 'all');
  RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changed
  AFTER UPDATE OF ended_at, end_reason, expires_at, token_hash, user_id OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION kith_notify_user_change();

CREATE TRIGGER memberships_changed
  AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION kith_notify_user_change();

CREATE TRIGGER users_changed
  AFTER UPDATE OF id, name, email, password_hash, disabled_at OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION kith_notify_account_change();

CREATE TRIGGER spaces_changed
  AFTER UPDATE OR DELETE ON spaces
  FOR EACH STATEMENT EXECUTE FUNCTION kith_notify_all_changed();
