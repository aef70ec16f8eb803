/**
 * /metrics in cluster mode. Prometheus scrapes one port and reaches whichever worker the primary hands the
 * connection to, so a worker answering with its own counters alone would make them jump between scrapes.
 * Instead the answering worker asks the primary over the cluster IPC channel; the primary collects the
 * per-process registries of every worker that is serving (as prom-client JSON), sums them with prom-client's
 * own AggregatorRegistry.aggregate (counters and histograms summed; gauges by their declared aggregator), and
 * returns the text. A worker still starting, or gone, is left out; a serving worker that does not answer
 * within COLLECT_TIMEOUT_MS fails the scrape rather than produce a partial sum.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const GATHER = 'payseal:metrics:gather';
const GATHERED = 'payseal:metrics:gathered';
const COLLECT = 'payseal:metrics:collect';
const COLLECTED = 'payseal:metrics:collected';
export const COLLECT_TIMEOUT_MS = 5_000;

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

interface Message {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly text?: unknown;
  readonly error?: unknown;
  readonly metrics?: unknown;
}

/** In a worker: answer the primary's collection requests, and return how to ask for the cluster-wide sum. */
export function shareMetricsWithPrimary(registries: Registry[]): () => Promise<string> {
  let seq = 0;
  const waiting = new Map<number, { resolve(text: string): void; reject(e: Error): void }>();
  process.on('message', (m: Message) => {
    if (m?.type === COLLECT) {
      Promise.all(registries.map((r) => r.getMetricsAsJSON())).then(
        (metrics) => process.send?.({ type: COLLECTED, id: m.id, metrics }),
        (e: unknown) => process.send?.({ type: COLLECTED, id: m.id, error: e instanceof Error ? e.message : String(e) }),
      );
    } else if (m?.type === GATHERED && typeof m.id === 'number') {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (typeof m.text === 'string') w?.resolve(m.text);
      else w?.reject(new Error(typeof m.error === 'string' ? m.error : 'the primary could not gather metrics'));
    }
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer with metrics in time'));
      }, COLLECT_TIMEOUT_MS + 1_000);
      waiting.set(id, {
        resolve: (t) => (clearTimeout(timer), resolve(t)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      if (!process.send?.({ type: GATHER, id })) {
        waiting.delete(id);
        clearTimeout(timer);
        reject(new Error('no channel to the primary'));
      }
    });
}

let collections = 0;

/** Sums the per-process metrics of `workers` (each answers COLLECT). */
async function gather(workers: readonly Worker[]): Promise<string> {
  const id = ++collections;
  const answers = await Promise.all(
    workers.map(
      (w) =>
        new Promise<MetricsJson | null>((resolve, reject) => {
          const done = (result: MetricsJson | null, error?: Error) => {
            clearTimeout(timer);
            w.off('message', onMessage);
            w.off('exit', onExit);
            if (error) reject(error);
            else resolve(result);
          };
          const onMessage = (m: Message) => {
            if (m?.type !== COLLECTED || m.id !== id) return;
            if (Array.isArray(m.metrics)) done((m.metrics as MetricsJson[]).flat());
            else done(null, new Error(`worker ${w.id}: ${String(m.error)}`));
          };
          // A worker that exits meanwhile has no counters any more: left out, as Prometheus sees a restart.
          const onExit = () => done(null);
          const timer = setTimeout(() => done(null, new Error(`worker ${w.id} did not send its metrics in time`)), COLLECT_TIMEOUT_MS);
          w.on('message', onMessage);
          w.on('exit', onExit);
          w.send({ type: COLLECT, id });
        }),
    ),
  );
  return AggregatorRegistry.aggregate(answers.filter((a): a is MetricsJson => a !== null)).metrics();
}

/** In the primary: answer workers' GATHER requests with the sum over the workers `serving()` returns. */
export function answerMetricsRequests(serving: () => readonly Worker[]): void {
  cluster.on('message', (from: Worker, m: Message) => {
    if (m?.type !== GATHER) return;
    gather(serving().filter((w) => w.isConnected())).then(
      (text) => from.isConnected() && from.send({ type: GATHERED, id: m.id, text }),
      (e: unknown) => from.isConnected() && from.send({ type: GATHERED, id: m.id, error: e instanceof Error ? e.message : String(e) }),
    );
  });
}
