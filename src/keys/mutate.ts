/**
 * mutate(), the one way to change the store: one transaction that also writes the change's ledger entries
 * (through the recorder, under the chain's head lock, so the change and its record commit together or not at
 * all) and bumps the change counter (NOTIFY on commit), then drops this process's own caches at once. And
 * KeyContext, what every key and client operation works with: the database, the KEK ring, the change feed and
 * the recorder.
 */
import type { ChangeFeed } from './change-feed.ts';
import type { KekRing } from './kek/kek.ts';
import type { OperationRecord, TransactionalRecorder } from './recorder.ts';
import type { Db, Queryable } from './store/db.ts';

export interface KeyContext {
  readonly db: Db;
  readonly ring: KekRing;
  readonly feed: ChangeFeed;
  /**
   * Pre-publication delay of scheduled rotations of signing keys, in seconds (config
   * PAYSEAL_ROTATION_PUBLISH_FIRST_SECONDS; default 0: the new version signs at once).
   */
  readonly publishFirstSeconds?: number;
  /** Where changes are recorded (src/ledger, composed by src/runtime). */
  readonly recorder: TransactionalRecorder;
}

/** Called by a mutation for each ledger record its change makes; they are written before the commit. */
export type RecordChange = (record: OperationRecord) => void;

export async function mutate<T>(ctx: KeyContext, fn: (tx: Queryable, record: RecordChange) => Promise<T>): Promise<T> {
  const { result, value, after } = await ctx.db.transaction(async (tx) => {
    const records: OperationRecord[] = [];
    const r = await fn(tx, (record) => void records.push(record));
    // Last, so the head lock is held only for the rest of this transaction, not while fn waited on a key's row.
    const afterCommit = records.length > 0 ? await ctx.recorder.recordIn(tx, records) : null;
    return { result: r, value: await ctx.feed.bump(tx), after: afterCommit };
  });
  ctx.feed.changedHere(value);
  after?.();
  return result;
}
