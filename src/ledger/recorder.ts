/**
 * The OperationRecorder of src/keys/recorder.ts, as the runtime injects it into the key, client and message
 * services: signings are group-committed through the appender (record: resolves once durable, `unavailable`
 * otherwise); key and client changes are written inside their own transaction (recordIn, called by mutate()),
 * so a change and its entry commit together, and the appender hears of them after the commit for its
 * checkpoints.
 *
 * UNRECORDED is the benchmark's ledger-off baseline (RuntimeOptions.ledger, which no configuration, variable or
 * command reaches): it records nothing and must never serve.
 */
import type { OperationRecord, TransactionalRecorder } from '../keys/recorder.ts';
import type { Queryable } from '../keys/store/db.ts';
import type { LedgerAppender } from './appender.ts';
import { checkDraft } from './format/entry.ts';
import type { SqlLedgerStore } from './sql-store.ts';

export class LedgerRecorder implements TransactionalRecorder {
  constructor(
    private readonly appender: LedgerAppender,
    private readonly store: SqlLedgerStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(records: readonly OperationRecord[]): Promise<void> {
    return this.appender.record(records);
  }

  async recordIn(tx: Queryable, records: readonly OperationRecord[]): Promise<() => void> {
    const ts = this.now().toISOString();
    const entries = await this.store.appendIn(tx, records.map((r) => checkDraft({ ts, ...r })));
    return () => {
      this.store.noteCommitted(entries);
      this.appender.committed(entries);
    };
  }
}

export const UNRECORDED: TransactionalRecorder = Object.freeze({
  record: async () => {},
  recordIn: async () => () => {},
});
