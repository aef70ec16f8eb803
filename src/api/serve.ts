/**
 * serve: one service process, alone or as a cluster worker (src/api/start.ts decides). Opens the runtime
 * (store, migrations, KEK), makes sure an admin can get in, then listens (127.0.0.1:8080 unless HOST/PORT say
 * otherwise) until SIGTERM or SIGINT.
 *
 * Output: the JSON log goes to stdout (one object per line). The first-start admin token and the runtime's
 * notices (for example where a generated KEK was written; never secrets) go to stderr, apart from the log.
 * Bootstrap: with PAYSEAL_ADMIN_TOKEN the client `admin` is made to hold that token. Without it, in embedded
 * mode on a store with no clients, a client `admin` is created and its token printed once, on stderr inside a
 * banner (the only place it ever appears: only its SHA-256 is stored).
 *
 * Shutdown (SIGTERM, SIGINT): stop accepting, let requests in flight finish and close keep-alive connections
 * after their current response (at most DRAIN_GRACE_MS, then cut), then close the runtime (scheduler, shutdown
 * hooks such as the ledger's flush, change feed, store), then exit 0; past SHUTDOWN_LIMIT_MS, exit 1.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import { isPaysealError } from '../errors.ts';
import { openRuntime } from '../runtime/open.ts';
import type { Runtime } from '../runtime/types.ts';
import { createDrainingServer, type DrainingServer } from './drain.ts';
import { ApiMetrics } from './middleware/metrics.ts';
import { createLogger } from './middleware/logger.ts';
import { createApp } from './app.ts';

/** How long requests in flight may take to finish after SIGTERM before their connections are cut. */
export const DRAIN_GRACE_MS = 10_000;
/** The whole shutdown (drain, shutdown hooks, closing the store), within Kubernetes' 30 s grace minus preStop. */
export const SHUTDOWN_LIMIT_MS = 20_000;

export interface ServeOptions {
  readonly logger?: Logger;
  /** Where the banner and notices go (default: process.stderr). */
  readonly print?: (text: string) => void;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully (default true). */
  readonly handleSignals?: boolean;
  /** Set when this process is a cluster worker (src/api/cluster/). */
  readonly worker?: {
    readonly id: number;
    /** Shares these registries with the primary; returns how to fetch the sum over all workers. */
    readonly shareMetrics: (registries: Registry[]) => () => Promise<string>;
  };
  /** BENCHMARK ONLY (scripts/bench-server.ts, the ledger-off baseline): RuntimeOptions.ledger. No command sets it. */
  readonly ledger?: 'on' | 'off';
}

export interface Serving {
  readonly url: string;
  readonly runtime: Runtime;
  close(): Promise<void>;
}

function banner(token: string, url: string): string {
  const line = '='.repeat(78);
  return [
    line,
    'payseal: first start, no clients existed. Created client "admin" with scope admin.',
    'Its token is shown ONCE, here. Store it now (only its SHA-256 is kept):',
    '',
    `    ${token}`,
    '',
    `Use it as:  curl -H "Authorization: Bearer <token>" ${url}/v1/keys`,
    'Set PAYSEAL_ADMIN_TOKEN to choose the admin token yourself instead.',
    line,
    '',
  ].join('\n');
}

async function ensureAdmin(runtime: Runtime, token: string): Promise<void> {
  try {
    await runtime.clients.ensureAdmin(token, 'system');
  } catch (e) {
    if (isPaysealError(e) && e.code === 'config_invalid') throw e;
    // Replicas or cluster workers starting together race on the admin row; the loser finds it in place.
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    await runtime.clients.ensureAdmin(token, 'system');
  }
}

async function bootstrapAdmin(runtime: Runtime, config: Config, print: (text: string) => void, logger: Logger): Promise<void> {
  if (config.adminToken !== null) {
    await ensureAdmin(runtime, config.adminToken);
    return;
  }
  if (!(await runtime.clients.isEmpty())) return;
  if (runtime.mode === 'embedded') {
    const admin = await runtime.clients.create('admin', ['admin'], 'system');
    // The listen address as configured (the socket is not bound yet); 0.0.0.0 is reachable as 127.0.0.1 locally.
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
    print(banner(admin.token, `http://${host}:${config.port}`));
    logger.warn({ client: 'admin' }, 'created the bootstrap admin client; its token was printed to stderr once');
  } else {
    logger.warn('no API clients exist and PAYSEAL_ADMIN_TOKEN is not set: nobody can call /v1/* until one is created (payseal clients create NAME --scopes admin)');
  }
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

async function listen(http: DrainingServer, config: Config): Promise<void> {
  const server = http.server;
  // Bounded waits for slow or idle clients (slowloris): whole request 30 s, headers 10 s.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function serve(config: Config, options: ServeOptions = {}): Promise<Serving> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const print = options.print ?? ((text: string) => void process.stderr.write(text));
  const worker = options.worker;
  // The runtime's own jobs (scheduled rotation, rotation at the AES use bound) log through the service's logger.
  const runtime = await openRuntime(config, { role: 'service', log: logger, ledger: options.ledger });
  let http: DrainingServer;
  try {
    for (const notice of runtime.notices) print(`payseal: ${notice}\n`);
    await bootstrapAdmin(runtime, config, print, logger);
    const metrics = new ApiMetrics({ runtime: runtime.metrics });
    if (worker) metrics.aggregateWith(worker.shareMetrics(metrics.perProcess()));
    const app = createApp({ runtime, config, logger }, { metrics });
    // In cluster mode every answer names the worker that gave it (ops and tests tell the processes apart).
    const workerId = worker ? String(worker.id) : null;
    http = createDrainingServer(app, workerId === null ? undefined : (res) => res.setHeader('X-Payseal-Worker', workerId));
    await listen(http, config);
  } catch (e) {
    await runtime.close();
    throw e;
  }
  const url = urlOf(http.server.address() as AddressInfo);
  logger.info({ url, mode: runtime.mode, ...(worker ? { worker: worker.id } : {}) }, worker ? 'worker is serving' : 'payseal is serving');

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const inFlight = http.inFlight();
      const { forced } = await http.drain(DRAIN_GRACE_MS);
      if (forced) logger.warn({ graceMs: DRAIN_GRACE_MS }, 'requests still running after the drain period were cut');
      else logger.info({ inFlight }, 'drained');
      await runtime.close();
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info('payseal stopped');
    })());
  // Handlers stay installed while closing: a second signal (the cluster primary forwarding SIGTERM after a
  // terminal's SIGINT reached the whole process group) must not kill a drain in progress.
  let signalled = false;
  function onSignal(signal: NodeJS.Signals): void {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const limit = setTimeout(() => {
      logger.error({ ms: SHUTDOWN_LIMIT_MS }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e instanceof Error ? e.message : String(e) }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
  if (options.handleSignals !== false) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { url, runtime, close };
}
