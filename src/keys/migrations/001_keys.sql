-- 001: key rings, wrapped versions, API clients, the change log the ledger reads, the cache change counter
-- and the KEK check rows. Never edit once landed: add 002_*.sql instead.

CREATE TABLE keys (
  name             text PRIMARY KEY,
  type             text NOT NULL,
  min_version      integer NOT NULL DEFAULT 1 CHECK (min_version >= 1),
  latest_version   integer NOT NULL CHECK (latest_version >= 1),
  rotation_period  text,
  next_rotation_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (min_version <= latest_version)
);

CREATE TABLE key_versions (
  key          text NOT NULL REFERENCES keys (name),
  version      integer NOT NULL CHECK (version >= 1),
  public_pem   text,
  -- AES-256-GCM of the private half (PKCS#8 DER or raw AES key) under the KEK named by kek_id;
  -- both NULL once the version is destroyed.
  wrapped      bytea,
  kek_id       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  destroyed_at timestamptz,
  -- AES-GCM with random 96-bit IVs: at most 2^32 encryptions per key (NIST SP 800-38D §8.3).
  use_count    bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (key, version),
  CHECK ((wrapped IS NULL) = (kek_id IS NULL))
);
CREATE INDEX key_versions_kek_id ON key_versions (kek_id) WHERE wrapped IS NOT NULL;
CREATE INDEX keys_next_rotation_at ON keys (next_rotation_at) WHERE next_rotation_at IS NOT NULL;

CREATE TABLE clients (
  name         text PRIMARY KEY,
  scopes       text[] NOT NULL,
  token_sha256 bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Append-only record of every change (key and client); the ledger turns these into ledger entries.
CREATE TABLE key_events (
  id      bigserial PRIMARY KEY,
  ts      timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor   text NOT NULL,
  op      text NOT NULL,
  key     text,
  version integer,
  detail  jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- One row; bumped by every change so each process's cache can tell it is stale (besides LISTEN/NOTIFY).
CREATE TABLE change_counter (
  id    boolean PRIMARY KEY DEFAULT true CHECK (id),
  value bigint NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (true, 0);

-- A known value wrapped under each accepted KEK: a wrong KEK is caught at start, not at first use.
CREATE TABLE kek_checks (
  kek_id     text PRIMARY KEY,
  wrapped    bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
