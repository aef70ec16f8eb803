/**
 * Per-client rate limit: a token bucket per authenticated client name, refilled at `rps` tokens per second up
 * to `burst`. Off when rps is 0 (the default: PAYSEAL_RATE_LIMIT_RPS). Each replica limits on its own, so with
 * N replicas a client gets up to N × rps in total. A refused request gets 429 rate_limited with `Retry-After`
 * (RFC 9110 §10.2.3, whole seconds, at least 1) and is not processed.
 *
 * The unit is an item, not a request (issue 11, "Batch starvation"): a request costs 1 token before its body
 * is read (`requests`), and once the body is parsed a `batch_input` of n items costs n − 1 more (`items`), so a
 * 1000-item batch costs 1000, as 1000 single requests would. A batch larger than the burst would never fit in
 * the bucket; it is let through when the bucket is full and leaves it in debt, so the client's long-run rate
 * still never passes rps.
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

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

export interface RateLimits {
  /** 1 token per request, after authentication and before the body is read. */
  readonly requests: Middleware;
  /** n − 1 more tokens for a body with a `batch_input` of n items, after the body is parsed. */
  readonly items: Middleware;
}

/** Items a parsed body asks for: the length of `batch_input` (at most `max`, the batch bound), else 1. */
export function itemCount(body: unknown, max = 1000): number {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 1;
  const items = (body as { batch_input?: unknown }).batch_input;
  return Array.isArray(items) ? Math.max(1, Math.min(items.length, max)) : 1;
}

export function createRateLimits(settings: RateLimitSettings, now: () => number = () => performance.now()): RateLimits {
  const rps = settings.rps;
  const burst = settings.burst > 0 ? settings.burst : Math.max(1, rps);
  const buckets = new Map<string, Bucket>();

  /**
   * Takes `cost` tokens, or answers how many whole seconds until it could (null when taken). `paid`: tokens
   * this request already took (its per-request token, when the items are charged).
   */
  function take(client: string, cost: number, paid: number): number | null {
    const t = now();
    const bucket = buckets.get(client) ?? { tokens: burst, updatedMs: t };
    bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.updatedMs) / 1000) * rps);
    bucket.updatedMs = t;
    buckets.set(client, bucket);
    // A cost above the burst needs a full bucket and leaves it in debt.
    const needed = Math.max(0, Math.min(cost, burst - paid));
    if (bucket.tokens >= needed) {
      bucket.tokens -= cost;
      return null;
    }
    return Math.max(1, Math.ceil((needed - bucket.tokens) / rps));
  }

  function limiter(cost: (req: Request) => number, paid: number): Middleware {
    return function limitRate(req: Request, res: Response, next: NextFunction): void {
      const client = res.locals.client as AuthenticatedClient | undefined;
      if (rps <= 0 || client === undefined) {
        next();
        return;
      }
      const n = cost(req);
      const retryAfter = n > 0 ? take(client.name, n, paid) : null;
      if (retryAfter === null) {
        next();
        return;
      }
      next(new PaysealError('rate_limited', `rate limit of ${rps} items per second exceeded`, { details: { retry_after: retryAfter } }));
    };
  }

  return { requests: limiter(() => 1, 0), items: limiter((req) => itemCount(req.body) - 1, 1) };
}

/** The per-request half alone (1 token per request). */
export function rateLimit(settings: RateLimitSettings, now?: () => number): Middleware {
  return createRateLimits(settings, now).requests;
}
