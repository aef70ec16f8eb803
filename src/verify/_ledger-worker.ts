/**
 * Worker-thread entry of ledger verification: checks one run of lines of the export (shared with the main
 * thread through a SharedArrayBuffer, so the file is not copied per worker) with _ledger-chunk.ts and posts the
 * packed result back, transferring its buffers. Started by _ledger-pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { verifyChunk, type CheckpointKeyRef } from './_ledger-chunk.ts';

export interface LedgerWorkerInput {
  readonly shared: SharedArrayBuffer;
  readonly start: number;
  readonly end: number;
  readonly keys: readonly CheckpointKeyRef[];
  readonly wanted: readonly string[];
}

const port = parentPort;
if (port !== null) {
  const input = workerData as LedgerWorkerInput;
  const text = Buffer.from(input.shared, input.start, input.end - input.start).toString('utf8');
  const result = await verifyChunk(text, input.keys, input.wanted, undefined, (lines) => port.postMessage({ type: 'progress', lines }));
  if ('message' in result) port.postMessage({ type: 'failure', failure: result });
  else port.postMessage({ type: 'done', result }, [result.seqs.buffer, result.lines.buffer, result.hashes.buffer, result.prevs.buffer, result.hashOk.buffer] as ArrayBuffer[]);
}
