/**
 * start: what `payseal serve` (and `npm start`) runs. Decides between one process and a cluster
 * (src/api/cluster/worker-count.ts: PAYSEAL_WORKERS, default one per usable core, always one in embedded
 * mode), then either serves here (src/api/serve.ts), runs the cluster primary (src/api/cluster/primary.ts), or,
 * in a worker the primary forked, serves as that worker. Resolves when the service stops (single process) or
 * exits the process with the primary's code.
 */
import cluster from 'node:cluster';
import type { Config } from '../config.ts';
import { failureOf } from '../keys/_log.ts';
import { shareMetricsWithPrimary } from './cluster/metrics-channel.ts';
import { runPrimary } from './cluster/primary.ts';
import { resolveWorkerCount } from './cluster/worker-count.ts';
import { createLogger } from './middleware/logger.ts';
import { serve } from './serve.ts';

export async function start(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  if (cluster.isWorker) {
    const id = cluster.worker!.id;
    try {
      await serve(config, { logger, worker: { id, shareMetrics: shareMetricsWithPrimary } });
    } catch (e) {
      // The primary sees the exit: in the first set it stops the service, later it retries with backoff.
      // As the CLI prints it: our messages never hold secrets; driver messages name tables and constraints.
      const f = failureOf(e);
      logger.error({ worker: id, code: f.code, error: e instanceof Error ? e.message : f.message }, 'worker failed to start');
      process.exit(1);
    }
    return;
  }
  const { count, note } = resolveWorkerCount(config);
  if (note !== null) (config.workers ? logger.warn : logger.info).call(logger, { workers: count }, note);
  if (count <= 1) {
    await serve(config, { logger });
    return;
  }
  process.exit(await runPrimary({ workers: count, logger, mode: config.databaseUrl === null ? 'embedded' : 'postgres' }));
}
