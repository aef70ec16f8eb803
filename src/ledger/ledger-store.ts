/**
 * LedgerStore: where the one chain of every replica lives. The appender (appender.ts) and the export
 * (page.ts) only see this interface; the PostgreSQL/PGlite implementation belongs with the rest of the SQL.
 */
import type { SignedCheckpoint } from './format/checkpoint.ts';
import type { ChainHead, LedgerDraft, LedgerEntry } from './format/entry.ts';

/**
 * Contract:
 * - `appendBatch(drafts)` appends the drafts, in order, to the single chain: in ONE transaction that holds a
 *   lock on the head (e.g. `SELECT ... FOR UPDATE` of a one-row head table), it reads the head, gives the drafts
 *   seq head.seq+1, +2, ... with prev and hash exactly as `chainEntries(head, drafts)` computes them, inserts
 *   them, moves the head and commits. It resolves with the committed entries (same order, same length) only
 *   after COMMIT returned, and throws if the transaction did not commit. All or nothing: it never commits part
 *   of a batch. Any number of replicas may call it at once; the head lock makes their batches one chain.
 * - `head()` is the last committed entry's seq and hash, null for an empty ledger.
 * - `saveCheckpoint(cp)` stores a signed checkpoint; idempotent per `cp.checkpoint.seq` (a second checkpoint of
 *   the same seq, from another replica, is ignored, not an error). It never changes an entry.
 * - `lastCheckpoint()` is the stored checkpoint with the highest seq, null when there is none.
 * Failures throw; the appender turns them into `unavailable` for its callers.
 */
export interface LedgerStore {
  appendBatch(drafts: readonly LedgerDraft[]): Promise<readonly LedgerEntry[]>;
  head(): Promise<ChainHead | null>;
  saveCheckpoint(cp: SignedCheckpoint): Promise<void>;
  lastCheckpoint(): Promise<SignedCheckpoint | null>;
}

/**
 * LedgerReader: what the export reads (GET /v1/ledger, `payseal ledger export`).
 * - `entries(fromSeq, limit)`: committed entries with seq >= fromSeq in seq order, at most `limit`.
 * - `checkpoints(fromSeq, toSeq)`: stored checkpoints with fromSeq <= seq <= toSeq, in seq order.
 */
export interface LedgerReader {
  entries(fromSeq: number, limit: number): Promise<readonly LedgerEntry[]>;
  checkpoints(fromSeq: number, toSeq: number): Promise<readonly SignedCheckpoint[]>;
}
