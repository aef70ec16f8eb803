/**
 * The ledger appender: group commit over a LedgerStore, and the checkpoints.
 *
 * Concurrent append() calls are gathered, then written with ONE store.appendBatch, so a burst of signatures
 * costs one transaction, not one each. One batch is in flight at a time per appender; the next forms while it
 * commits (group commit: the busier the ledger, the larger the batches). With nothing in flight a draft waits
 * `maxDelayMs` for companions (default 0: only for those that arrive in the same turn of the event loop, so an
 * idle service adds no delay); a batch of `maxBatch` drafts is written at once. A caller's promise resolves only after
 * its batch committed (DESIGN.md "The ledger": a signature is returned only after its entry is durable); when
 * the store fails, every caller of that batch rejects with `unavailable` (503) and none is resolved without
 * its entry.
 *
 * Checkpoints: whichever replica commits the entry whose seq is a multiple of `checkpointEvery` signs that
 * entry (so under load there is one checkpoint per N entries across all replicas, with no coordination); a
 * timer signs the head every `checkpointSeconds` when entries arrived since the last checkpoint (the store
 * ignores a second checkpoint of the same seq). Checkpoints are signed after the callers were answered and
 * never fail an append; their failures go to `onError`.
 */
import { PaysealError } from '../errors.ts';
import { signCheckpoint, type LedgerSigningKey, type SignedCheckpoint } from './format/checkpoint.ts';
import { checkDraft, type ChainHead, type LedgerDraft, type LedgerEntry } from './format/entry.ts';
import type { LedgerStore } from './ledger-store.ts';

export interface AppenderOptions {
  /** With no batch in flight, how long a draft waits for companions (default 0: the rest of this event-loop turn). */
  readonly maxDelayMs?: number;
  /** Drafts per batch; a batch this full is written at once (default 256). A larger appendAll goes alone. */
  readonly maxBatch?: number;
  /** Sign a checkpoint at every seq that is a multiple of this (default 1000). */
  readonly checkpointEvery?: number;
  /** Every this many seconds, sign the head if it is newer than the last checkpoint (default 60; 0: no timer). */
  readonly checkpointSeconds?: number;
  /** The ledger key's current version; asked for at each checkpoint, so a rotation takes effect at once. */
  readonly ledgerKey: () => Promise<LedgerSigningKey>;
  readonly now?: () => Date;
  /** Checkpoint failures (the entries are durable; only the signature over them is late). */
  readonly onError?: (error: unknown) => void;
}

/** Counts since start, for /metrics. */
export interface AppenderStats {
  /** Entries committed through this appender (key changes written in their own transaction are not counted). */
  readonly entries: number;
  /** Group-commit transactions that committed, and those that failed (their callers got `unavailable`). */
  readonly batches: number;
  readonly failed_batches: number;
  readonly checkpoints: number;
  readonly failed_checkpoints: number;
}

interface Unit {
  readonly drafts: readonly LedgerDraft[];
  readonly resolve: (entries: LedgerEntry[]) => void;
  readonly reject: (error: unknown) => void;
}

function unavailable(cause: unknown): PaysealError {
  return new PaysealError('unavailable', 'the ledger could not be written; the operation was not completed', { cause });
}

export class LedgerAppender {
  readonly #store: LedgerStore;
  readonly #maxDelayMs: number;
  readonly #maxBatch: number;
  readonly #every: number;
  readonly #seconds: number;
  readonly #ledgerKey: () => Promise<LedgerSigningKey>;
  readonly #now: () => Date;
  readonly #onError: (error: unknown) => void;
  #queue: Unit[] = [];
  #queued = 0;
  /** Cancels the pending flush, if one is scheduled. */
  #timer: (() => void) | null = null;
  #inFlight: Promise<void> | null = null;
  #checkpoints: Promise<void> = Promise.resolve();
  #interval: NodeJS.Timeout | null = null;
  #closed = false;
  #stats = { entries: 0, batches: 0, failed_batches: 0, checkpoints: 0, failed_checkpoints: 0 };

  constructor(store: LedgerStore, options: AppenderOptions) {
    this.#store = store;
    this.#maxDelayMs = options.maxDelayMs ?? 0;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#every = options.checkpointEvery ?? 1000;
    this.#seconds = options.checkpointSeconds ?? 60;
    this.#ledgerKey = options.ledgerKey;
    this.#now = options.now ?? (() => new Date());
    this.#onError = options.onError ?? (() => {});
    if (this.#seconds > 0) {
      this.#interval = setInterval(() => this.#background(() => this.#timedHead()), this.#seconds * 1000);
      this.#interval.unref();
    }
  }

  stats(): AppenderStats {
    return { ...this.#stats };
  }

  /** Appends one entry; resolves with it once durable, rejects with `unavailable` if it could not be written. */
  async append(draft: LedgerDraft): Promise<LedgerEntry> {
    const [entry] = await this.appendAll([draft]);
    return entry as LedgerEntry;
  }

  /** Appends drafts contiguously and atomically (a batch sign: one entry per item, all or none). */
  appendAll(drafts: readonly LedgerDraft[]): Promise<LedgerEntry[]> {
    if (this.#closed) return Promise.reject(unavailable(new Error('ledger appender closed')));
    if (drafts.length === 0) return Promise.resolve([]);
    let checked: LedgerDraft[];
    try {
      checked = drafts.map(checkDraft);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<LedgerEntry[]>((resolve, reject) => {
      this.#queue.push({ drafts: checked, resolve, reject });
      this.#queued += checked.length;
      if (this.#queued >= this.#maxBatch) this.#flush();
      else if (this.#inFlight === null) this.#timer ??= this.#schedule();
    });
  }

  /**
   * The OperationRecorder contract of the key services (src/keys/recorder.ts on main): stamps each record with
   * the time and appends them as one unit; resolves once all are durable, rejects with `unavailable` otherwise.
   */
  async record(records: readonly Omit<LedgerDraft, 'ts'>[]): Promise<void> {
    const ts = this.#now().toISOString();
    await this.appendAll(records.map((r) => ({ ts, ...r })));
  }

  /** Signs a checkpoint of the current head now (if any entry exists); resolves once it is stored. */
  checkpointNow(): Promise<SignedCheckpoint | null> {
    return this.#queueCheckpoint(async () => this.#store.head());
  }

  /** Writes what is queued, waits for it and for pending checkpoints; later appends are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#interval !== null) clearInterval(this.#interval);
    while (this.#queue.length > 0 || this.#inFlight !== null) {
      this.#flush();
      await this.#inFlight;
    }
    await this.#checkpoints;
  }

  #schedule(): () => void {
    if (this.#maxDelayMs > 0) {
      const t = setTimeout(() => this.#flush(), this.#maxDelayMs);
      return () => clearTimeout(t);
    }
    const i = setImmediate(() => this.#flush());
    return () => clearImmediate(i);
  }

  #flush(): void {
    this.#timer?.();
    this.#timer = null;
    if (this.#inFlight !== null || this.#queue.length === 0) return;
    const units: Unit[] = [];
    let count = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as Unit;
      if (units.length > 0 && count + next.drafts.length > this.#maxBatch) break;
      units.push(this.#queue.shift() as Unit);
      count += next.drafts.length;
    }
    this.#queued -= count;
    this.#inFlight = this.#write(units).finally(() => {
      this.#inFlight = null;
      // Whatever gathered during the write has waited long enough: write it now.
      if (this.#queue.length > 0) this.#flush();
    });
  }

  async #write(units: readonly Unit[]): Promise<void> {
    const drafts = units.flatMap((u) => u.drafts);
    let entries: readonly LedgerEntry[];
    try {
      entries = await this.#store.appendBatch(drafts);
      if (entries.length !== drafts.length) throw new Error(`store committed ${entries.length} entries for ${drafts.length} drafts`);
    } catch (e) {
      this.#stats.failed_batches++;
      const error = unavailable(e);
      for (const u of units) u.reject(error);
      return;
    }
    this.#stats.batches++;
    this.#stats.entries += entries.length;
    let at = 0;
    for (const u of units) {
      u.resolve(entries.slice(at, at + u.drafts.length));
      at += u.drafts.length;
    }
    this.committed(entries);
  }

  /**
   * Entries committed by this process, here or in another transaction (a key change writes its entry in its own
   * transaction): the one whose seq is a multiple of checkpointEvery gets its checkpoint, after the callers.
   */
  committed(entries: readonly LedgerEntry[]): void {
    if (this.#closed && this.#queue.length === 0 && this.#inFlight === null) return;
    for (const e of entries) if (e.seq % this.#every === 0) this.#background(async () => e);
  }

  /** The head, if the timer should sign it: entries arrived (on any replica) since the last checkpoint. */
  async #timedHead(): Promise<ChainHead | null> {
    const [head, last] = await Promise.all([this.#store.head(), this.#store.lastCheckpoint()]);
    return head === null || (last !== null && last.checkpoint.seq >= head.seq) ? null : head;
  }

  /** A checkpoint nobody waits for: its failure goes to onError. */
  #background(target: () => Promise<ChainHead | null>): void {
    this.#queueCheckpoint(target).catch((e: unknown) => {
      this.#stats.failed_checkpoints++;
      this.#onError(e);
    });
  }

  /** Checkpoints run one at a time, after the appends that triggered them were answered. */
  #queueCheckpoint(target: () => Promise<ChainHead | null>): Promise<SignedCheckpoint | null> {
    const run = this.#checkpoints.then(async () => {
      const head = await target();
      if (head === null) return null;
      const cp = await signCheckpoint(head, this.#now(), await this.#ledgerKey());
      await this.#store.saveCheckpoint(cp);
      this.#stats.checkpoints++;
      return cp;
    });
    this.#checkpoints = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
