/**
 * The per-client token bucket (rate-limit.ts) with an injected clock: a burst passes, the next request is
 * refused with 429 rate_limited and a whole-second Retry-After, tokens come back at rps per second, buckets
 * are per client, rps 0 turns the limit off, and unauthenticated requests are not limited here. Batch items
 * count (issue 11): a batch of n items costs n, and one larger than the burst needs a full bucket and leaves debt.
 */
import { describe, expect, it } from 'vitest';
import type { Request, Response } from 'express';
import { PaysealError } from '../../errors.ts';
import { createRateLimits, itemCount, rateLimit } from './rate-limit.ts';

function harness(rps: number, burst: number) {
  let now = 0;
  const limit = rateLimit({ rps, burst }, () => now);
  return {
    advance(ms: number) {
      now += ms;
    },
    /** undefined when passed on, else the error handed to next(). */
    call(client: string | null): unknown {
      let seen: unknown = 'not called';
      const res = { locals: client === null ? {} : { client: { name: client, scopes: [] } } } as unknown as Response;
      limit({} as Request, res, (err?: unknown) => {
        seen = err;
      });
      return seen;
    },
  };
}

describe('rateLimit', () => {
  it('passes a burst, then refuses with rate_limited and Retry-After; refills at rps', () => {
    const h = harness(2, 3);
    for (let i = 0; i < 3; i++) expect(h.call('a')).toBeUndefined();
    const refused = h.call('a');
    expect(refused).toBeInstanceOf(PaysealError);
    expect((refused as PaysealError).code).toBe('rate_limited');
    expect((refused as PaysealError).details).toEqual({ retry_after: 1 });
    h.advance(499);
    expect((h.call('a') as PaysealError).code).toBe('rate_limited');
    h.advance(1);
    expect(h.call('a')).toBeUndefined();
    expect((h.call('a') as PaysealError).code).toBe('rate_limited');
    h.advance(10_000);
    for (let i = 0; i < 3; i++) expect(h.call('a')).toBeUndefined();
    expect((h.call('a') as PaysealError).code).toBe('rate_limited');
  });

  it('Retry-After is whole seconds, at least 1, long enough for one token', () => {
    const h = harness(0.25, 1);
    expect(h.call('slow')).toBeUndefined();
    expect((h.call('slow') as PaysealError).details).toEqual({ retry_after: 4 });
    h.advance(3000);
    expect((h.call('slow') as PaysealError).details).toEqual({ retry_after: 1 });
  });

  it('each client has its own bucket', () => {
    const h = harness(1, 1);
    expect(h.call('a')).toBeUndefined();
    expect((h.call('a') as PaysealError).code).toBe('rate_limited');
    expect(h.call('b')).toBeUndefined();
  });

  it('burst 0 means one second of requests; rps 0 turns the limit off; no client is not limited here', () => {
    const h = harness(5, 0);
    for (let i = 0; i < 5; i++) expect(h.call('a')).toBeUndefined();
    expect((h.call('a') as PaysealError).code).toBe('rate_limited');
    const off = harness(0, 0);
    for (let i = 0; i < 1000; i++) expect(off.call('a')).toBeUndefined();
    const anon = harness(1, 1);
    for (let i = 0; i < 5; i++) expect(anon.call(null)).toBeUndefined();
  });
});

/** A request through both halves, as app.ts mounts them: 1 token, then the body's items − 1. */
function batchHarness(rps: number, burst: number) {
  let now = 0;
  const limits = createRateLimits({ rps, burst }, () => now);
  return {
    advance(ms: number) {
      now += ms;
    },
    call(client: string, items: number | null): unknown {
      const res = { locals: { client: { name: client, scopes: [] } } } as unknown as Response;
      const req = { body: items === null ? { input: 'aGk=' } : { batch_input: Array(items).fill({ input: 'aGk=' }) } } as Request;
      let seen: unknown = 'not called';
      limits.requests(req, res, (err?: unknown) => {
        seen = err;
      });
      if (seen !== undefined) return seen;
      limits.items(req, res, (err?: unknown) => {
        seen = err;
      });
      return seen;
    },
  };
}

describe('batch items count against the limit', () => {
  it('a batch of n items costs n tokens, as n single requests would', () => {
    const h = batchHarness(10, 100);
    expect(h.call('a', 60)).toBeUndefined();
    expect(h.call('a', 40)).toBeUndefined();
    const refused = h.call('a', null);
    expect((refused as PaysealError).code).toBe('rate_limited');
    expect((refused as PaysealError).message).toBe('rate limit of 10 items per second exceeded');
    h.advance(1000);
    expect(h.call('a', 10)).toBeUndefined();
    expect((h.call('a', 1) as PaysealError).code).toBe('rate_limited');
  });

  it('a batch that does not fit in what is left is refused whole, with the seconds until it would fit', () => {
    const h = batchHarness(10, 100);
    expect(h.call('a', 80)).toBeUndefined();
    const refused = h.call('a', 50) as PaysealError;
    expect(refused.code).toBe('rate_limited');
    // 19 tokens left after the request's own one; its other 49 items need 30 more: 3 s at 10 per second.
    expect(refused.details).toEqual({ retry_after: 3 });
  });

  it('a batch larger than the burst passes on a full bucket and leaves it in debt', () => {
    const h = batchHarness(100, 50);
    expect(h.call('a', 1000)).toBeUndefined();
    // 50 − 1000 = −950 tokens: the next item needs 951 more, 9.51 s at 100 per second.
    expect((h.call('a', null) as PaysealError).details).toEqual({ retry_after: 10 });
    h.advance(9_000);
    expect((h.call('a', null) as PaysealError).code).toBe('rate_limited');
    h.advance(1_000);
    expect(h.call('a', null)).toBeUndefined();
  });

  it('counts batch_input items only (capped at the batch bound), anything else as one', () => {
    expect(itemCount({ batch_input: [1, 2, 3] })).toBe(3);
    expect(itemCount({ batch_input: Array(5000).fill(0) })).toBe(1000);
    expect(itemCount({ batch_input: [] })).toBe(1);
    expect(itemCount({ batch_input: 'many' })).toBe(1);
    expect(itemCount(undefined)).toBe(1);
    expect(itemCount([1, 2])).toBe(1);
  });
});
