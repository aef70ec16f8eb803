/**
 * Prometheus metrics of one app, in its own prom-client Registry (never the global one, so two apps in one
 * process, as in tests, do not collide). Labels are bounded: the route pattern (never the raw path, which
 * holds key names), the method, the status, the key type. No label ever carries a token or key material.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SchedulerStats } from '../../keys/rotation-scheduler.ts';
import type { AppenderStats } from '../../ledger/appender.ts';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'payseal_http_requests_total',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'payseal_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly operations = new Counter({
    name: 'payseal_operations_total',
    help: 'Raw operations (sign, verify, encrypt, decrypt, rewrap) by key type and outcome',
    labelNames: ['operation', 'key_type', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean; scheduler?: { stats(): SchedulerStats } | null; ledger?: { stats(): AppenderStats } | null } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'payseal_' });
    if (options.ledger) this.mirrorLedger(options.ledger);
    const scheduler = options.scheduler;
    if (scheduler) {
      this.mirror('payseal_rotation_rounds_total', 'Scheduled-rotation rounds of this replica: ran (won the advisory lock), skipped (another replica held it), error (database away)', 'result', () => {
        const s = scheduler.stats();
        return { ran: s.rounds, skipped: s.skipped, error: s.errors };
      });
      this.mirror('payseal_scheduled_rotations_total', 'Keys this replica rotated on schedule (rotated) or failed to (failed; retried next round)', 'outcome', () => {
        const s = scheduler.stats();
        return { rotated: s.rotated, failed: s.failed };
      });
    }
  }

  /** The ledger's group commit and checkpoints in this process (src/ledger/appender.ts). */
  private mirrorLedger(ledger: { stats(): AppenderStats }): void {
    new Counter({
      name: 'payseal_ledger_entries_total',
      help: 'Ledger entries this replica group-committed (signings; key and client changes are written in their own transaction)',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(ledger.stats().entries);
      },
    });
    this.mirror('payseal_ledger_batches_total', 'Group-commit transactions of this replica: committed, or failed (their callers got 503 and no signature)', 'result', () => {
      const s = ledger.stats();
      return { committed: s.batches, failed: s.failed_batches };
    });
    this.mirror('payseal_ledger_checkpoints_total', 'Ledger checkpoints this replica signed, or failed to (the next one covers the same entries)', 'result', () => {
      const s = ledger.stats();
      return { signed: s.checkpoints, failed: s.failed_checkpoints };
    });
  }

  /**
   * A counter whose values another component keeps (monotonic counts since start): each scrape copies them,
   * one series per label value (reset + inc keeps the metric a counter).
   */
  private mirror(name: string, help: string, label: string, read: () => Record<string, number>): void {
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [value, n] of Object.entries(read())) this.inc({ [label]: value }, n);
      },
    });
  }

  /** Counts one operation per item: outcome is "ok", "invalid" (a false verify) or "error". */
  countOperation(operation: string, keyType: string, outcome: 'ok' | 'invalid' | 'error', n = 1): void {
    if (n > 0) this.operations.inc({ operation, key_type: keyType, outcome }, n);
  }
}
