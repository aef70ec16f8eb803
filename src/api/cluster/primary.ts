/**
 * The cluster primary (PAYSEAL_WORKERS > 1): forks the workers, which each open their own runtime and listen on
 * the same port (node:cluster hands connections out round-robin), and does nothing else: no store, no keys.
 *
 * - Start: "payseal is serving" is logged once every worker listens. A worker of the first set that exits
 *   before it listens (a wrong KEK, a database down at start) stops the whole service with exit 1, as a single
 *   process would refuse to start.
 * - A worker that dies later is replaced at once, then with a growing delay (1 s doubling to 30 s) while
 *   replacements keep dying within a minute, so a database outage does not become a fork storm.
 * - SIGTERM / SIGINT: every worker gets SIGTERM and drains (src/api/serve.ts); the primary exits 0 once all
 *   exited 0, 1 otherwise, and kills what is left after PRIMARY_SHUTDOWN_LIMIT_MS.
 * - /metrics: answers the workers' requests for the sum of all workers' metrics (metrics-channel.ts).
 * Correctness across workers needs nothing from here: caches follow the store's change feed, the rotation
 * scheduler takes a PostgreSQL advisory lock, rotation takes a row lock, replay checks live in PostgreSQL.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { answerMetricsRequests } from './metrics-channel.ts';

/** Past the workers' own limit (20 s in serve.ts), inside Kubernetes' 30 s grace minus the 5 s preStop. */
export const PRIMARY_SHUTDOWN_LIMIT_MS = 24_000;
const RESTART_MAX_DELAY_MS = 30_000;
const CRASH_WINDOW_MS = 60_000;

export interface PrimaryOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** The URL the workers listen on, for the log (known from the first worker's address). */
  readonly mode: 'postgres' | 'embedded';
}

export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { logger, workers } = options;
  const serving = new Set<Worker>();
  const started = new Set<Worker>();
  let allUp = false;
  let stopping = false;
  let recentCrashes: number[] = [];
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  let exitCode = 0;

  answerMetricsRequests(() => [...serving]);

  const fork = (): void => {
    const w = cluster.fork();
    started.add(w);
  };

  cluster.on('listening', (w, address) => {
    serving.add(w);
    logger.info({ worker: w.id, workerPid: w.process.pid }, 'worker listening');
    if (!allUp && serving.size === workers) {
      allUp = true;
      const host = address.address === null || address.address === undefined ? '127.0.0.1' : address.addressType === 6 ? `[${address.address}]` : address.address;
      logger.info({ url: `http://${host}:${address.port}`, mode: options.mode, workers }, 'payseal is serving');
    }
  });

  cluster.on('exit', (w, code, signal) => {
    const wasServing = serving.delete(w);
    started.delete(w);
    if (stopping) {
      if (code !== 0) exitCode = 1;
      if (started.size === 0) resolveExit(exitCode);
      return;
    }
    if (!allUp && !wasServing) {
      logger.error({ worker: w.id, code, signal }, 'a worker failed to start; stopping');
      exitCode = 1;
      void stop('startup failure');
      return;
    }
    const now = Date.now();
    recentCrashes = [...recentCrashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    const delay = recentCrashes.length <= 1 ? 0 : Math.min(RESTART_MAX_DELAY_MS, 1000 * 2 ** (recentCrashes.length - 2));
    logger.error({ worker: w.id, workerPid: w.process.pid, code, signal, restartInMs: delay }, 'worker died; starting a replacement');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  async function stop(reason: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, workers: started.size }, 'shutting down the workers');
    if (started.size === 0) {
      resolveExit(exitCode);
      return;
    }
    for (const w of started) w.process.kill('SIGTERM');
    const limit = setTimeout(() => {
      logger.error({ ms: PRIMARY_SHUTDOWN_LIMIT_MS }, 'workers did not stop in time; killing them');
      for (const w of started) w.process.kill('SIGKILL');
      exitCode = 1;
    }, PRIMARY_SHUTDOWN_LIMIT_MS);
    limit.unref();
    await exited;
    clearTimeout(limit);
  }

  // Repeated signals are ignored (stop() runs once): a second Ctrl-C must not orphan draining workers.
  const onSignal = (signal: NodeJS.Signals): void => void stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  logger.info({ workers }, 'starting workers');
  for (let i = 0; i < workers; i++) fork();
  return exited.then((code) => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    logger.info({ code }, code === 0 ? 'payseal stopped' : 'payseal stopped with errors');
    return code;
  });
}
