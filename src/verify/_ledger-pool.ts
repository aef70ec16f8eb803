/**
 * Spreads ledger verification over the machine's cores: the export is cut at line boundaries into runs of a few
 * thousand lines, and this thread and the worker threads (_ledger-worker.ts) take runs from one shared queue
 * until none is left, so a worker that starts late (tsx and the modules take about 0.4 s here) simply takes
 * fewer; the results come back in file order. Run from the TypeScript sources, a worker first registers tsx's
 * loader (resolved from this package's node_modules); compiled, it starts straight from the .js module. A run
 * a worker could not finish (it failed to start or died) is redone in this thread: slower, never a different
 * answer.
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

/** Below this many lines one thread is done before a worker has started (about 0.4 s here: tsx and the modules). */
export const PARALLEL_FROM_LINES = 20_000;

/** One worker per core besides this thread's, for exports big enough to repay starting them. */
export function defaultWorkers(lineCount: number): number {
  return lineCount < PARALLEL_FROM_LINES ? 0 : Math.min(availableParallelism() - 1, 7);
}

/** The export cut into runs of `linesPerRun` lines (the last may be shorter), each ending after a `\n`. */
export function cutAtLines(bytes: Uint8Array, linesPerRun: number): { runs: { start: number; end: number; linesBefore: number }[]; lineCount: number } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const runs = [{ start: 0, end: buf.length, linesBefore: 0 }];
  let lines = 0;
  for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) {
    lines++;
    if (lines % linesPerRun === 0 && at + 1 < buf.length) {
      (runs.at(-1) as { end: number }).end = at + 1;
      runs.push({ start: at + 1, end: buf.length, linesBefore: lines });
    }
  }
  return { runs, lineCount: lines + (buf.length > 0 && buf[buf.length - 1] !== 10 ? 1 : 0) };
}

/** tsx's ESM register API, found through its package.json `exports` (require.resolve would give the CJS build). */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('tsx/package.json');
  const exports = (require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> }).exports;
  return pathToFileURL(join(dirname(pkg), (exports['./esm/api'] as { import: { default: string } }).import.default)).href;
}

/**
 * A worker running _ledger-worker. Compiled (dist/, this module is .js) it is plain JavaScript and starts
 * directly; from the TypeScript sources (tsx, vitest) the worker first registers tsx's loader, since a worker
 * does not inherit the loader hooks of the thread that started it.
 */
function spawnWorker(workerData: LedgerWorkerInput): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./_ledger-worker.js', import.meta.url), { workerData });
  const worker = new URL('./_ledger-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApiUrl())}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(worker)}); });`;
  return new Worker(code, { eval: true, workerData });
}

interface WorkerMessage {
  readonly type: 'progress' | 'run' | 'finished';
  readonly index?: number;
  readonly lines?: number;
  readonly outcome?: ChunkOutcome;
}

/** Starts one worker on the shared queue; resolves when it finished, failed or exited (never rejects). */
function startWorker(input: LedgerWorkerInput, onRun: (index: number, outcome: ChunkOutcome) => void, onLines: (index: number, lines: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const worker = spawnWorker(input);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onLines(m.index as number, m.lines as number);
      else if (m.type === 'run') onRun(m.index as number, m.outcome as ChunkOutcome);
      else void worker.terminate().then(() => resolve());
    });
    // A worker that cannot start (or dies) only leaves its claimed run undone; the caller redoes it.
    worker.on('error', () => resolve());
    worker.on('exit', () => resolve());
  });
}

export interface RunOptions {
  /** Worker threads besides this one (0: this thread only; 'auto': one per other core for large exports). */
  readonly workers: number | 'auto';
  /** This thread takes runs from the queue too (default true); false leaves all the work to the workers. */
  readonly mainThread?: boolean | undefined;
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

/** Lines per run: small enough to balance the work, large enough that posting results costs little. */
const RUN_LINES = 4096;

/** Checks every run of `bytes` with this thread and the workers pulling from one queue; outcomes in file order. */
export async function verifyRuns(bytes: Uint8Array, options: RunOptions): Promise<{ runs: RunOutcome[]; lineCount: number; threads: number }> {
  const { runs, lineCount } = cutAtLines(bytes, RUN_LINES);
  let workers = options.opinions !== undefined ? 0 : options.workers === 'auto' ? defaultWorkers(lineCount) : options.workers;
  workers = Math.min(workers, runs.length);
  const mainThread = workers === 0 || options.mainThread !== false;
  const outcomes: (ChunkOutcome | undefined)[] = runs.map(() => undefined);
  const done = runs.map(() => 0);
  const report = (index: number, lines: number) => {
    done[index] = lines;
    options.onProgress?.(done.reduce((a, b) => a + b, 0), lineCount);
  };
  const inThread = async (index: number) => {
    const r = runs[index] as { start: number; end: number };
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + r.start, r.end - r.start).toString('utf8');
    outcomes[index] = await verifyChunk(text, options.keys, options.wanted, options.opinions, (lines) => report(index, lines));
  };
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const worked = new Set<number>();
  let pool: Promise<void>[] = [];
  if (workers > 0) {
    const shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
    const input: LedgerWorkerInput = { shared, runs: runs.map(({ start, end }) => ({ start, end })), counter: counter.buffer as SharedArrayBuffer, keys: options.keys, wanted: options.wanted };
    pool = Array.from({ length: workers }, (_, w) =>
      startWorker(input, (index, outcome) => ((outcomes[index] = outcome), worked.add(w)), report),
    );
  }
  if (mainThread) for (let index = Atomics.add(counter, 0, 1); index < runs.length; index = Atomics.add(counter, 0, 1)) await inThread(index);
  await Promise.all(pool);
  // Runs a failed worker had claimed, or every run if no worker could start.
  for (let index = 0; index < runs.length; index++) if (outcomes[index] === undefined) await inThread(index);
  return { runs: outcomes.map((outcome, i) => ({ outcome: outcome as ChunkOutcome, linesBefore: (runs[i] as { linesBefore: number }).linesBefore })), lineCount, threads: worked.size };
}
