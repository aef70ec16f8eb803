/**
 * messages/verify: checks a payment-message JWS and answers API.md's verify shape
 * `{valid, reason?, kid, key_version, iat, jti, message?}`, plus `detail`, a finer stable code (an extension).
 *
 * The key is found from `kid` ("name:vN") through the caller's lookup (KeyService in the service, the key
 * bundle offline); the key's type then decides which algs are acceptable (RFC 8725 §3.1: never the header
 * alone). Checks run cheapest first, and every time-based or replay answer is given only for an authentic
 * message: shape → alg → key → signature → canonical payload → freshness → replay.
 *
 * Freshness (RFC 7519 §4.1.6 iat): an iat more than CLOCK_SKEW_SECONDS ahead of our clock is `expired`
 * (detail iat_in_future) always; with max_age_seconds, a message older than max_age + skew is `expired`.
 * Replay: with a ReplayGuard (consume: true) the jti is consumed only after everything else passed, so a
 * forged or stale message can never burn a real one's jti. Consuming bounds the age to
 * CONSUME_WINDOW_SECONDS (the default max age when consuming, and the largest one allowed), and every
 * record expires at iat + window + skew: past that the message is expired for every consumer, so the record
 * can be dropped without ever letting a replay through.
 */
import { JwsError, decodeBase64UrlStrict, parseCompactJws } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import { checkSignature, type KeyLookup, type SignatureDetail } from './_check-signature.ts';
import { readCanonicalPayload } from './canonical.ts';
import { parseKid } from './kid.ts';
import type { ReplayGuard } from './replay-guard.ts';
import { JTI_BYTES, unixNow } from './sign.ts';

export type { KeyLookup, KeyLookupFailure, KeyLookupResult, MessageVerificationKey } from './_check-signature.ts';

/** Clock skew tolerated between signer and verifier, either way (seconds). */
export const CLOCK_SKEW_SECONDS = 60;
/** Largest age a consumed message may have, and the default max age when consuming (24 h). */
export const CONSUME_WINDOW_SECONDS = 86_400;

export type VerifyReason = 'bad_signature' | 'malformed' | 'unknown_key' | 'key_version_revoked' | 'below_min_version' | 'expired' | 'replayed';
export type VerifyDetail = SignatureDetail | 'kid_invalid' | 'iat_invalid' | 'jti_invalid' | 'non_canonical_payload' | 'iat_in_future' | 'too_old' | 'replayed';

export interface VerifyMessageOptions {
  /** Refuse messages whose iat is older than this (seconds, a whole number ≥ 0). */
  readonly maxAgeSeconds?: number | undefined;
  /** Unix seconds to judge freshness by; defaults to the clock. */
  readonly now?: number | undefined;
  /** Consume the jti (API.md `consume: true`); a second consume is `replayed`. */
  readonly replay?: ReplayGuard | undefined;
  /** Only messages signed by these key names are acceptable; any other kid is unknown_key (key_not_accepted). */
  readonly keys?: readonly string[] | undefined;
}

export interface VerifyAnswer {
  readonly valid: boolean;
  readonly reason?: VerifyReason;
  readonly detail?: VerifyDetail;
  readonly kid: string | null;
  readonly key_version: number | null;
  readonly iat: number | null;
  readonly jti: string | null;
  readonly message?: unknown;
}

function checkOptions(options: VerifyMessageOptions): { maxAge: number | null; now: number } {
  const { maxAgeSeconds, now = unixNow() } = options;
  if (maxAgeSeconds !== undefined && (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0)) {
    throw new PaysealError('invalid_request', 'max_age_seconds must be a whole number of seconds, 0 or more');
  }
  if (!Number.isFinite(now)) throw new PaysealError('invalid_request', 'now must be a finite number of unix seconds');
  if (options.replay === undefined) return { maxAge: maxAgeSeconds ?? null, now };
  if (maxAgeSeconds !== undefined && maxAgeSeconds > CONSUME_WINDOW_SECONDS) {
    throw new PaysealError('invalid_request', `max_age_seconds may be at most ${CONSUME_WINDOW_SECONDS} when consuming`);
  }
  return { maxAge: maxAgeSeconds ?? CONSUME_WINDOW_SECONDS, now };
}

function isJti(value: unknown): value is string {
  try {
    return typeof value === 'string' && decodeBase64UrlStrict(value, 'jti').length === JTI_BYTES;
  } catch {
    return false;
  }
}

export async function verifyMessage(jws: unknown, lookup: KeyLookup, options: VerifyMessageOptions = {}): Promise<VerifyAnswer> {
  const { maxAge, now } = checkOptions(options);
  const answer = { kid: null as string | null, key_version: null as number | null, iat: null as number | null, jti: null as string | null };
  const fail = (reason: VerifyReason, detail: VerifyDetail): VerifyAnswer => ({ valid: false, reason, detail, ...answer });
  let parsed;
  try {
    parsed = parseCompactJws(jws);
  } catch (e) {
    if (e instanceof JwsError) return fail(e.reason, e.failure);
    throw e;
  }
  const { header } = parsed;
  const kid = parseKid(header.kid);
  if (kid === null) return fail('malformed', 'kid_invalid');
  answer.kid = header.kid as string;
  answer.key_version = kid.version;
  if (!Number.isSafeInteger(header.iat) || (header.iat as number) < 0) return fail('malformed', 'iat_invalid');
  answer.iat = header.iat as number;
  if (!isJti(header.jti)) return fail('malformed', 'jti_invalid');
  answer.jti = header.jti;
  const signed = await checkSignature(parsed, kid, lookup, options.keys);
  if (!signed.ok) return fail(signed.reason, signed.detail);
  const payload = readCanonicalPayload(parsed.payload);
  if (!payload.ok) return fail('malformed', 'non_canonical_payload');
  const iat = answer.iat;
  if (iat > now + CLOCK_SKEW_SECONDS) return fail('expired', 'iat_in_future');
  if (maxAge !== null && now - iat > maxAge + CLOCK_SKEW_SECONDS) return fail('expired', 'too_old');
  if (options.replay !== undefined && !(await options.replay.consume(answer.jti, iat + CONSUME_WINDOW_SECONDS + CLOCK_SKEW_SECONDS))) {
    return fail('replayed', 'replayed');
  }
  return { valid: true, ...answer, message: payload.message };
}
