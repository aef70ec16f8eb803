/**
 * All SQL about the ledger (migration 004): entries, the one-row head and signed checkpoints. The chaining itself
 * (seq, prev, hash) is computed by src/ledger/format/entry.ts and handed in as `chain`: this file only holds the
 * head lock, stores what it is given and reads it back, so the same SQL serves PostgreSQL and PGlite.
 */
import { PaysealError } from '../../errors.ts';
import type { Queryable, Row } from './db.ts';

/** An entry as stored: exactly the members of a ledger entry (src/ledger/format/entry.ts). */
export interface LedgerRow {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly op: string;
  readonly key: string | null;
  readonly key_version: number | null;
  readonly input_sha256: string | null;
  readonly output_sha256: string | null;
  readonly prev: string;
  readonly hash: string;
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

// seq is read as text (bigint; pg would parse it as a string anyway). ORDER BY names the table's column, since an
// output column named seq (the text) would sort '10' before '2'.
const ENTRY_COLUMNS = 'seq::text AS seq, ts, actor, op, key, key_version, input_sha256, output_sha256, prev, hash';
const CHECKPOINT_COLUMNS = 'seq::text AS seq, hash, ts, key, key_version, signature';
/** unique_violation (PostgreSQL Appendix A). */
const UNIQUE_VIOLATION = '23505';

function entryRow(r: Row): LedgerRow {
  const nullable = (v: unknown) => (v === null ? null : String(v));
  return {
    seq: Number(r.seq),
    ts: String(r.ts),
    actor: String(r.actor),
    op: String(r.op),
    key: nullable(r.key),
    key_version: r.key_version === null ? null : Number(r.key_version),
    input_sha256: nullable(r.input_sha256),
    output_sha256: nullable(r.output_sha256),
    prev: String(r.prev),
    hash: String(r.hash),
  };
}

function checkpointRow(r: Row): CheckpointRow {
  return { seq: Number(r.seq), hash: String(r.hash), ts: String(r.ts), key: String(r.key), key_version: Number(r.key_version), signature: String(r.signature) };
}

const INSERT_COLUMNS = 'seq, ts, actor, op, key, key_version, input_sha256, output_sha256, prev, hash';
const UNNEST_ROWS = 'unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::text[], $8::text[], $9::text[], $10::text[])';
/** 32 zero bytes: the head row's hash before the first entry. */
const EMPTY_HEAD = { seq: 0, hash: '0'.repeat(64) };

/** The ten columns as arrays, $1..$10 of UNNEST_ROWS. */
function columns(rows: readonly LedgerRow[]): unknown[][] {
  const column = <K extends keyof LedgerRow>(k: K) => rows.map((r) => r[k]);
  return [column('seq'), column('ts'), column('actor'), column('op'), column('key'), column('key_version'), column('input_sha256'), column('output_sha256'), column('prev'), column('hash')];
}

/**
 * The one-statement append (group commit's fast path): moves the head from `expected` to the last of `rows` and
 * inserts `rows`, in one statement (its own transaction), only if the head is still `expected`. The UPDATE takes
 * the head row's lock; a concurrent append from another process waits for it and then finds the head moved
 * (PostgreSQL re-checks the WHERE on the row's newest version), so it inserts nothing. Returns false when the
 * head was not `expected`: re-read it, chain again, retry.
 */
export async function appendIfHead(q: Queryable, expected: LedgerHeadRow | null, rows: readonly LedgerRow[]): Promise<boolean> {
  const last = rows.at(-1);
  if (last === undefined) return true;
  const from = expected ?? EMPTY_HEAD;
  const inserted = await q.query(
    `WITH moved AS (UPDATE ledger_head SET seq = $11, hash = $12 WHERE seq = $13 AND hash = $14 RETURNING 1)
     INSERT INTO ledger_entries (${INSERT_COLUMNS}) SELECT * FROM ${UNNEST_ROWS} WHERE EXISTS (SELECT 1 FROM moved) RETURNING 1 AS one`,
    [...columns(rows), last.seq, last.hash, from.seq, from.hash],
  );
  if (inserted.length !== 0 && inserted.length !== rows.length) throw new PaysealError('internal', `the ledger append inserted ${inserted.length} of ${rows.length} entries`);
  return inserted.length === rows.length;
}

/**
 * Inside the caller's transaction: locks the head row (every other append, from any process, waits here until
 * this transaction ends), asks `chain` for the entries that follow the head (null: the ledger is empty), inserts
 * them and moves the head. They commit or roll back with the caller's transaction.
 */
export async function appendLedgerRows(tx: Queryable, chain: (head: LedgerHeadRow | null) => readonly LedgerRow[]): Promise<readonly LedgerRow[]> {
  const heads = await tx.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM ledger_head FOR UPDATE');
  const head = heads[0];
  if (head === undefined) throw new PaysealError('internal', 'the ledger head row is missing');
  const rows = chain(Number(head.seq) === 0 ? null : { seq: Number(head.seq), hash: head.hash });
  const last = rows.at(-1);
  if (last === undefined) return rows;
  // One statement for the whole batch: unnest of one array per column (a batch may hold a thousand entries).
  await tx.query(`INSERT INTO ledger_entries (${INSERT_COLUMNS}) SELECT * FROM ${UNNEST_ROWS}`, columns(rows));
  await tx.query('UPDATE ledger_head SET seq = $1, hash = $2', [last.seq, last.hash]);
  return rows;
}

/** The last committed entry's seq and hash, null for an empty ledger. */
export async function selectLedgerHead(q: Queryable): Promise<LedgerHeadRow | null> {
  const rows = await q.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM ledger_head');
  const head = rows[0];
  return head === undefined || Number(head.seq) === 0 ? null : { seq: Number(head.seq), hash: head.hash };
}

/** Committed entries with seq >= from, in seq order, at most `limit`. */
export async function selectLedgerEntries(q: Queryable, from: number, limit: number): Promise<LedgerRow[]> {
  return (await q.query(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE seq >= $1 ORDER BY ledger_entries.seq LIMIT $2`, [from, limit])).map(entryRow);
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
