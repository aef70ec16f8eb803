/**
 * The per-client fair queue in front of crypto work (issue 11, "Batch starvation").
 *
 * node:crypto's async sign/verify run on libuv's thread pool, whose queue is first in, first out: a client that
 * sends a 1000-item RSA-4096 batch puts 1000 jobs ahead of everyone else's single signature, which then waits
 * seconds. Every raw operation item (single or batch, sign, verify, encrypt, decrypt, rewrap) therefore goes
 * through run(client, task): at most `slots` tasks run at once in the whole process (the pool size or the
 * number of cores, whichever is smaller, so the pool's own queue stays empty) and at most `perClient` of them
 * for one client (default: all slots); when a slot frees, the next task comes from the next client in
 * round-robin order, so a client with one pending item waits for about one item of the flooder, not for its
 * whole batch. A client alone still gets every slot.
 *
 * Nothing here is per request: the lanes are per client name and disappear when empty, so the queue holds no
 * state for idle clients. A task that throws (synchronously or not) releases its slot like one that succeeds.
 */
import { availableParallelism } from 'node:os';

export interface FairQueueOptions {
  /** Tasks running at once in the process; default: cryptoSlots(). */
  readonly slots?: number;
  /** Tasks of one client running at once; default: `slots`. */
  readonly perClient?: number;
}

interface Task {
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

interface Lane {
  readonly client: string;
  readonly pending: Task[];
  /** Index of the next pending task (the array is consumed from the front without shifting). */
  head: number;
  running: number;
  /** In the ready ring (has pending work and a free per-client slot). */
  ready: boolean;
}

/**
 * libuv's thread-pool size: it reads UV_THREADPOOL_SIZE itself when the pool first starts (default 4, at most
 * 1024); the queue mirrors that value rather than inventing a setting of its own.
 */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1024) : 4;
}

/**
 * Default slots: the pool's threads, but no more than the cores the process may run on. More CPU-bound jobs
 * than cores add no throughput; they only slow each job down and take CPU from the event loop, so a newcomer
 * waits longer for a slot (measured: victim p50 ×2 lower with 2 slots than 4 on a 2-core machine).
 */
export function cryptoSlots(env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(1, Math.min(threadPoolSize(env), availableParallelism()));
}

export class FairQueue {
  readonly slots: number;
  readonly perClient: number;
  private running = 0;
  private readonly lanes = new Map<string, Lane>();
  /** Round-robin ring of lanes that may start a task now. */
  private ring: Lane[] = [];
  private ringHead = 0;

  constructor(options: FairQueueOptions = {}) {
    this.slots = Math.max(1, Math.floor(options.slots ?? cryptoSlots()));
    this.perClient = Math.max(1, Math.min(this.slots, Math.floor(options.perClient ?? this.slots)));
  }

  /** Runs `task` when the client's turn comes; settles as the task does. */
  run<T>(client: string, task: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lane = this.lanes.get(client);
      if (!lane) {
        lane = { client, pending: [], head: 0, running: 0, ready: false };
        this.lanes.set(client, lane);
      }
      lane.pending.push({ run: task, resolve: resolve as (value: unknown) => void, reject });
      this.markReady(lane);
      this.pump();
    });
  }

  /** For tests and metrics: tasks running, and tasks waiting per client. */
  stats(): { running: number; waiting: Record<string, number> } {
    const waiting: Record<string, number> = {};
    for (const lane of this.lanes.values()) waiting[lane.client] = lane.pending.length - lane.head;
    return { running: this.running, waiting };
  }

  private markReady(lane: Lane): void {
    if (lane.ready || lane.head >= lane.pending.length || lane.running >= this.perClient) return;
    lane.ready = true;
    this.ring.push(lane);
  }

  private pump(): void {
    while (this.running < this.slots && this.ringHead < this.ring.length) {
      const lane = this.ring[this.ringHead++]!;
      lane.ready = false;
      const task = lane.pending[lane.head++]!;
      if (lane.head === lane.pending.length) {
        lane.pending.length = 0;
        lane.head = 0;
      }
      this.start(lane, task);
      // Back of the ring: the other clients' next tasks go first.
      this.markReady(lane);
    }
    if (this.ringHead === this.ring.length) {
      this.ring = [];
      this.ringHead = 0;
    } else if (this.ringHead > 1024) {
      this.ring = this.ring.slice(this.ringHead);
      this.ringHead = 0;
    }
  }

  private start(lane: Lane, task: Task): void {
    this.running++;
    lane.running++;
    let settled: Promise<unknown>;
    try {
      settled = Promise.resolve(task.run());
    } catch (e) {
      settled = Promise.reject(e);
    }
    settled.then(task.resolve, task.reject).finally(() => this.release(lane));
  }

  private release(lane: Lane): void {
    this.running--;
    lane.running--;
    if (lane.running === 0 && lane.head >= lane.pending.length) {
      this.lanes.delete(lane.client);
    } else {
      this.markReady(lane);
    }
    this.pump();
  }
}
