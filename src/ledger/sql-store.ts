/**
 * The LedgerStore and LedgerReader of ledger-store.ts over the shared database (src/keys/store/ledger-rows.ts:
 * the same SQL on PostgreSQL and PGlite). Every append holds the head row's lock until it commits, so the
 * batches of every replica, and the entries key changes write inside their own transactions (appendIn), form
 * one chain.
 *
 * A group-commit batch is one statement (appendIfHead): chained after the head this process last saw, it moves
 * the head and inserts the entries only if the head is still that one, else inserts nothing, and the batch is
 * chained again after the head read afresh. One round trip per batch instead of five matters twice: over the
 * network to PostgreSQL, and on PGlite, whose statements run on the event loop between the requests'
 * callbacks. After FAST_TRIES head moves (replicas appending hard at once) it takes the lock first instead
 * (SELECT ... FOR UPDATE in a transaction), which cannot lose.
 */
import type { Db, Queryable } from '../keys/store/db.ts';
import {
  appendIfHead,
  appendLedgerRows,
  insertCheckpoint,
  selectCheckpoints,
  selectLastCheckpoint,
  selectLedgerEntries,
  selectLedgerHead,
  type CheckpointRow,
  type LedgerHeadRow,
} from '../keys/store/ledger-rows.ts';
import type { SignedCheckpoint } from './format/checkpoint.ts';
import { chainEntries, type ChainHead, type LedgerDraft, type LedgerEntry } from './format/entry.ts';
import type { LedgerReader, LedgerStore } from './ledger-store.ts';

function toSigned(r: CheckpointRow): SignedCheckpoint {
  return { checkpoint: { seq: r.seq, hash: r.hash, ts: r.ts, key: r.key, key_version: r.key_version }, signature: r.signature };
}

/** Optimistic one-statement attempts before a batch takes the head lock first. */
const FAST_TRIES = 3;

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
    // Rows are read back as LedgerEntry: op holds one of LEDGER_OPS because only chainEntries wrote it.
    return (await appendLedgerRows(tx, (head) => chainEntries(head, drafts))) as readonly LedgerEntry[];
  }

  async appendBatch(drafts: readonly LedgerDraft[]): Promise<readonly LedgerEntry[]> {
    try {
      for (let attempt = 0; attempt < FAST_TRIES; attempt++) {
        const head = this.#head !== undefined ? this.#head : await selectLedgerHead(this.db);
        const entries = chainEntries(head, drafts);
        if (await appendIfHead(this.db, head, entries)) {
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
    return (await selectLedgerEntries(this.db, fromSeq, limit)) as LedgerEntry[];
  }

  async checkpoints(fromSeq: number, toSeq: number): Promise<readonly SignedCheckpoint[]> {
    return (await selectCheckpoints(this.db, fromSeq, toSeq)).map(toSigned);
  }
}
