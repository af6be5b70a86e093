-- sales store: the operator's sales pipeline (SPEC 4.7), used by sales staff only
-- and never linked to support data. Internal data: `space_id` and the staff ids
-- are opaque ids from other stores, never foreign keys.

CREATE TABLE organisations (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  website text CHECK (website IS NULL OR length(website) <= 300),
  country text CHECK (country IS NULL OR country ~ '^[A-Z]{2}$'),
  -- The customer's Space once they sign (an opaque id of the platform registry).
  space_id uuid,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX organisations_by_time ON organisations (created_at DESC, id DESC);

CREATE TABLE leads (
  id uuid PRIMARY KEY,
  organisation_id uuid REFERENCES organisations (id) ON DELETE CASCADE,
  contact_name text NOT NULL CHECK (length(contact_name) BETWEEN 1 AND 200),
  contact_email text CHECK (contact_email IS NULL OR length(contact_email) <= 254),
  status text NOT NULL CHECK (status IN ('new', 'qualified', 'converted', 'lost')),
  source text CHECK (source IS NULL OR length(source) <= 200),
  owner_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX leads_by_time ON leads (created_at DESC, id DESC);
CREATE INDEX leads_by_organisation ON leads (organisation_id);

CREATE TABLE deals (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  stage text NOT NULL CHECK (stage IN ('prospect', 'proposal', 'negotiation', 'won', 'lost')),
  amount_cents bigint CHECK (amount_cents IS NULL OR amount_cents >= 0),
  currency text CHECK (currency IS NULL OR currency ~ '^[A-Z]{3}$'),
  close_date date,
  owner_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX deals_by_time ON deals (created_at DESC, id DESC);
CREATE INDEX deals_by_organisation ON deals (organisation_id);

CREATE TABLE notes (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  author_id uuid NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX notes_by_organisation ON notes (organisation_id, created_at DESC, id DESC);
