-- 005: who holds which KEK, and API client token expiry. Never edit once landed.

-- Every running service announces the KEKs it holds (a heartbeat row, refreshed every few seconds and removed at
-- a clean stop), so `payseal kek rotate` can refuse while a live replica still holds only the KEK it would
-- retire, and wait for replicas that pick a staged KEK up themselves (the embedded service owning data/kek).
CREATE TABLE kek_holders (
  holder      text PRIMARY KEY,
  host        text NOT NULL,
  pid         integer NOT NULL,
  current_kek text NOT NULL,
  kek_ids     text[] NOT NULL,
  adopts      boolean NOT NULL DEFAULT false,
  seen_at     timestamptz NOT NULL DEFAULT now()
);

-- An optional expiry per token, and the lifetime it was issued with ("90d"), which rotate-token reuses.
ALTER TABLE clients ADD COLUMN expires_at timestamptz;
ALTER TABLE clients ADD COLUMN token_lifetime text;
