/**
 * Prometheus metrics of one app, in its own prom-client Registry (never the global one, so two apps in one
 * process, as in tests, do not collide). Labels are bounded: the route pattern (never the raw path, which
 * holds key names), the method, the status, the key type. No label ever carries a token or key material.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SchedulerStats } from '../../keys/rotation-scheduler.ts';

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

  constructor(options: { defaultMetrics?: boolean; scheduler?: { stats(): SchedulerStats } | null } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'payseal_' });
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
