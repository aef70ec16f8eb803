/**
 * The ledger as one process composes it (DESIGN.md "The ledger"): the SQL store on the shared database, the
 * group-committing appender with its checkpoints, the recorder injected into the key and client services (and
 * handed to the message routes as runtime.recorder), and what the export reads (pages, the key bundle).
 * openRuntime creates it before the key service (mutate() records through it), starts it once the key service
 * exists (the appender signs checkpoints with the ledger key through it) and closes it before the store.
 */
import type { Config } from '../config.ts';
import type { KeyLog } from '../keys/_log.ts';
import type { KeyServiceImpl } from '../keys/key-service.ts';
import type { KeyContext } from '../keys/mutate.ts';
import type { TransactionalRecorder } from '../keys/recorder.ts';
import type { Db } from '../keys/store/db.ts';
import { failureOf } from '../keys/_log.ts';
import { LedgerAppender, type AppenderStats } from '../ledger/appender.ts';
import { buildBundle, type BundleDoc } from '../ledger/bundle.ts';
import type { SignedCheckpoint } from '../ledger/format/checkpoint.ts';
import type { ChainHead } from '../ledger/format/entry.ts';
import { ensureLedgerKey, ledgerSigningKey } from '../ledger/ledger-key.ts';
import { readLedgerPage, type LedgerPage } from '../ledger/page.ts';
import { LedgerRecorder, UNRECORDED } from '../ledger/recorder.ts';
import { SqlLedgerStore } from '../ledger/sql-store.ts';

/** What the API and the CLI see of the ledger (Runtime.ledger). */
export interface RuntimeLedger {
  /** One page of the JSON-lines export: entries from `from` (at most `limit`) and their checkpoints. */
  page(from: number, limit: number): Promise<LedgerPage>;
  /** The offline key bundle (API.md "Audit"). */
  bundle(): Promise<BundleDoc>;
  /** The last committed entry's seq and hash; null for an empty ledger. */
  head(): Promise<ChainHead | null>;
  /** Signs a checkpoint of the current head unless one exists for it; null for an empty ledger. */
  checkpointHead(): Promise<SignedCheckpoint | null>;
  /** Counts since start (for /metrics). */
  stats(): AppenderStats;
}

export interface ComposedLedger {
  readonly recorder: TransactionalRecorder;
  readonly ledger: RuntimeLedger;
  /** Once the key service exists: makes sure the ledger key exists (first start) and lets checkpoints use it. */
  start(ctx: KeyContext, keys: KeyServiceImpl): Promise<void>;
  /** Writes what is queued and the pending checkpoints; later records are refused with `unavailable`. */
  close(): Promise<void>;
}

/**
 * `off` is the benchmark's ledger-off baseline only (scripts/bench-server.ts): nothing is recorded. No
 * configuration, environment variable or command line reaches it.
 */
export function composeLedger(db: Db, config: Config, log: KeyLog, mode: 'on' | 'off' = 'on'): ComposedLedger {
  const store = new SqlLedgerStore(db);
  let keys: KeyServiceImpl | null = null;
  const appender = new LedgerAppender(store, {
    checkpointEvery: config.ledgerCheckpointEvery ?? 1000,
    checkpointSeconds: config.ledgerCheckpointSeconds ?? 60,
    ledgerKey: () => {
      if (keys === null) throw new Error('the ledger key is not available before the key service started');
      return ledgerSigningKey(keys);
    },
    // The entries are durable; only the signature over them is late (the next checkpoint covers them too).
    onError: (e) => log.error({ code: failureOf(e).code, error: failureOf(e).message }, 'ledger checkpoint failed; the next one covers these entries'),
  });
  const recorder = mode === 'off' ? UNRECORDED : new LedgerRecorder(appender, store);
  return {
    recorder,
    ledger: {
      page: (from, limit) => readLedgerPage(store, from, limit),
      bundle: () => buildBundle(db),
      head: () => store.head(),
      async checkpointHead() {
        const [head, last] = await Promise.all([store.head(), store.lastCheckpoint()]);
        if (head === null) return null;
        if (last !== null && last.checkpoint.seq >= head.seq) return last;
        return appender.checkpointNow();
      },
      stats: () => appender.stats(),
    },
    async start(ctx, service) {
      keys = service;
      await ensureLedgerKey(ctx);
    },
    close: () => appender.close(),
  };
}
