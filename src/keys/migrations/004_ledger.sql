-- 004: the hash-chained signing ledger (DESIGN.md "The ledger"; formats in src/ledger/format/). One chain for
-- every replica: each append transaction locks the one row of ledger_head FOR UPDATE, reads the head, inserts
-- the entries that follow it and moves the head, so batches from any number of processes form one sequence.
-- Values are stored exactly as they are hashed (ts as the ISO string, digests and hashes as lowercase hex), so
-- an export rebuilt from these rows re-hashes to the same chain.

CREATE TABLE ledger_entries (
  seq           bigint PRIMARY KEY CHECK (seq >= 1),
  ts            text NOT NULL,
  actor         text NOT NULL,
  op            text NOT NULL,
  key           text,
  key_version   integer,
  input_sha256  text,
  output_sha256 text,
  prev          text NOT NULL,
  hash          text NOT NULL
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

-- Append-only: an UPDATE or DELETE of an entry or a checkpoint does nothing. (Not a defence against the
-- database's owner, who can drop the rules: that is what the hash chain and the checkpoints are for.)
CREATE RULE ledger_entries_no_update AS ON UPDATE TO ledger_entries DO INSTEAD NOTHING;
CREATE RULE ledger_entries_no_delete AS ON DELETE TO ledger_entries DO INSTEAD NOTHING;
CREATE RULE ledger_checkpoints_no_update AS ON UPDATE TO ledger_checkpoints DO INSTEAD NOTHING;
CREATE RULE ledger_checkpoints_no_delete AS ON DELETE TO ledger_checkpoints DO INSTEAD NOTHING;
