/**
 * Per-client rate limit: a token bucket per authenticated client name, refilled at `rps` tokens per second up
 * to `burst`. Off when rps is 0 (the default: PAYSEAL_RATE_LIMIT_RPS). Each replica limits on its own, so with
 * N replicas a client gets up to N × rps in total. A refused request gets 429 rate_limited with `Retry-After`
 * (RFC 9110 §10.2.3, whole seconds, at least 1) and is not processed.
 */
import type { NextFunction, Request, Response } from 'express';
import { PaysealError } from '../../errors.ts';
import type { AuthenticatedClient } from '../../clients/types.ts';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export interface RateLimitSettings {
  readonly rps: number;
  /** Bucket size; 0 means "one second's worth" (max(1, rps)). */
  readonly burst: number;
}

export function rateLimit(settings: RateLimitSettings, now: () => number = () => performance.now()) {
  const rps = settings.rps;
  const burst = settings.burst > 0 ? settings.burst : Math.max(1, rps);
  const buckets = new Map<string, Bucket>();

  return function limitRate(_req: Request, res: Response, next: NextFunction): void {
    const client = res.locals.client as AuthenticatedClient | undefined;
    if (rps <= 0 || client === undefined) {
      next();
      return;
    }
    const t = now();
    const bucket = buckets.get(client.name) ?? { tokens: burst, updatedMs: t };
    bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.updatedMs) / 1000) * rps);
    bucket.updatedMs = t;
    buckets.set(client.name, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      next();
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / rps));
    next(new PaysealError('rate_limited', `rate limit of ${rps} requests per second exceeded`, { details: { retry_after: retryAfter } }));
  };
}
