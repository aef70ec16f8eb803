/**
 * messages/verify: checks a payment-message JWS and answers API.md's verify shape
 * `{valid, reason?, kid, key_version, iat, jti, message?}`, plus `detail`, a finer stable code (an extension).
 *
 * The key is found from `kid` ("name:vN") through the caller's lookup (KeyService in the service, the key
 * bundle offline); the key's type then decides which algs are acceptable (RFC 8725 §3.1: never the header
 * alone). Checks run cheapest first, and every time-based or replay answer is given only for an authentic
 * message: shape → alg → key → signature → canonical payload → freshness → replay.
 *
 * Freshness and replay (_freshness.ts) are judged last: `expired` and `replayed` are only ever answered for
 * an authentic message, and a forged or stale message can never burn a real one's jti.
 */
import { JwsError, parseCompactJws } from '../crypto/index.ts';
import { checkSignature, type KeyLookup, type SignatureDetail } from './_check-signature.ts';
import { checkFreshness, isIat, isJti, planFreshness, type FreshnessOptions } from './_freshness.ts';
import { readCanonicalPayload } from './canonical.ts';
import { parseKid } from './kid.ts';

export type { KeyLookup, KeyLookupFailure, KeyLookupResult, MessageVerificationKey } from './_check-signature.ts';

export { CLOCK_SKEW_SECONDS, CONSUME_WINDOW_SECONDS } from './_freshness.ts';

export type VerifyReason = 'bad_signature' | 'malformed' | 'unknown_key' | 'key_version_revoked' | 'below_min_version' | 'expired' | 'replayed';
export type VerifyDetail = SignatureDetail | 'kid_invalid' | 'iat_invalid' | 'jti_invalid' | 'non_canonical_payload' | 'iat_in_future' | 'too_old' | 'replayed';

export interface VerifyMessageOptions extends FreshnessOptions {
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

export async function verifyMessage(jws: unknown, lookup: KeyLookup, options: VerifyMessageOptions = {}): Promise<VerifyAnswer> {
  const plan = planFreshness(options);
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
  if (!isIat(header.iat)) return fail('malformed', 'iat_invalid');
  answer.iat = header.iat;
  if (!isJti(header.jti)) return fail('malformed', 'jti_invalid');
  answer.jti = header.jti;
  const signed = await checkSignature(parsed, kid, lookup, options.keys);
  if (!signed.ok) return fail(signed.reason, signed.detail);
  const payload = readCanonicalPayload(parsed.payload);
  if (!payload.ok) return fail('malformed', 'non_canonical_payload');
  const stale = await checkFreshness(answer.iat, answer.jti, plan);
  if (stale !== null) return fail(stale.reason, stale.detail);
  return { valid: true, ...answer, message: payload.message };
}
