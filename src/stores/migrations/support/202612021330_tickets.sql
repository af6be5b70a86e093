-- support store: tickets and their messages (SPEC 4.7), used by support staff
-- only and never linked to sales data. `requester_user_id` and the staff ids are
-- opaque ids from other stores, never foreign keys.

CREATE TABLE tickets (
  id uuid PRIMARY KEY,
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
  requester_email text NOT NULL CHECK (length(requester_email) BETWEEN 3 AND 254),
  requester_user_id uuid,
  status text NOT NULL CHECK (status IN ('open', 'pending', 'solved', 'closed')),
  priority text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  assignee_id uuid,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX tickets_by_time ON tickets (created_at DESC, id DESC);

CREATE TABLE ticket_messages (
  ticket_id uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  author_type text NOT NULL CHECK (author_type IN ('staff', 'requester')),
  author_id uuid,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (ticket_id, id)
);
CREATE INDEX ticket_messages_by_time ON ticket_messages (ticket_id, created_at, id);
