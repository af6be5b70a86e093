-- Contacts of a Space, their tags and consents, and the Space's custom field
-- definitions. Keys, uniques and references all carry space_id (SPEC 3).

CREATE TABLE contacts (
  space_id uuid NOT NULL,
  id uuid NOT NULL,
  first_name text,
  last_name text,
  email text,
  phone text,
  street text,
  postcode text,
  city text,
  country text CHECK (country ~ '^[A-Z]{2}$'),
  custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(custom_fields) = 'object'),
  do_not_contact boolean NOT NULL DEFAULT false,
  do_not_sell boolean NOT NULL DEFAULT false,
  -- The member (platform user id) who created it: volunteers see only their own.
  created_by uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  -- Normalised copies for search (NFKD, no diacritics, lower case; phone: digits
  -- only), written by the application with every change. "C" collation: the
  -- order and the keyset comparison are byte order, identical on every engine.
  first_name_search text COLLATE "C" NOT NULL DEFAULT '',
  last_name_search text COLLATE "C" NOT NULL DEFAULT '',
  -- "first last": a prefix of it matches the first name and the full name.
  name_search text COLLATE "C" NOT NULL DEFAULT '',
  email_search text COLLATE "C" NOT NULL DEFAULT '',
  phone_search text COLLATE "C" NOT NULL DEFAULT '',
  PRIMARY KEY (space_id, id),
  FOREIGN KEY (space_id) REFERENCES spaces (space_id) ON DELETE CASCADE
);

-- The list order, and the keyset that pages through it.
CREATE INDEX contacts_by_name ON contacts (space_id, last_name_search, first_name_search, id);
CREATE INDEX contacts_by_creator ON contacts (space_id, created_by, last_name_search, first_name_search, id);
-- Prefix search (LIKE 'x%').
CREATE INDEX contacts_name_prefix ON contacts (space_id, name_search text_pattern_ops);
CREATE INDEX contacts_last_name_prefix ON contacts (space_id, last_name_search text_pattern_ops);
CREATE INDEX contacts_email_prefix ON contacts (space_id, email_search text_pattern_ops);
CREATE INDEX contacts_phone_prefix ON contacts (space_id, phone_search text_pattern_ops) WHERE phone_search <> '';

CREATE TABLE contact_tags (
  space_id uuid NOT NULL,
  contact_id uuid NOT NULL,
  tag text NOT NULL CHECK (length(tag) BETWEEN 1 AND 64),
  PRIMARY KEY (space_id, contact_id, tag),
  FOREIGN KEY (space_id, contact_id) REFERENCES contacts (space_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_tags_by_tag ON contact_tags (space_id, tag, contact_id);

-- One row per channel a status was ever given for; a missing row means 'unknown'
-- with no source. Source and time say where the current status came from.
CREATE TABLE contact_consents (
  space_id uuid NOT NULL,
  contact_id uuid NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'phone')),
  status text NOT NULL CHECK (status IN ('granted', 'denied', 'unknown')),
  source text NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
  at timestamptz NOT NULL,
  PRIMARY KEY (space_id, contact_id, channel),
  FOREIGN KEY (space_id, contact_id) REFERENCES contacts (space_id, id) ON DELETE CASCADE
);

-- A deleted definition keeps its key (deleted_at set): contacts' values under it
-- stay in their history, and the key is never given another meaning.
CREATE TABLE custom_field_definitions (
  space_id uuid NOT NULL,
  key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  type text NOT NULL CHECK (type IN ('text', 'number', 'date', 'boolean', 'choice')),
  choices jsonb CHECK (choices IS NULL OR jsonb_typeof(choices) = 'array'),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (space_id, key),
  FOREIGN KEY (space_id) REFERENCES spaces (space_id) ON DELETE CASCADE,
  CHECK ((type = 'choice') = (choices IS NOT NULL))
);
