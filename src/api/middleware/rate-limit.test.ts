/**
 * The per-client token bucket (rate-limit.ts) with an injected clock: a burst passes, the next request is
 * refused with 429 rate_limited and a whole-second Retry-After, tokens come back at rps per second, buckets
 * are per client, rps 0 turns the limit off, and unauthenticated requests are not limited here.
 */
import { describe, expect, it } from 'vitest';
import type { Request, Response } from 'express';
import { PaysealError } from '../../errors.ts';
import { rateLimit } from './rate-limit.ts';

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
