-- 004: the hash-chained signing ledger (DESIGN.md "The ledger"; formats in src/ledger/format/). One chain for
-- every replica: each append moves the one row of ledger_head under its row lock, from the head it chained
-- after to its own last entry, in the same transaction that stores its entries, so appends from any number of
-- processes form one sequence.
--
-- Entries are stored one row per appended batch (a group commit, or a key change's own entry): the batch's
-- export lines exactly as GET /v1/ledger serves them (src/ledger/format/export.ts), so one commit writes one
-- tuple and one index entry however many signatures it carries. The view ledger_entries shows them one row
-- per entry, for SQL investigations.

CREATE TABLE ledger_batches (
  first_seq bigint PRIMARY KEY CHECK (first_seq >= 1),
  last_seq  bigint NOT NULL CHECK (last_seq >= first_seq),
  -- One JSON object per entry, in seq order, each line ending in a newline.
  lines     text NOT NULL
);

-- One row: the last committed entry (seq 0 and 32 zero bytes before the first).
CREATE TABLE ledger_head (
  id   boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq  bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO ledger_head (id, seq, hash) VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Signed checkpoints of the head; one per seq (a second replica signing the same seq is ignored).
CREATE TABLE ledger_checkpoints (
  seq         bigint PRIMARY KEY,
  hash        text NOT NULL,
  ts          text NOT NULL,
  key         text NOT NULL,
  key_version integer NOT NULL,
  signature   text NOT NULL
);

-- Append-only: an UPDATE or DELETE of a batch or a checkpoint does nothing. (Not a defence against the
-- database's owner, who can drop the rules: that is what the hash chain and the checkpoints are for.)
CREATE RULE ledger_batches_no_update AS ON UPDATE TO ledger_batches DO INSTEAD NOTHING;
CREATE RULE ledger_batches_no_delete AS ON DELETE TO ledger_batches DO INSTEAD NOTHING;
CREATE RULE ledger_checkpoints_no_update AS ON UPDATE TO ledger_checkpoints DO INSTEAD NOTHING;
CREATE RULE ledger_checkpoints_no_delete AS ON DELETE TO ledger_checkpoints DO INSTEAD NOTHING;

-- Every entry as a row (read-only: a view over the batches' lines).
CREATE VIEW ledger_entries AS
  SELECT e.seq, e.ts, e.actor, e.op, e.key, e.key_version, e.input_sha256, e.output_sha256, e.prev, e.hash
  FROM ledger_batches b,
  LATERAL json_to_recordset(('[' || replace(rtrim(b.lines, E'\n'), E'\n', ',') || ']')::json)
    AS e(seq bigint, ts text, actor text, op text, key text, key_version integer, input_sha256 text, output_sha256 text, prev text, hash text);
