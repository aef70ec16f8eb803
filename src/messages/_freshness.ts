/**
 * The time and replay checks that messages/verify, messages/open and detached verification share, run only
 * once a message is authentic (so a forged or stale message can never burn a real one's jti).
 *
 * Freshness (RFC 7519 §4.1.6 iat): an iat more than CLOCK_SKEW_SECONDS ahead of our clock is `expired`
 * (detail iat_in_future) always; with max_age_seconds, a message older than max_age + skew is `expired`.
 * Replay: consuming bounds the age to CONSUME_WINDOW_SECONDS (the default max age when consuming, and the
 * largest one allowed), and every record expires at iat + window + skew: past that the message is expired for
 * every consumer, so the record can be dropped without ever letting a replay through.
 */
import { decodeBase64UrlStrict } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import type { ReplayGuard } from './replay-guard.ts';
import { JTI_BYTES, unixNow } from './sign.ts';

/** Clock skew tolerated between signer and verifier, either way (seconds). */
export const CLOCK_SKEW_SECONDS = 60;
/** Largest age a consumed message may have, and the default max age when consuming (24 h). */
export const CONSUME_WINDOW_SECONDS = 86_400;

export interface FreshnessOptions {
  /** Refuse messages whose iat is older than this (seconds, a whole number ≥ 0). */
  readonly maxAgeSeconds?: number | undefined;
  /** Unix seconds to judge freshness by; defaults to the clock. */
  readonly now?: number | undefined;
  /** Consume the jti (API.md `consume: true`); a second consume is `replayed`. */
  readonly replay?: ReplayGuard | undefined;
}

export interface FreshnessPlan {
  readonly maxAge: number | null;
  readonly now: number;
  readonly replay: ReplayGuard | undefined;
}

/** Validates the options (invalid_request) before any work, so a bad request never half-runs. */
export function planFreshness(options: FreshnessOptions): FreshnessPlan {
  const { maxAgeSeconds, now = unixNow(), replay } = options;
  if (maxAgeSeconds !== undefined && (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0)) {
    throw new PaysealError('invalid_request', 'max_age_seconds must be a whole number of seconds, 0 or more');
  }
  if (!Number.isFinite(now)) throw new PaysealError('invalid_request', 'now must be a finite number of unix seconds');
  if (replay === undefined) return { maxAge: maxAgeSeconds ?? null, now, replay };
  if (maxAgeSeconds !== undefined && maxAgeSeconds > CONSUME_WINDOW_SECONDS) {
    throw new PaysealError('invalid_request', `max_age_seconds may be at most ${CONSUME_WINDOW_SECONDS} when consuming`);
  }
  return { maxAge: maxAgeSeconds ?? CONSUME_WINDOW_SECONDS, now, replay };
}

/** An iat payseal accepts: whole unix seconds, 0 or more. */
export function isIat(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** A jti payseal issues and consumes: base64url of exactly JTI_BYTES bytes (a bounded key space for the guard). */
export function isJti(value: unknown): value is string {
  try {
    return typeof value === 'string' && decodeBase64UrlStrict(value, 'jti').length === JTI_BYTES;
  } catch {
    return false;
  }
}

export type FreshnessFailure = { readonly reason: 'expired'; readonly detail: 'iat_in_future' | 'too_old' } | { readonly reason: 'replayed'; readonly detail: 'replayed' };

/** null when the message is fresh (and, when consuming, its jti was new and is now recorded). */
export async function checkFreshness(iat: number, jti: string, plan: FreshnessPlan): Promise<FreshnessFailure | null> {
  if (iat > plan.now + CLOCK_SKEW_SECONDS) return { reason: 'expired', detail: 'iat_in_future' };
  if (plan.maxAge !== null && plan.now - iat > plan.maxAge + CLOCK_SKEW_SECONDS) return { reason: 'expired', detail: 'too_old' };
  if (plan.replay !== undefined && !(await plan.replay.consume(jti, iat + CONSUME_WINDOW_SECONDS + CLOCK_SKEW_SECONDS))) {
    return { reason: 'replayed', detail: 'replayed' };
  }
  return null;
}
