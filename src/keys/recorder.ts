/**
 * The one door through which every signing and every key or client change is recorded (DESIGN.md "The
 * ledger"). src/keys declares it; src/ledger implements it (the hash-chained ledger with group commit); the
 * runtime injects the implementation into the key service, the client service and the message service, so
 * the API, the CLI and the scheduler all record through the same path.
 *
 * Contract: `record` resolves only once every record it was given is durable (committed), and rejects with
 * PaysealError('unavailable') otherwise. A caller that signed must not hand the signature out until `record`
 * resolved: a signature without its ledger entry is never issued (API.md "Audit").
 *
 * Key and client changes use `recordIn` (TransactionalRecorder) through mutate(): the entry is written inside
 * the change's own transaction, under the chain's head lock, so a change is committed with its entry or not at
 * all; there is no window in which a change exists unrecorded.
 */
import type { Queryable } from './store/db.ts';

/** What was done. A batch sign is one `sign` record per item. */
export type RecordedOp =
  | 'sign'
  | 'message.sign'
  | 'seal'
  | 'key.create'
  | 'key.rotate'
  | 'key.revoke'
  | 'key.destroy'
  | 'key.configure'
  | 'client.create'
  | 'client.delete';

export interface OperationRecord {
  /** `client:<name>`, `cli:<os user>`, `system:scheduler`, `system:usage-limit`, `system`. */
  readonly actor: string;
  readonly op: RecordedOp;
  /** The key used or changed; for client.* ops the client's name. */
  readonly key: string | null;
  readonly key_version: number | null;
  /** SHA-256, hex, of what each op defines as its input and output (src/ledger/format/digests.ts). */
  readonly input_sha256: string | null;
  readonly output_sha256: string | null;
}

export interface OperationRecorder {
  record(records: readonly OperationRecord[]): Promise<void>;
}

/** A recorder that can also append inside a store transaction (the key and client changes of mutate()). */
export interface TransactionalRecorder extends OperationRecorder {
  /**
   * Appends the records inside `tx`, holding the chain's head lock until `tx` ends; they commit or roll back
   * with it. Resolves to the work to run once `tx` committed (checkpoints); throws when they cannot be written,
   * and the caller's transaction then rolls back.
   */
  recordIn(tx: Queryable, records: readonly OperationRecord[]): Promise<() => void>;
}
