/**
 * The client's retry policy, as pure functions (the transport applies them).
 *
 * What is retried, up to `retries` times:
 * - 429 `rate_limited` and 503 `unavailable`, for every call. payseal checks the rate limit after
 *   authentication and before reading the body, so a 429 did nothing; a 503 means the database could not be
 *   reached, so nothing was committed. Both usually carry `Retry-After`.
 * - A connection that was refused (ECONNREFUSED): nothing was sent, so nothing was applied. Every call.
 * - Any other network failure or a timeout, only for idempotent calls: the request may have reached payseal
 *   and been applied before the answer was lost, and only an idempotent call may be sent twice.
 * - Nothing else: other 4xx answers are the caller's to fix, a 5xx other than 503 is a fault to report.
 *
 * When: never before `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), else capped exponential
 * backoff with full jitter (a random delay in [0, min(maxDelayMs, baseDelayMs·2^attempt)]) so clients that
 * failed together do not come back together. A `Retry-After` longer than `maxRetryAfterMs` is not waited for:
 * the call fails at once with `retryAfterMs` on the error, for the caller to schedule.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (0: one attempt only). */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ retries: 2, baseDelayMs: 100, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 });

/** How an attempt ended, as far as retrying is concerned. */
export type AttemptOutcome =
  | { readonly kind: 'answer'; readonly status: number }
  | { readonly kind: 'refused' }
  | { readonly kind: 'network' }
  | { readonly kind: 'timeout' };

export function _isRetryable(outcome: AttemptOutcome, idempotent: boolean): boolean {
  switch (outcome.kind) {
    case 'answer':
      return outcome.status === 429 || outcome.status === 503;
    case 'refused':
      return true;
    case 'network':
    case 'timeout':
      return idempotent;
  }
}

/**
 * `Retry-After` in milliseconds from `now`: delay-seconds (a non-negative integer) or an IMF-fixdate in the
 * past or future (a past date is 0). Undefined when absent or unparseable.
 */
export function _parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^[0-9]{1,10}$/.test(value)) return Number(value) * 1000;
  // An HTTP-date always names a weekday and GMT; requiring both avoids reading "12" or "1.5" as a date.
  if (!/^[A-Za-z]{3},? .*GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Full-jitter exponential backoff for retry number `attempt` (0 for the first retry). */
export function _backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

/**
 * The wait before retry number `attempt`: never shorter than `Retry-After`, plus up to baseDelayMs of jitter
 * so clients told the same second spread out; backoff when there is no `Retry-After`. Undefined: do not retry
 * (the server asked for longer than the caller is willing to wait).
 */
export function _retryDelay(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number | undefined {
  if (retryAfterMs === undefined) return _backoffDelay(policy, attempt, random);
  if (retryAfterMs > policy.maxRetryAfterMs) return undefined;
  return retryAfterMs + Math.floor(random() * policy.baseDelayMs);
}
