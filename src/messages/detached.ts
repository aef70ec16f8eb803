/**
 * Detached JWS over raw body bytes, for partners (RFC 7515 Appendix F; RFC 7797; the UK Open Banking
 * `x-jws-signature` header): the compact form is `header..signature`, the body travels as it is.
 *
 * Two variants, both signed and verified here:
 * - `b64: false` (RFC 7797, Open Banking up to v3.1.3): the signing input is ASCII(header) ‖ '.' ‖ body bytes,
 *   and `b64` is listed in `crit` (§6), so a verifier that does not know RFC 7797 refuses instead of reading a
 *   different payload.
 * - without `b64` (Open Banking v3.1.4 on): the body is base64url-encoded in the signing input, still detached.
 * The caller names the extra critical header members it understands and checks (e.g. Open Banking's
 * `http://openbanking.org.uk/iat`, `/iss`, `/tan`); any other name in `crit` is refused (RFC 7515 §4.1.11),
 * and the verified header is returned for the caller to check them.
 * The body is not JCS-checked: partners sign the exact bytes they send, whatever their JSON spelling.
 *
 * Freshness and replay work as for payment messages (_freshness.ts) when the header carries payseal's `iat`
 * and `jti` (messages/sign with `detached: true` always sets them); asking for max_age_seconds or consume of
 * a signature without them is `malformed` (iat_invalid / jti_invalid), never a silent pass.
 */
import { JwsError, parseCompactJws, signCompactJws, type RsaPadding } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import { checkSignature, type KeyLookup, type SignatureDetail, type SignatureReason } from './_check-signature.ts';
import { checkFreshness, isIat, isJti, planFreshness, type FreshnessOptions, type FreshnessFailure } from './_freshness.ts';
import { formatKid, parseKid } from './kid.ts';
import type { MessageSigningKey } from './sign.ts';

export interface SignDetachedOptions {
  /** false (default): RFC 7797 unencoded body; true: the body base64url-encoded in the signing input (no b64 member). */
  readonly b64?: boolean | undefined;
  /** Extra protected header members (typ, cty, Open Banking claims). alg, kid, b64 and crit are set here. */
  readonly header?: Readonly<Record<string, unknown>> | undefined;
  /** Names of members of `header` to mark critical. */
  readonly crit?: readonly string[] | undefined;
  readonly rsaPadding?: RsaPadding | undefined;
}

export interface DetachedSignature {
  /** `header..signature`, e.g. the value of an `x-jws-signature` HTTP header. */
  readonly jws: string;
  readonly kid: string;
  readonly key_version: number;
}

const SET_HERE = ['alg', 'kid', 'b64', 'crit'];

export async function signDetached(key: MessageSigningKey, body: Uint8Array, options: SignDetachedOptions = {}): Promise<DetachedSignature> {
  const extra = options.header ?? {};
  for (const name of SET_HERE) {
    if (Object.hasOwn(extra, name)) throw new PaysealError('invalid_request', `header must not set ${name}; it is set from the key and options`);
  }
  const crit = options.crit ?? [];
  const kid = formatKid(key.name, key.version);
  const header = { kid, ...extra, ...(crit.length > 0 ? { crit } : {}) };
  const b64 = options.b64 === true;
  const jws = await signCompactJws(key.spec, key.key, header, body, { detached: true, b64, rsaPadding: options.rsaPadding });
  // Produce only what verifyDetached accepts: the same parser rejects a bad crit list here, before it is sent.
  parseCompactJws(jws, { detachedPayload: body, crit: ['b64', ...crit] });
  return { jws, kid, key_version: key.version };
}

export interface VerifyDetachedOptions extends FreshnessOptions {
  /** Critical extensions the caller understands and checks itself (b64 is always understood here). */
  readonly crit?: readonly string[] | undefined;
  /** Only signatures by these key names are acceptable. */
  readonly keys?: readonly string[] | undefined;
}

export type DetachedReason = SignatureReason | FreshnessFailure['reason'];
export type DetachedDetail = SignatureDetail | FreshnessFailure['detail'] | 'kid_invalid' | 'iat_invalid' | 'jti_invalid';

export interface DetachedAnswer {
  readonly valid: boolean;
  readonly reason?: DetachedReason;
  readonly detail?: DetachedDetail;
  readonly kid: string | null;
  readonly key_version: number | null;
  /** The header's `iat` and `jti` when they have payseal's form (whole unix seconds; 16 bytes base64url), else null. */
  readonly iat: number | null;
  readonly jti: string | null;
  /** Whether the body was signed unencoded (RFC 7797 b64:false); null until the header parsed. */
  readonly b64: boolean | null;
  /** The protected header, only when valid, for the caller to check the critical members it named. */
  readonly header?: Readonly<Record<string, unknown>>;
}

export async function verifyDetached(jws: unknown, body: Uint8Array, lookup: KeyLookup, options: VerifyDetachedOptions = {}): Promise<DetachedAnswer> {
  const plan = planFreshness(options);
  let parsed;
  try {
    parsed = parseCompactJws(jws, { detachedPayload: body, crit: ['b64', ...(options.crit ?? [])] });
  } catch (e) {
    if (e instanceof JwsError) return { valid: false, reason: e.reason, detail: e.failure, kid: null, key_version: null, iat: null, jti: null, b64: null };
    throw e;
  }
  const { header } = parsed;
  const iat = isIat(header.iat) ? header.iat : null;
  const jti = isJti(header.jti) ? header.jti : null;
  const kid = parseKid(header.kid);
  if (kid === null) return { valid: false, reason: 'malformed', detail: 'kid_invalid', kid: null, key_version: null, iat, jti, b64: parsed.b64 };
  const known = { kid: header.kid as string, key_version: kid.version, iat, jti, b64: parsed.b64 };
  const fail = (reason: DetachedReason, detail: DetachedDetail): DetachedAnswer => ({ valid: false, reason, detail, ...known });
  if (iat === null && (plan.maxAge !== null || plan.replay !== undefined)) return fail('malformed', 'iat_invalid');
  if (jti === null && plan.replay !== undefined) return fail('malformed', 'jti_invalid');
  const signed = await checkSignature(parsed, kid, lookup, options.keys);
  if (!signed.ok) return fail(signed.reason, signed.detail);
  if (iat !== null) {
    // jti is non-null here whenever plan.replay is set (checked above); without a guard it is not read.
    const stale = await checkFreshness(iat, jti ?? '', plan);
    if (stale !== null) return fail(stale.reason, stale.detail);
  }
  return { valid: true, ...known, header };
}
