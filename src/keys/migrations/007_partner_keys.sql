-- 007: keys imported from a partner's public key (verify-only: no private half, origin 'imported'), their
-- X.509 certificate when they came as one, the partner's own key id; rotation with pre-publication (a version
-- published at once that signs only from signs_from); and the RFC 9421 verification policy of a key.
-- Never edit once landed.
ALTER TABLE keys ADD COLUMN origin text NOT NULL DEFAULT 'generated' CHECK (origin IN ('generated', 'imported'));
ALTER TABLE keys ADD COLUMN http_signature_policy jsonb;

-- NULL: the version signs from its creation (every version before 007). Otherwise the instant it takes over
-- signing; every replica computes the signing version from these stored times, never from a timer.
ALTER TABLE key_versions ADD COLUMN signs_from timestamptz;
ALTER TABLE key_versions ADD COLUMN external_kid text;
ALTER TABLE key_versions ADD COLUMN certificate_pem text;
-- subject, issuer, serial, not_before, not_after, fingerprint256 of certificate_pem.
ALTER TABLE key_versions ADD COLUMN certificate jsonb;
