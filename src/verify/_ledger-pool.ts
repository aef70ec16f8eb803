/**
 * Spreads ledger verification over the machine's cores: the export is cut at line boundaries into one run per
 * core, each checked by a worker thread (_ledger-worker.ts) while this thread waits, and the results come back
 * in file order. The sources are TypeScript run through tsx, so a worker first registers tsx's loader (resolved
 * from this package's node_modules) and then imports the worker module. A worker that cannot start is replaced
 * by checking its run in this thread: slower, never a different answer.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { verifyChunk, type CheckpointKeyRef, type ChunkFailure, type ChunkResult } from './_ledger-chunk.ts';
import type { LedgerWorkerInput } from './_ledger-worker.ts';
import type { Opinion } from './signature.ts';

export type ChunkOutcome = ChunkResult | ChunkFailure;

/** Below this many lines one thread is faster than starting workers (about 0.2 s each here). */
export const PARALLEL_FROM_LINES = 20_000;

export function defaultWorkers(lineCount: number): number {
  return lineCount < PARALLEL_FROM_LINES ? 0 : Math.min(availableParallelism(), 8);
}

/** The runs: `parts` runs of about equal line counts, each ending after a `\n`, with the lines before each. */
export function cutAtLines(bytes: Uint8Array, parts: number): { runs: { start: number; end: number; linesBefore: number }[]; lineCount: number } {
  const newlines: number[] = [];
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) newlines.push(at);
  const lineCount = newlines.length + (buf.length > 0 && buf[buf.length - 1] !== 10 ? 1 : 0);
  const runs = [{ start: 0, end: buf.length, linesBefore: 0 }];
  for (let p = 1; p < parts; p++) {
    const lines = Math.floor((p * newlines.length) / parts);
    const nl = newlines[lines - 1];
    const last = runs.at(-1) as { start: number; end: number; linesBefore: number };
    if (nl === undefined || nl + 1 <= last.start) continue;
    last.end = nl + 1;
    runs.push({ start: nl + 1, end: buf.length, linesBefore: lines });
  }
  return { runs, lineCount };
}

/** tsx's ESM register API, found through its package.json `exports` (require.resolve would give the CJS build). */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('tsx/package.json');
  const exports = (require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> }).exports;
  return pathToFileURL(join(dirname(pkg), (exports['./esm/api'] as { import: { default: string } }).import.default)).href;
}

function bootstrap(workerUrl: URL): string {
  const tsx = tsxApiUrl();
  return `import(${JSON.stringify(tsx)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(workerUrl.href)}); });`;
}

function runWorker(input: LedgerWorkerInput, onLines: (lines: number) => void): Promise<ChunkOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(bootstrap(new URL('./_ledger-worker.ts', import.meta.url)), { eval: true, workerData: input });
    let settled = false;
    worker.on('message', (m: { type: string; lines?: number; result?: ChunkResult; failure?: ChunkFailure }) => {
      if (m.type === 'progress') onLines(m.lines as number);
      else {
        settled = true;
        resolve((m.result ?? m.failure) as ChunkOutcome);
        void worker.terminate();
      }
    });
    worker.on('error', (e) => {
      if (!settled) reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`ledger worker exited with code ${code}`));
    });
  });
}

export interface RunOptions {
  /** Worker threads (0: this thread; 'auto': one per core for large exports, none for small ones). */
  readonly workers: number | 'auto';
  readonly keys: readonly CheckpointKeyRef[];
  readonly wanted: readonly string[];
  /** Opinions other than the defaults cannot cross to a worker: given, everything runs in this thread. */
  readonly opinions?: readonly Opinion[] | undefined;
  readonly onProgress?: ((linesDone: number, lineCount: number) => void) | undefined;
}

export interface RunOutcome {
  readonly outcome: ChunkOutcome;
  /** Lines of the export before this run: add it to the run's line numbers. */
  readonly linesBefore: number;
}

/** Checks every run of `bytes`; the outcomes come back in file order. */
export async function verifyRuns(bytes: Uint8Array, options: RunOptions): Promise<{ runs: RunOutcome[]; lineCount: number; threads: number }> {
  let workers = options.opinions === undefined ? options.workers : 0;
  let { runs, lineCount } = cutAtLines(bytes, Math.max(1, workers === 'auto' ? availableParallelism() : workers));
  if (workers === 'auto') {
    workers = defaultWorkers(lineCount);
    if (workers !== runs.length) ({ runs, lineCount } = cutAtLines(bytes, Math.max(1, workers)));
  }
  const done = runs.map(() => 0);
  const report = (i: number) => (lines: number) => {
    done[i] = lines;
    options.onProgress?.(done.reduce((a, b) => a + b, 0), lineCount);
  };
  const inThread = (r: { start: number; end: number }, i: number) =>
    verifyChunk(Buffer.from(bytes.buffer, bytes.byteOffset + r.start, r.end - r.start).toString('utf8'), options.keys, options.wanted, options.opinions, report(i));
  let outcomes: ChunkOutcome[];
  let threads = 0;
  if (workers === 0) {
    outcomes = await Promise.all(runs.map(inThread));
  } else {
    const shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
    outcomes = await Promise.all(
      runs.map((r, i) =>
        runWorker({ shared, start: r.start, end: r.end, keys: options.keys, wanted: options.wanted }, report(i)).then(
          (o) => (threads++, o),
          () => inThread(r, i),
        ),
      ),
    );
  }
  return { runs: outcomes.map((outcome, i) => ({ outcome, linesBefore: (runs[i] as { linesBefore: number }).linesBefore })), lineCount, threads };
}
