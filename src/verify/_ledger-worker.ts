/**
 * Worker-thread entry of ledger verification: claims runs of the export from a shared counter (Atomics, so the
 * main thread and every worker share the work however late each starts), checks each with _ledger-chunk.ts
 * and posts the packed result back, transferring its buffers. The export itself is shared through a
 * SharedArrayBuffer, never copied per worker. Started by _ledger-pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { verifyChunk, type CheckpointKeyRef } from './_ledger-chunk.ts';

export interface LedgerWorkerInput {
  readonly shared: SharedArrayBuffer;
  readonly runs: readonly { readonly start: number; readonly end: number }[];
  /** Int32 at index 0: the next run to claim. */
  readonly counter: SharedArrayBuffer;
  readonly keys: readonly CheckpointKeyRef[];
  readonly wanted: readonly string[];
}

const port = parentPort;
if (port !== null) {
  const input = workerData as LedgerWorkerInput;
  const next = new Int32Array(input.counter);
  for (let index = Atomics.add(next, 0, 1); index < input.runs.length; index = Atomics.add(next, 0, 1)) {
    const run = input.runs[index] as { start: number; end: number };
    const text = Buffer.from(input.shared, run.start, run.end - run.start).toString('utf8');
    const result = await verifyChunk(text, input.keys, input.wanted, undefined, (lines) => port.postMessage({ type: 'progress', index, lines }));
    if ('message' in result) port.postMessage({ type: 'run', index, outcome: result });
    else port.postMessage({ type: 'run', index, outcome: result }, [result.seqs.buffer, result.lines.buffer, result.hashes.buffer, result.prevs.buffer, result.hashOk.buffer] as ArrayBuffer[]);
  }
  port.postMessage({ type: 'finished' });
}
