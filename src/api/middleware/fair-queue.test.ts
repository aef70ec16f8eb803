/**
 * The fair queue of crypto work (fair-queue.ts), with tasks the test settles by hand: a client alone gets every
 * slot, one client never holds more than perClient, freed slots go round-robin between clients, a task that
 * throws or rejects frees its slot and rejects its caller, and idle clients leave no state behind.
 */
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { FairQueue, cryptoSlots, threadPoolSize } from './fair-queue.ts';

/** Tasks that record when they start and finish when the test says so. */
function harness(queue: FairQueue) {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const results: Promise<string>[] = [];
  return {
    started,
    results,
    submit(client: string, id: string) {
      results.push(
        queue.run(client, () => {
          started.push(id);
          return new Promise<string>((resolve) => finishers.set(id, () => resolve(id)));
        }),
      );
    },
    async finish(id: string) {
      finishers.get(id)!();
      // Let the settlement and the release run.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
}

describe('FairQueue', () => {
  it('a client alone gets every slot; the rest waits', async () => {
    const h = harness(new FairQueue({ slots: 3 }));
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5']) h.submit('a', id);
    expect(h.started).toEqual(['a1', 'a2', 'a3']);
    await h.finish('a2');
    expect(h.started).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('one client never runs more than perClient tasks, even with free slots', async () => {
    const q = new FairQueue({ slots: 4, perClient: 2 });
    const h = harness(q);
    for (const id of ['a1', 'a2', 'a3']) h.submit('a', id);
    h.submit('b', 'b1');
    expect(h.started).toEqual(['a1', 'a2', 'b1']);
    expect(q.stats()).toEqual({ running: 3, waiting: { a: 1, b: 0 } });
  });

  it('freed slots go round-robin: a flooder with a long queue and a client with one task alternate', async () => {
    const h = harness(new FairQueue({ slots: 2 }));
    for (let i = 1; i <= 6; i++) h.submit('flood', `f${i}`);
    h.submit('one', 'o1');
    h.submit('one', 'o2');
    expect(h.started).toEqual(['f1', 'f2']);
    await h.finish('f1');
    expect(h.started.at(-1)).toBe('o1');
    await h.finish('f2');
    expect(h.started.at(-1)).toBe('f3');
    await h.finish('o1');
    expect(h.started.at(-1)).toBe('o2');
    await h.finish('f3');
    await h.finish('o2');
    expect(h.started).toEqual(['f1', 'f2', 'o1', 'f3', 'o2', 'f4', 'f5']);
  });

  it('a task that throws or rejects frees its slot and rejects only its own caller', async () => {
    const q = new FairQueue({ slots: 1 });
    const thrown = q.run('a', () => {
      throw new Error('sync');
    });
    const rejected = q.run('a', () => Promise.reject(new Error('async')));
    const fine = q.run('b', () => 'ok');
    await expect(thrown).rejects.toThrow('sync');
    await expect(rejected).rejects.toThrow('async');
    await expect(fine).resolves.toBe('ok');
    expect(q.stats()).toEqual({ running: 0, waiting: {} });
  });

  it('results come back to their callers; no state is left for idle clients', async () => {
    const q = new FairQueue({ slots: 2 });
    const out = await Promise.all(Array.from({ length: 50 }, (_, i) => q.run(`c${i % 7}`, async () => i * 2)));
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(q.stats()).toEqual({ running: 0, waiting: {} });
  });

  it("defaults to libuv's pool size (UV_THREADPOOL_SIZE, else 4), at most the cores", () => {
    expect(threadPoolSize({})).toBe(4);
    expect(cryptoSlots({ UV_THREADPOOL_SIZE: '1' })).toBe(1);
    expect(cryptoSlots({ UV_THREADPOOL_SIZE: '1024' })).toBe(availableParallelism());
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '8' })).toBe(8);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: 'lots' })).toBe(4);
    expect(new FairQueue({ slots: 3, perClient: 9 }).perClient).toBe(3);
  });
});
