-- 003: the jti of every payment message consumed with `consume: true` (API.md "Payment messages"), shared by
-- every replica: the primary key makes "record it unless already there" one atomic INSERT … ON CONFLICT DO
-- NOTHING, so two replicas consuming one message at once see exactly one success. expires_at is when the row may
-- go: by then the message is `expired` for every consumer (src/messages/_freshness.ts), so deleting it never
-- lets a replay in. The index serves the cleanup's bounded batches.
CREATE TABLE message_replays (
  jti text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX message_replays_expires_at ON message_replays (expires_at);
