-- hr store: the operator's staff directory and staff accounts (SPEC 4.7).
-- Internal data: nothing here references another store except by opaque id
-- (`space_assignments.space_id` is the id of a Space in the platform registry,
-- never a foreign key).

-- The directory: employees and contractors, whether or not they have an account.
CREATE TABLE staff (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role text NOT NULL CHECK (role IN ('cto', 'account_manager', 'support', 'sales', 'hr')),
  department text NOT NULL CHECK (length(department) BETWEEN 1 AND 100),
  contract_type text NOT NULL CHECK (contract_type IN ('employee', 'contractor')),
  start_date date NOT NULL,
  -- The last day of the contract (inclusive); from the next day (UTC) the account
  -- is refused and its sessions end.
  end_date date CHECK (end_date IS NULL OR end_date >= start_date),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_email_key ON staff (lower(email));
CREATE INDEX staff_by_name ON staff (name, id);

-- Staff accounts: argon2id hashes like platform accounts, but kept here. Staff
-- are not users of the platform store.
CREATE TABLE staff_accounts (
  staff_id uuid PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
  password_hash text NOT NULL,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Staff sessions: opaque tokens known by their SHA-256 only, as platform sessions.
CREATE TABLE staff_sessions (
  id uuid PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  staff_id uuid NOT NULL REFERENCES staff_accounts (staff_id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  user_agent text,
  ip text,
  ended_at timestamptz,
  end_reason text CHECK (end_reason IN ('logout', 'idle', 'expired', 'disabled', 'contract_ended'))
);
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);

-- Which account manager is responsible for which Space (an opaque Space id).
CREATE TABLE space_assignments (
  staff_id uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
  space_id uuid NOT NULL,
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (staff_id, space_id)
);
CREATE INDEX space_assignments_by_space ON space_assignments (space_id);
