-- Identity: every session of an account, open or ended, by account. The new-device
-- notice asks whether an account has used a user agent before (ended sessions
-- included), and deleting an account cascades to its sessions: both need this
-- index, which the partial `sessions_open_by_user` (open sessions only) is not.
CREATE INDEX sessions_by_user ON sessions (user_id);
