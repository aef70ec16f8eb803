/**
 * Prometheus metrics of one app, in its own prom-client Registry (never the global one, so two apps in one
 * process, as in tests, do not collide), and the /metrics exposition: this registry, the runtime's per-process
 * registry (scheduler, ledger) and its store gauges (key version age). In cluster mode the per-process part is
 * summed over every worker by the primary (src/api/cluster/metrics-channel.ts) and the store gauges are read
 * once, by the worker answering the scrape.
 *
 * Labels are bounded: the route pattern (never the raw path), the method, the status, the key type, and key
 * and client names, which exist only once an admin created them (an unknown name is never counted: operations
 * are counted after the key was found, refusals after the client authenticated). No label ever carries a
 * token or key material.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RuntimeMetrics } from '../../runtime/metrics.ts';

export type OperationOutcome = 'ok' | 'invalid' | 'error';

export interface OperationObservation {
  /** sign, verify, encrypt, decrypt, rewrap (and the message operations). */
  readonly operation: string;
  /** The key's name, as the route resolved it (the key exists). */
  readonly key: string;
  readonly keyType: string;
  /** "ok", "invalid" (a false verify) or "error". */
  readonly outcome: OperationOutcome;
  /** Items with this outcome (a batch counts each item); default 1. */
  readonly n?: number;
}

export interface ApiMetricsOptions {
  /** prom-client's process metrics (default true; tests that build many apps may turn them off). */
  readonly defaultMetrics?: boolean;
  /** The runtime's registries, served beside the app's own. */
  readonly runtime?: RuntimeMetrics;
}

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
    help: 'Operations (sign, verify, encrypt, decrypt, rewrap) by key, key type and outcome; one per item, batches included',
    labelNames: ['operation', 'key', 'key_type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly operationLatency = new Histogram({
    name: 'payseal_operation_duration_seconds',
    help: 'Time to produce one item of an operation (a batch observes each item), by operation and key type',
    labelNames: ['operation', 'key_type'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'payseal_rate_limited_total',
    help: 'Requests refused with 429 rate_limited, by client',
    labelNames: ['client'] as const,
    registers: [this.registry],
  });
  private readonly runtime: RuntimeMetrics | null;
  private gather: (() => Promise<string>) | null = null;

  constructor(options: ApiMetricsOptions = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'payseal_' });
    this.runtime = options.runtime ?? null;
  }

  /** The registries counted per process: what a cluster's primary sums over its workers. */
  perProcess(): Registry[] {
    return this.runtime ? [this.registry, this.runtime.process] : [this.registry];
  }

  /** In a cluster worker: where the per-process part of a scrape comes from instead (the primary's sum). */
  aggregateWith(gather: () => Promise<string>): void {
    this.gather = gather;
  }

  /** The Prometheus text exposition served at /metrics. */
  async render(): Promise<string> {
    const parts = this.gather ? [await this.gather()] : await Promise.all(this.perProcess().map((r) => r.metrics()));
    if (this.runtime) parts.push(await this.runtime.store.metrics());
    return parts
      .filter((p) => p.trim() !== '')
      .map((p) => (p.endsWith('\n') ? p : `${p}\n`))
      .join('');
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Counts an operation's items by key, key type and outcome. */
  observeOperation(o: OperationObservation): void {
    const n = o.n ?? 1;
    if (n > 0) this.operations.inc({ operation: o.operation, key: o.key, key_type: o.keyType, outcome: o.outcome }, n);
  }

  /** Seconds one item of an operation took. */
  observeOperationLatency(operation: string, keyType: string, seconds: number): void {
    this.operationLatency.observe({ operation, key_type: keyType }, seconds);
  }

  /**
   * Counts items without naming the key (for an operation whose route does not resolve one); prefer
   * observeOperation.
   */
  countOperation(operation: string, keyType: string, outcome: OperationOutcome, n = 1): void {
    this.observeOperation({ operation, key: '', keyType, outcome, n });
  }

  /** One 429 answered (counted by the error handler, where the refusal is written). */
  countRateLimited(client: string | undefined): void {
    this.rateLimited.inc({ client: client ?? '' });
  }
}
