/**
 * The runtime's Prometheus metrics: what the rooms below the HTTP layer report (the rotation scheduler, the age
 * of each key's newest version, and, registered by their owners, the ledger and the replay guard). Two
 * prom-client registries, because a process may be one of several cluster workers (src/api/cluster/):
 *
 * - `process`: series this process counts itself (counters, histograms). In cluster mode the primary sums
 *   them over the workers on every scrape, so a metric registered here must mean something when summed (or
 *   declare another prom-client `aggregator`: 'max', 'min', 'average', 'first'). The ledger registers here.
 * - `store`: gauges read from the database at scrape time, the same in every process: collected only by the
 *   process that answers the scrape, so they are never multiplied by the number of workers.
 *
 * How a room registers a metric: the runtime hands it the registry and the room creates its own prom-client
 * metric with `registers: [registry]` and a `payseal_` name reserved for it in docs/OPERATIONS.md. Nothing
 * registers itself on import, and nothing here is a placeholder: every series is fed.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { parseRotationPeriod } from '../grammar.ts';
import type { SchedulerStats } from '../keys/rotation-scheduler.ts';
import type { KeyInfo } from '../keys/types.ts';
import type { AppenderStats } from '../ledger/appender.ts';

export interface RuntimeMetrics {
  /** Counted per process; summed over cluster workers. */
  readonly process: Registry;
  /** Read from the store when scraped; collected once per scrape, by the answering process. */
  readonly store: Registry;
}

export interface RuntimeMetricSources {
  readonly scheduler: { stats(): SchedulerStats } | null;
  /** The ledger's group commit and checkpoints in this process (src/ledger/appender.ts). */
  readonly ledger?: { stats(): AppenderStats } | null;
  /** Every key with its versions (KeyService.list); read at most once per scrape. */
  readonly listKeys: () => Promise<readonly KeyInfo[]>;
  /** Bound on a scrape's wait for the store; on timeout or failure the previous values stay. */
  readonly storeTimeoutMs?: number;
}

/**
 * A counter whose values another component keeps (monotonic counts since start): each scrape copies them,
 * one series per label value (reset + inc keeps the metric a counter).
 */
function mirrorCounter(registry: Registry, name: string, help: string, label: string, read: () => Record<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, n] of Object.entries(read())) this.inc({ [label]: value }, n);
    },
  });
}

interface KeyAgeSample {
  readonly key: string;
  readonly ageSeconds: number;
  readonly periodSeconds: number | null;
}

/** The newest version's age and the rotation period of every key, from KeyInfo (timestamps of the store's clock). */
export function keyAgeSamples(keys: readonly KeyInfo[], nowMs: number): KeyAgeSample[] {
  const out: KeyAgeSample[] = [];
  for (const k of keys) {
    const newest = k.versions.find((v) => v.version === k.latest_version);
    if (!newest) continue;
    const periodMs = k.rotation_period === null ? null : parseRotationPeriod(k.rotation_period);
    out.push({ key: k.name, ageSeconds: Math.max(0, (nowMs - Date.parse(newest.created_at)) / 1000), periodSeconds: periodMs === null ? null : periodMs / 1000 });
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the store within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function createRuntimeMetrics(sources: RuntimeMetricSources): RuntimeMetrics {
  const process = new Registry();
  const store = new Registry();
  const scheduler = sources.scheduler;
  if (scheduler) {
    mirrorCounter(process, 'payseal_rotation_rounds_total', 'Scheduled-rotation rounds of this replica: ran (won the advisory lock), skipped (another replica held it), error (database away)', 'result', () => {
      const s = scheduler.stats();
      return { ran: s.rounds, skipped: s.skipped, error: s.errors };
    });
    mirrorCounter(process, 'payseal_scheduled_rotations_total', 'Keys this replica rotated on schedule (rotated) or failed to (failed; retried next round)', 'outcome', () => {
      const s = scheduler.stats();
      return { rotated: s.rotated, failed: s.failed };
    });
  }

  const ledger = sources.ledger;
  if (ledger) {
    new Counter({
      name: 'payseal_ledger_entries_total',
      help: 'Ledger entries this replica group-committed (signings; key and client changes are written in their own transaction)',
      registers: [process],
      collect() {
        this.reset();
        this.inc(ledger.stats().entries);
      },
    });
    mirrorCounter(process, 'payseal_ledger_batches_total', 'Group-commit transactions of this replica: committed, or failed (their callers got 503 and no signature)', 'result', () => {
      const s = ledger.stats();
      return { committed: s.batches, failed: s.failed_batches };
    });
    mirrorCounter(process, 'payseal_ledger_checkpoints_total', 'Ledger checkpoints this replica signed, or failed to (the next one covers the same entries)', 'result', () => {
      const s = ledger.stats();
      return { signed: s.checkpoints, failed: s.failed_checkpoints };
    });
  }

  // Both gauges come from one read of the store per scrape: the first collect() starts it, the other joins it.
  const timeoutMs = sources.storeTimeoutMs ?? 2_000;
  let reading: Promise<KeyAgeSample[] | null> | null = null;
  const snapshot = (): Promise<KeyAgeSample[] | null> => {
    reading ??= withTimeout(sources.listKeys(), timeoutMs)
      .then((keys) => keyAgeSamples(keys, Date.now()))
      .catch(() => null)
      .finally(() => setImmediate(() => (reading = null)));
    return reading;
  };
  new Gauge({
    name: 'payseal_key_version_age_seconds',
    help: "Seconds since each key's newest version was created (a key name per series; keys exist only if an admin made them)",
    labelNames: ['key'],
    registers: [store],
    async collect() {
      const samples = await snapshot();
      if (samples === null) return; // store away: keep the last values rather than report none
      this.reset();
      for (const s of samples) this.set({ key: s.key }, s.ageSeconds);
    },
  });
  new Gauge({
    name: 'payseal_key_rotation_period_seconds',
    help: "Each key's rotation period in seconds, for keys rotated on schedule",
    labelNames: ['key'],
    registers: [store],
    async collect() {
      const samples = await snapshot();
      if (samples === null) return;
      this.reset();
      for (const s of samples) if (s.periodSeconds !== null) this.set({ key: s.key }, s.periodSeconds);
    },
  });
  return { process, store };
}
