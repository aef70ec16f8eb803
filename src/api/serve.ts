/**
 * serve: what `payseal serve` (and `npm start`) runs. Opens the runtime (store, migrations, KEK), makes sure an
 * admin can get in, then listens (127.0.0.1:8080 unless HOST/PORT say otherwise) until SIGTERM or SIGINT.
 *
 * Bootstrap: with PAYSEAL_ADMIN_TOKEN the client `admin` is made to hold that token. Without it, in embedded
 * mode on a store with no clients, a client `admin` is created and its token printed once to stdout inside a
 * banner (the only place it ever appears: only its SHA-256 is stored). The runtime's notices (for example where
 * a generated KEK was written) are printed at start; they never contain secrets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { openRuntime } from '../runtime/open.ts';
import type { Runtime } from '../runtime/types.ts';
import { createLogger } from './middleware/logger.ts';
import { createApp } from './app.ts';

export interface ServeOptions {
  readonly logger?: Logger;
  /** Where the banner and notices go (default: process.stdout). */
  readonly print?: (text: string) => void;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully (default true). */
  readonly handleSignals?: boolean;
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

async function bootstrapAdmin(runtime: Runtime, config: Config, print: (text: string) => void, logger: Logger): Promise<void> {
  if (config.adminToken !== null) {
    await runtime.clients.ensureAdmin(config.adminToken, 'system');
    return;
  }
  if (!(await runtime.clients.isEmpty())) return;
  if (runtime.mode === 'embedded') {
    const admin = await runtime.clients.create('admin', ['admin'], 'system');
    // The listen address as configured (the socket is not bound yet); 0.0.0.0 is reachable as 127.0.0.1 locally.
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
    print(banner(admin.token, `http://${host}:${config.port}`));
    logger.warn({ client: 'admin' }, 'created the bootstrap admin client; its token was printed to stdout once');
  } else {
    logger.warn('no API clients exist and PAYSEAL_ADMIN_TOKEN is not set: nobody can call /v1/* until one is created');
  }
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function serve(config: Config, options: ServeOptions = {}): Promise<Serving> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const print = options.print ?? ((text: string) => void process.stdout.write(text));
  // The runtime's own jobs (scheduled rotation, rotation at the AES use bound) log through the service's logger.
  const runtime = await openRuntime(config, { role: 'service', log: logger, ledger: options.ledger });
  let server: Server;
  try {
    for (const notice of runtime.notices) print(`payseal: ${notice}\n`);
    await bootstrapAdmin(runtime, config, print, logger);
    server = createServer(createApp({ runtime, config, logger }));
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
  } catch (e) {
    await runtime.close();
    throw e;
  }
  const url = urlOf(server);
  logger.info({ url, mode: runtime.mode }, 'payseal is serving');

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // Stop accepting, let in-flight requests finish, drop idle keep-alive connections.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), 10_000);
      await stopped;
      clearTimeout(forced);
      await runtime.close();
      logger.info('payseal stopped');
    })());
  function onSignal(signal: NodeJS.Signals): void {
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e instanceof Error ? e.message : String(e) }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
  if (options.handleSignals !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { url, runtime, close };
}
