/**
 * `payseal verify --jws FILE`: a payment-message JWS (API.md "Payment messages") checked offline against the
 * bundle, with both opinions on its signature.
 *
 * The compact form is parsed by src/crypto/jws.ts (strict: no duplicate header members, crit/b64 rules). The
 * protected header must carry `kid` "<name>:v<N>", `iat` (unix seconds) and `jti` (base64url of 16 bytes);
 * the key named by kid must be in the bundle, and the header's `alg` must be one that key's type signs with
 * (algsForKey: RFC 8725 §3.1, never the header alone). The signature over the JWS signing input is then judged
 * by signature.ts (disagreement, revoked, below min_version, bad signature), and a valid one also needs a
 * canonical payload: payload bytes = JCS(JSON.parse(payload)) (RFC 8785), one signed form per message.
 * Freshness and replay need a clock and shared state: they are the service's, not an auditor's, questions.
 */
import { decodeBase64UrlStrict } from '../crypto/base64.ts';
import { canonicalJson } from '../crypto/canonical-json.ts';
import { algsForKey, resolveJwsAlgorithm, signOptionsOf } from '../crypto/jws-algorithms.ts';
import { JwsError } from '../crypto/jws-failure.ts';
import { parseCompactJws } from '../crypto/jws.ts';
import type { Bundle } from './bundle.ts';
import { DEFAULT_OPINIONS, verifyWithBundle, type Opinion, type Verdict } from './signature.ts';
import { MAX_VERSION, NAME_SOURCE, VERSION_DIGITS_SOURCE } from '../grammar.ts';

export type JwsReason = 'malformed' | 'unknown_key' | 'bad_signature' | 'disagreement' | 'key_version_revoked' | 'below_min_version';

export interface JwsVerdict extends Omit<Partial<Verdict>, 'reason' | 'valid'> {
  readonly valid: boolean;
  readonly reason?: JwsReason;
  /** Why, more finely (the codec's failure, or kid_invalid, iat_invalid, jti_invalid, alg_key_mismatch, non_canonical_payload). */
  readonly detail?: string;
  readonly kid: string | null;
  readonly alg: string | null;
  readonly iat: number | null;
  readonly jti: string | null;
  /** The message, only when valid. */
  readonly message?: unknown;
}

const KID = new RegExp(`^(${NAME_SOURCE}):v(${VERSION_DIGITS_SOURCE})$`);
const JTI_BYTES = 16;

function isJti(value: unknown): value is string {
  try {
    return typeof value === 'string' && decodeBase64UrlStrict(value, 'jti').length === JTI_BYTES;
  } catch {
    return false;
  }
}

/** The payload as a JSON value if its bytes are exactly its JCS form; undefined otherwise. */
function canonicalPayload(payload: Buffer): { value: unknown } | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
    const value: unknown = JSON.parse(text);
    return canonicalJson(value) === text ? { value } : undefined;
  } catch {
    return undefined;
  }
}

export async function verifyMessageJws(bundle: Bundle, jws: string, opinions: readonly Opinion[] = DEFAULT_OPINIONS): Promise<JwsVerdict> {
  const facts = { kid: null as string | null, alg: null as string | null, iat: null as number | null, jti: null as string | null };
  const fail = (reason: JwsReason, detail: string, more: Partial<Verdict> = {}): JwsVerdict => ({ valid: false, ...more, reason, detail, ...facts });
  let parsed;
  try {
    parsed = parseCompactJws(jws.trim());
  } catch (e) {
    if (e instanceof JwsError) return fail(e.reason, e.failure);
    throw e;
  }
  const { header } = parsed;
  facts.alg = typeof header.alg === 'string' ? header.alg : null;
  const kid = typeof header.kid === 'string' ? KID.exec(header.kid) : null;
  if (kid === null || Number(kid[2]) > MAX_VERSION) return fail('malformed', 'kid_invalid');
  facts.kid = header.kid as string;
  if (!Number.isSafeInteger(header.iat) || (header.iat as number) < 0) return fail('malformed', 'iat_invalid');
  facts.iat = header.iat as number;
  if (!isJti(header.jti)) return fail('malformed', 'jti_invalid');
  facts.jti = header.jti;
  const [name, version] = [kid[1] as string, Number(kid[2])];
  let row;
  try {
    row = resolveJwsAlgorithm(header.alg);
  } catch (e) {
    if (e instanceof JwsError) return fail(e.reason, e.failure, { key: name, key_version: version });
    throw e;
  }
  const key = bundle.keys.get(name);
  if (key === undefined || !key.versions.has(version)) return fail('unknown_key', 'unknown_key', { key: name, key_version: version });
  if (!algsForKey(key.spec).includes(row.alg)) return fail('bad_signature', 'alg_key_mismatch', { key: name, key_version: version, type: key.spec.type });
  const verdict = await verifyWithBundle(bundle, name, version, parsed.signingInput, parsed.signature, signOptionsOf(row), opinions);
  const { valid: _valid, reason, ...rest } = verdict;
  if (reason !== undefined) return fail(reason, reason, rest);
  const payload = canonicalPayload(parsed.payload);
  if (payload === undefined) return fail('malformed', 'non_canonical_payload', rest);
  return { valid: true, ...rest, ...facts, message: payload.value };
}
