/**
 * The LedgerStore and LedgerReader of ledger-store.ts over the shared database (src/keys/store/ledger-rows.ts:
 * the same SQL on PostgreSQL and PGlite). Every append moves the one head row under its lock in the
 * transaction that stores its entries, so the batches of every replica, and the entries key changes write
 * inside their own transactions (appendIn), form one chain. A batch is stored as one row holding its export
 * lines (format/export.ts): one tuple per commit, however many signatures it carries.
 *
 * A group-commit batch is one statement (appendIfHead): chained after the head this process last saw, it moves
 * the head and stores the batch only if the head is still that one, else stores nothing, and the batch is
 * chained again after the head read afresh. One round trip per batch instead of five matters twice: over the
 * network to PostgreSQL, and on PGlite, whose statements run on the event loop between the requests'
 * callbacks. After FAST_TRIES head moves (replicas appending hard at once) it takes the lock first instead
 * (SELECT ... FOR UPDATE in a transaction), which cannot lose.
 */
import { PaysealError } from '../errors.ts';
import type { Db, Queryable } from '../keys/store/db.ts';
import {
  appendIfHead,
  appendLockedBatch,
  insertCheckpoint,
  selectCheckpoints,
  selectLastCheckpoint,
  selectLedgerBatches,
  selectLedgerHead,
  type CheckpointRow,
  type LedgerBatchRow,
  type LedgerHeadRow,
} from '../keys/store/ledger-rows.ts';
import type { SignedCheckpoint } from './format/checkpoint.ts';
import { chainEntries, parseEntry, type ChainHead, type LedgerDraft, type LedgerEntry } from './format/entry.ts';
import { formatEntryLine } from './format/export.ts';
import type { LedgerReader, LedgerStore } from './ledger-store.ts';

/** Optimistic one-statement attempts before a batch takes the head lock first. */
const FAST_TRIES = 3;

function toSigned(r: CheckpointRow): SignedCheckpoint {
  return { checkpoint: { seq: r.seq, hash: r.hash, ts: r.ts, key: r.key, key_version: r.key_version }, signature: r.signature };
}

/** A stored line, checked on the way out like an export line; a malformed one is a damaged store, not bad input. */
function storedEntry(line: string, seq: number): LedgerEntry {
  try {
    return parseEntry(JSON.parse(line));
  } catch {
    throw new PaysealError('internal', `the stored ledger line of seq ${seq} is malformed`);
  }
}

function batchOf(entries: readonly LedgerEntry[]): LedgerBatchRow {
  const first = entries[0] as LedgerEntry;
  const last = entries.at(-1) as LedgerEntry;
  let lines = '';
  for (const e of entries) lines += formatEntryLine(e) + '\n';
  return { first_seq: first.seq, last_seq: last.seq, last_hash: last.hash, lines };
}

export class SqlLedgerStore implements LedgerStore, LedgerReader {
  /** The head as this process last committed or read it; undefined: read it before the next append. */
  #head: LedgerHeadRow | null | undefined = undefined;

  constructor(private readonly db: Db) {}

  /** A head committed elsewhere in this process (a key change's own transaction): the next batch chains after it. */
  noteCommitted(entries: readonly LedgerEntry[]): void {
    const last = entries.at(-1);
    if (last !== undefined && (this.#head === undefined || this.#head === null || last.seq > this.#head.seq)) this.#head = { seq: last.seq, hash: last.hash };
  }

  /** Appends inside the caller's transaction (a key change and its entry commit together). */
  async appendIn(tx: Queryable, drafts: readonly LedgerDraft[]): Promise<readonly LedgerEntry[]> {
    if (drafts.length === 0) return [];
    let entries: LedgerEntry[] = [];
    await appendLockedBatch(tx, (head) => batchOf((entries = chainEntries(head, drafts))));
    return entries;
  }

  async appendBatch(drafts: readonly LedgerDraft[]): Promise<readonly LedgerEntry[]> {
    if (drafts.length === 0) return [];
    try {
      for (let attempt = 0; attempt < FAST_TRIES; attempt++) {
        const head = this.#head !== undefined ? this.#head : await selectLedgerHead(this.db);
        const entries = chainEntries(head, drafts);
        if (await appendIfHead(this.db, head, batchOf(entries))) {
          this.noteCommitted(entries);
          return entries;
        }
        this.#head = undefined; // another process appended: read the head again
      }
      const entries = await this.db.transaction((tx) => this.appendIn(tx, drafts));
      this.noteCommitted(entries);
      return entries;
    } catch (e) {
      // Whether the statement committed is unknown (a connection lost at COMMIT): read the head next time.
      this.#head = undefined;
      throw e;
    }
  }

  head(): Promise<ChainHead | null> {
    return selectLedgerHead(this.db);
  }

  async saveCheckpoint(cp: SignedCheckpoint): Promise<void> {
    await insertCheckpoint(this.db, { ...cp.checkpoint, signature: cp.signature });
  }

  async lastCheckpoint(): Promise<SignedCheckpoint | null> {
    const row = await selectLastCheckpoint(this.db);
    return row === null ? null : toSigned(row);
  }

  async entries(fromSeq: number, limit: number): Promise<readonly LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    for (const batch of await selectLedgerBatches(this.db, fromSeq, limit)) {
      let seq = batch.first_seq;
      for (const line of batch.lines.split('\n')) {
        if (line === '' || seq++ < fromSeq) continue;
        if (out.length === limit) return out;
        out.push(storedEntry(line, seq - 1));
      }
    }
    return out;
  }

  async checkpoints(fromSeq: number, toSeq: number): Promise<readonly SignedCheckpoint[]> {
    return (await selectCheckpoints(this.db, fromSeq, toSeq)).map(toSigned);
  }
}
