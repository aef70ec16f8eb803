/**
 * All SQL about the ledger (migration 004): batches of entries, the one-row head and signed checkpoints. The
 * chaining itself (seq, prev, hash) and the lines' format are src/ledger's (format/entry.ts, format/export.ts):
 * this file holds the head's lock, stores the batches it is given and reads them back, with the same SQL on
 * PostgreSQL and PGlite.
 */
import { PaysealError } from '../../errors.ts';
import type { Queryable, Row } from './db.ts';

/** One appended batch: entries first_seq..last_seq as export lines (one JSON object per line, each ending in \n). */
export interface LedgerBatchRow {
  readonly first_seq: number;
  readonly last_seq: number;
  /** The hash of entry last_seq: the head once this batch is in. */
  readonly last_hash: string;
  readonly lines: string;
}

export interface LedgerHeadRow {
  readonly seq: number;
  readonly hash: string;
}

export interface CheckpointRow {
  readonly seq: number;
  readonly hash: string;
  readonly ts: string;
  readonly key: string;
  readonly key_version: number;
  readonly signature: string;
}

// bigint columns are read as text (pg would hand them over as strings anyway). ORDER BY names the table's
// column, since an output column named seq (the text) would sort '10' before '2'.
const CHECKPOINT_COLUMNS = 'seq::text AS seq, hash, ts, key, key_version, signature';
/** unique_violation (PostgreSQL Appendix A). */
const UNIQUE_VIOLATION = '23505';
/** 32 zero bytes: the head row's hash before the first entry. */
const EMPTY_HEAD: LedgerHeadRow = { seq: 0, hash: '0'.repeat(64) };

function checkpointRow(r: Row): CheckpointRow {
  return { seq: Number(r.seq), hash: String(r.hash), ts: String(r.ts), key: String(r.key), key_version: Number(r.key_version), signature: String(r.signature) };
}

function checkFollows(batch: LedgerBatchRow, head: LedgerHeadRow): void {
  if (batch.first_seq !== head.seq + 1 || batch.last_seq < batch.first_seq) throw new PaysealError('internal', `a ledger batch ${batch.first_seq}-${batch.last_seq} does not follow the head at ${head.seq}`);
}

/**
 * The one-statement append (group commit's fast path): moves the head from `expected` to the batch's last entry
 * and stores the batch, in one statement (its own transaction), only if the head is still `expected`. The
 * UPDATE takes the head row's lock; a concurrent append from another process waits for it, then finds the head
 * moved (PostgreSQL re-checks the WHERE on the row's newest version) and stores nothing. Returns false when the
 * head was not `expected`: read it again, chain again, retry.
 */
export async function appendIfHead(q: Queryable, expected: LedgerHeadRow | null, batch: LedgerBatchRow): Promise<boolean> {
  const from = expected ?? EMPTY_HEAD;
  checkFollows(batch, from);
  const stored = await q.query(
    `WITH moved AS (UPDATE ledger_head SET seq = $2, hash = $3 WHERE seq = $4 AND hash = $5 RETURNING 1)
     INSERT INTO ledger_batches (first_seq, last_seq, lines) SELECT $1, $2, $6 WHERE EXISTS (SELECT 1 FROM moved) RETURNING 1 AS one`,
    [batch.first_seq, batch.last_seq, batch.last_hash, from.seq, from.hash, batch.lines],
  );
  return stored.length === 1;
}

/**
 * Inside the caller's transaction: locks the head row (every other append, from any process, waits until this
 * transaction ends), asks `chain` for the batch that follows the head (null: the ledger is empty), stores it and
 * moves the head. They commit or roll back with the caller's transaction.
 */
export async function appendLockedBatch(tx: Queryable, chain: (head: LedgerHeadRow | null) => LedgerBatchRow): Promise<LedgerBatchRow> {
  const heads = await tx.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM ledger_head FOR UPDATE');
  const row = heads[0];
  if (row === undefined) throw new PaysealError('internal', 'the ledger head row is missing');
  const head = { seq: Number(row.seq), hash: row.hash };
  const batch = chain(head.seq === 0 ? null : head);
  checkFollows(batch, head);
  await tx.query('INSERT INTO ledger_batches (first_seq, last_seq, lines) VALUES ($1, $2, $3)', [batch.first_seq, batch.last_seq, batch.lines]);
  await tx.query('UPDATE ledger_head SET seq = $1, hash = $2', [batch.last_seq, batch.last_hash]);
  return batch;
}

/** The last committed entry's seq and hash, null for an empty ledger. */
export async function selectLedgerHead(q: Queryable): Promise<LedgerHeadRow | null> {
  const rows = await q.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM ledger_head');
  const head = rows[0];
  return head === undefined || Number(head.seq) === 0 ? null : { seq: Number(head.seq), hash: head.hash };
}

/**
 * The batches holding entries from seq `from` up to (not including) `from + count`, in seq order: the one that
 * contains `from` (the last to start at or before it) and those that start after it, both by the primary key.
 */
export async function selectLedgerBatches(q: Queryable, from: number, count: number): Promise<{ first_seq: number; lines: string }[]> {
  const rows = await q.query<{ first_seq: string; lines: string }>(
    `SELECT first_seq::text AS first_seq, lines FROM ledger_batches
     WHERE first_seq >= (SELECT coalesce(max(first_seq), 1) FROM ledger_batches WHERE first_seq <= $1) AND first_seq < $2
     ORDER BY ledger_batches.first_seq`,
    [from, from + count],
  );
  return rows.map((r) => ({ first_seq: Number(r.first_seq), lines: String(r.lines) }));
}

/** Stores a checkpoint unless one of the same seq exists (another replica signed it first). */
export async function insertCheckpoint(q: Queryable, c: CheckpointRow): Promise<void> {
  try {
    await q.query(
      `INSERT INTO ledger_checkpoints (seq, hash, ts, key, key_version, signature)
       SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM ledger_checkpoints WHERE seq = $1)`,
      [c.seq, c.hash, c.ts, c.key, c.key_version, c.signature],
    );
  } catch (e) {
    // The rules that keep the table append-only rule out ON CONFLICT; a race on the same seq is this error.
    if ((e as { code?: unknown }).code !== UNIQUE_VIOLATION) throw e;
  }
}

export async function selectLastCheckpoint(q: Queryable): Promise<CheckpointRow | null> {
  const rows = await q.query(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY ledger_checkpoints.seq DESC LIMIT 1`);
  return rows[0] ? checkpointRow(rows[0]) : null;
}

/** Checkpoints with from <= seq <= to, in seq order. */
export async function selectCheckpoints(q: Queryable, from: number, to: number): Promise<CheckpointRow[]> {
  return (await q.query(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE seq BETWEEN $1 AND $2 ORDER BY ledger_checkpoints.seq`, [from, to])).map(checkpointRow);
}
