/**
 * Fairness between tenants (issue 11, "Batch starvation"): one client flooding with 1000-item RSA batches must
 * not hold libuv's thread pool against another client's single P-256 signatures. The second client's p99 is
 * measured unloaded and while the first floods, in alternating windows of the same run; the loaded p99 must
 * stay within a generous multiple of the unloaded one (a ratio, never an absolute time, so a busy machine slows
 * both sides alike). RSA-2048 rather than the finding's RSA-4096 keeps the test to seconds; the queueing is the
 * same.
 *
 * Before the per-client fair queue (src/api/middleware/fair-queue.ts) every item of a batch went straight to the
 * pool's FIFO queue, so a single sign waited behind up to 3000 RSA signatures (measured: p50 2.5 → 337 ms, p99
 * ×105; with the queue p99 ×0.4–3.7).
 *
 * And the rate limit counts items, not requests: a batch of n items costs n (it used to cost 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, request, startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
let flooder: string;
let victim: string;

beforeAll(async () => {
  // The rate limit is off: this measures the scheduling of crypto work alone (item counting has its own test).
  api = await startApi({ rateLimitRps: 0 });
  await api.call('POST', '/v1/keys', { body: { name: 'big', type: 'rsa-2048' } });
  await api.call('POST', '/v1/keys', { body: { name: 'small', type: 'ecdsa-p256' } });
  flooder = await api.client('flooder', ['sign:big']);
  victim = await api.client('victim', ['sign:small']);
});
afterAll(async () => api?.close());

/** Nearest-rank percentile. */
function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Sequential single signs by the victim: up to `count` samples or `budgetMs`, whichever ends first. */
async function victimLatencies(count: number, budgetMs: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + budgetMs;
  while (out.length < count && performance.now() < end) {
    const started = performance.now();
    const res = await api.call('POST', '/v1/keys/small/sign', { token: victim, body: { input: b64(`v${out.length}`) } });
    out.push(performance.now() - started);
    expect(res.status).toBe(200);
  }
  return out;
}

/** Three loops of 1000-item RSA-2048 batches by the flooder, until stop() (which waits for the batches in flight). */
function flood(): { stop: () => Promise<number[]> } {
  const body = JSON.stringify({ batch_input: Array.from({ length: 1000 }, (_, i) => ({ input: b64(`item ${i}`) })) });
  let flooding = true;
  const statuses: number[] = [];
  const loop = async () => {
    while (flooding) {
      const res = await fetch(`${api.url}/v1/keys/big/sign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${flooder}`, 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
  };
  const loops = [loop(), loop(), loop()];
  return {
    async stop() {
      flooding = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

describe('batch starvation', () => {
  it("a client flooding with 1000-item batches keeps another client's p99 within 10× of its unloaded value", async () => {
    await victimLatencies(30, 5_000); // warm-up: key cache, JIT, connections
    // Unloaded and loaded windows alternate, so a burst of load from elsewhere on the machine falls on both.
    const unloaded: number[] = [];
    const loaded: number[] = [];
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      unloaded.push(...(await victimLatencies(35, 5_000)));
      const flooding = flood();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the batches are on the server and signing
      loaded.push(...(await victimLatencies(35, 3_000)));
      statuses.push(...(await flooding.stop()));
    }

    const ratio = percentile(loaded, 99) / percentile(unloaded, 99);
    console.log(
      `fairness: victim p50 ${percentile(unloaded, 50).toFixed(2)} → ${percentile(loaded, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(unloaded, 99).toFixed(2)} → ${percentile(loaded, 99).toFixed(2)} ms (×${ratio.toFixed(1)}), ` +
        `${loaded.length} loaded samples, ${statuses.length} flood batches`,
    );
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(ratio).toBeLessThanOrEqual(10);
  });
});

describe('the rate limit counts batch items', () => {
  it('a 600-item batch costs 600: a second one no longer fits a 1000-token bucket, a single request still does', async () => {
    const limited = await startApi({ rateLimitRps: 100, rateLimitBurst: 1000 });
    try {
      await limited.call('POST', '/v1/keys', { body: { name: 'ed', type: 'ed25519' } });
      const token = await limited.client('batcher', ['sign:ed']);
      const batch = { batch_input: Array.from({ length: 600 }, (_, i) => ({ input: b64(`b${i}`) })) };
      const first = await request(limited.url, 'POST', '/v1/keys/ed/sign', { token, body: batch });
      expect(first.status).toBe(200);
      const second = await request(limited.url, 'POST', '/v1/keys/ed/sign', { token, body: batch });
      expect([second.status, second.json.error.code]).toEqual([429, 'rate_limited']);
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const single = await request(limited.url, 'POST', '/v1/keys/ed/sign', { token, body: { input: b64('one') } });
      expect(single.status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
