-- 006: per-key verification policy for ECDSA (issue 11). low_s_only: verify accepts only low-S signatures in the
-- requested encoding exactly, so a signature has one accepted form for callers that deduplicate on it. Signing
-- is low-S for every key regardless; the default (false) keeps accepting high-S signatures made elsewhere.
ALTER TABLE keys ADD COLUMN low_s_only boolean NOT NULL DEFAULT false;
