/**
 * A server for the HTTP benchmark (scripts/bench-http.ts), run as its own process so the load generator does not
 * share its event loop. `node --import tsx scripts/bench-server.ts <kind>` with an IPC channel:
 *
 * - `express`: bare express 5 answering GET /empty with `{}` (the DESIGN.md baseline).
 * - `helmet`: the same with helmet() in front, as payseal has it.
 * - `json`: bare express with express.json() answering POST /empty with `{}`: what reading a small JSON body
 *   costs before any of payseal's own work (not a DESIGN baseline; it shows where the gap comes from).
 * - `payseal`: the real service through src/api/serve.ts (what `payseal serve` runs): embedded PGlite in a
 *   fresh temp dir, the KEK and admin token from the environment the parent sets, log level info with the
 *   access log going to stdout (the parent points stdout at /dev/null).
 * - `payseal-ledger-off`: the same with the ledger switched off (ServeOptions.ledger 'off', reachable from no
 *   command or variable): the baseline scripts/bench-ledger-sign.ts compares ledger-on signing with.
 *
 * On start it sends `{ready, url}`. It answers `{cmd: 'reset'}` and `{cmd: 'report'}` so the parent can read
 * what one load phase cost the server: CPU time (user + system, every thread, so libuv's pool is included),
 * event-loop utilisation and event-loop delay of the main thread, and peak RSS / heap sampled every 50 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import express from 'express';
import helmet from 'helmet';

export type ServerKind = 'express' | 'helmet' | 'json' | 'payseal' | 'payseal-ledger-off';

export interface ServerReport {
  readonly wallMs: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** Main-thread event-loop utilisation, 0..1. */
  readonly elu: number;
  /** Event-loop delay (how late a 1 ms timer fired), p99 and max, ms. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly rssPeakBytes: number;
  readonly heapUsedPeakBytes: number;
  readonly heapTotalPeakBytes: number;
  readonly externalPeakBytes: number;
  readonly rssNowBytes: number;
  readonly heapUsedNowBytes: number;
}

export type ToServer = { cmd: 'reset' } | { cmd: 'report' } | { cmd: 'stop' };
export type FromServer = { ready: true; url: string } | { report: ServerReport } | { error: string };

function listen(app: express.Express): Promise<Server> {
  const server = createServer(app);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function plain(kind: 'express' | 'helmet' | 'json'): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (kind === 'helmet') app.use(helmet());
  if (kind === 'json') {
    app.post('/empty', express.json(), (_req, res) => {
      res.json({});
    });
  } else {
    app.get('/empty', (_req, res) => {
      res.json({});
    });
  }
  return listen(app);
}

/** The payseal server's temp data dir, removed however the process ends (the parent may die mid-start). */
let dataDir: string | null = null;
const removeDataDir = (): void => {
  if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
};

async function startPayseal(ledger: 'on' | 'off' = 'on'): Promise<{ url: string; close: () => Promise<void> }> {
  // Imported here so the express baselines do not load (and pay memory for) payseal's modules.
  const { loadConfig } = await import('../src/config.ts');
  const { serve } = await import('../src/api/serve.ts');
  dataDir = mkdtempSync(join(tmpdir(), 'payseal-bench-'));
  const config = loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    // scripts/bench-ledger-sign.ts --postgres gives each server its own schema; otherwise embedded PGlite.
    DATABASE_URL: process.env.PAYSEAL_BENCH_DATABASE_URL ?? '',
    PAYSEAL_DATA_DIR: dataDir,
    PAYSEAL_LOG_LEVEL: process.env.PAYSEAL_LOG_LEVEL ?? 'info',
  });
  const serving = await serve(config, { print: () => {}, handleSignals: false, ledger });
  return {
    url: serving.url,
    async close() {
      await serving.close();
      removeDataDir();
    },
  };
}


const kind = process.argv[2] as ServerKind;
let close: (() => Promise<void>) | null = null;
const stop = (): void => {
  (close ?? (() => Promise.resolve()))()
    .catch(() => {})
    .finally(() => {
      removeDataDir();
      process.exit(0);
    });
};
// The parent may be gone before this handler exists (it died while we started): then the first send stops us.
process.on('disconnect', stop);
const send = (m: FromServer): void => {
  if (!process.connected || process.send === undefined) return stop();
  // With a callback a failed send (EPIPE: the parent just died) is reported here instead of crashing the process.
  process.send(m, undefined, {}, (e: Error | null) => {
    if (e) stop();
  });
};
try {
  if (kind === 'payseal' || kind === 'payseal-ledger-off') {
    const s = await startPayseal(kind === 'payseal' ? 'on' : 'off');
    close = s.close;
    send({ ready: true, url: s.url });
  } else if (kind === 'express' || kind === 'helmet' || kind === 'json') {
    const server = await plain(kind);
    close = () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    send({ ready: true, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  } else {
    throw new Error(`unknown server kind ${String(kind)} (express, helmet, json, payseal or payseal-ledger-off)`);
  }
} catch (e) {
  removeDataDir();
  send({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
}

// Phase accounting: everything since the last reset.
let since = { t: performance.now(), cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() as EventLoopUtilization };
let peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
// process.memoryUsage() walks V8's heap spaces (a profile of the server showed it at ~2% of the main thread when
// called every 50 ms), so RSS, which is cheap, is sampled every 50 ms and the heap figures every 250 ms.
const sample = (): void => {
  const m = process.memoryUsage();
  peak = {
    rss: Math.max(peak.rss, m.rss),
    heapUsed: Math.max(peak.heapUsed, m.heapUsed),
    heapTotal: Math.max(peak.heapTotal, m.heapTotal),
    external: Math.max(peak.external, m.external),
  };
};
setInterval(() => {
  peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
}, 50).unref();
setInterval(sample, 250).unref();
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

process.on('message', (m: ToServer) => {
  if (m.cmd === 'reset') {
    peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
    delay.reset();
    sample();
    since = { t: performance.now(), cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() };
  } else if (m.cmd === 'report') {
    sample();
    const cpu = process.cpuUsage(since.cpu);
    const now = process.memoryUsage();
    send({
      report: {
        wallMs: performance.now() - since.t,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        elu: performance.eventLoopUtilization(since.elu).utilization,
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        loopDelayMaxMs: delay.max / 1e6,
        rssPeakBytes: peak.rss,
        heapUsedPeakBytes: peak.heapUsed,
        heapTotalPeakBytes: peak.heapTotal,
        externalPeakBytes: peak.external,
        rssNowBytes: now.rss,
        heapUsedNowBytes: now.heapUsed,
      },
    });
  } else if (m.cmd === 'stop') {
    stop();
  }
});
