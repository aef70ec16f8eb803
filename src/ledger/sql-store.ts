/**
 * The LedgerStore and LedgerReader of ledger-store.ts over the shared database (src/keys/store/ledger-rows.ts:
 * the same SQL on PostgreSQL and PGlite). An append batch is one transaction holding the head row lock, so the
 * batches of every replica, and the entries key changes write inside their own transactions (appendIn), form
 * one chain.
 */
import type { Db, Queryable } from '../keys/store/db.ts';
import {
  appendLedgerRows,
  insertCheckpoint,
  selectCheckpoints,
  selectLastCheckpoint,
  selectLedgerEntries,
  selectLedgerHead,
  type CheckpointRow,
} from '../keys/store/ledger-rows.ts';
import type { SignedCheckpoint } from './format/checkpoint.ts';
import { chainEntries, type ChainHead, type LedgerDraft, type LedgerEntry } from './format/entry.ts';
import type { LedgerReader, LedgerStore } from './ledger-store.ts';

function toSigned(r: CheckpointRow): SignedCheckpoint {
  return { checkpoint: { seq: r.seq, hash: r.hash, ts: r.ts, key: r.key, key_version: r.key_version }, signature: r.signature };
}

export class SqlLedgerStore implements LedgerStore, LedgerReader {
  constructor(private readonly db: Db) {}

  /** Appends inside the caller's transaction (a key change and its entry commit together). */
  async appendIn(tx: Queryable, drafts: readonly LedgerDraft[]): Promise<readonly LedgerEntry[]> {
    // Rows are read back as LedgerEntry: op holds one of LEDGER_OPS because only chainEntries wrote it.
    return (await appendLedgerRows(tx, (head) => chainEntries(head, drafts))) as readonly LedgerEntry[];
  }

  appendBatch(drafts: readonly LedgerDraft[]): Promise<readonly LedgerEntry[]> {
    return this.db.transaction((tx) => this.appendIn(tx, drafts));
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
