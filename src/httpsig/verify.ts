/**
 * Verifying an HTTP message signature (RFC 9421 §3.2) against one key the caller names (never a key the
 * message picks: keyid only chooses among that key's versions, keys/key-ids.ts). Checks run cheapest first and
 * every time-based or replay answer is given only for an authentic signature: fields → label → components and
 * parameters → policy (required components, tag, created/expires/nonce present) → keyid → version state
 * (revoked, below min_version, certificate validity) → alg from the key's type (§3.3.7, §7.3.6) → signature →
 * Content-Digest against the body (RFC 9530) → created/expires → nonce consumed through the ReplayGuard.
 * Verification fails closed: every crypto failure is one `bad_signature`, whatever OpenSSL said.
 */
import { createHash } from 'node:crypto';
import { createVerifier, encodeBase64Url, httpSignatureAlgorithmFor, httpSignatureAlgsFor, resolveHttpSignatureAlgorithm, type HttpSignatureAlgorithm } from '../crypto/index.ts';
import { PaysealError, isPaysealError } from '../errors.ts';
import type { KeyService } from '../keys/types.ts';
import { CLOCK_SKEW_SECONDS, CONSUME_WINDOW_SECONDS, type ReplayGuard } from '../messages/index.ts';
import { ComponentError } from './components.ts';
import { checkContentDigest } from './content-digest.ts';
import { findSignature } from './fields.ts';
import { normalizeMessage, type HttpMessageInput } from './message.ts';
import { mergePolicies, parsePolicy, type EffectivePolicy, type HttpSignaturePolicy } from './policy.ts';
import { readInputMember, signatureBase, type SignatureInputMember } from './signature-base.ts';

export type HttpVerifyReason = 'bad_signature' | 'malformed' | 'unknown_key' | 'key_version_revoked' | 'below_min_version' | 'expired' | 'replayed' | 'digest_mismatch' | 'policy_violation';

export interface VerifyHttpRequest {
  readonly key: string;
  readonly message: HttpMessageInput;
  readonly request?: HttpMessageInput | undefined;
  /** Which signature to check; default: the only one. */
  readonly label?: string | undefined;
  readonly policy?: HttpSignaturePolicy | undefined;
}

export interface VerifyHttpAnswer {
  readonly valid: boolean;
  readonly reason?: HttpVerifyReason;
  /** A finer stable code (e.g. component_missing, tag_mismatch, too_old, certificate_expired). */
  readonly detail?: string;
  readonly label: string | null;
  readonly keyid: string | null;
  readonly key_version: number | null;
  readonly alg: string | null;
  readonly covered_components: readonly string[] | null;
  readonly created: number | null;
  readonly expires: number | null;
  readonly tag: string | null;
  /** valid: checked against the body; unchecked: covered but no body was given; not_covered. */
  readonly content_digest: 'valid' | 'unchecked' | 'not_covered' | null;
  readonly nonce_consumed: boolean;
}

export interface VerifyHttpOptions {
  readonly replay?: ReplayGuard | undefined;
  /** Unix seconds; default the clock. */
  readonly now?: number | undefined;
}

type Keys = Pick<KeyService, 'resolveKeyId' | 'versionFor' | 'httpSignaturePolicy'>;

/** Policy checks on what the signature says it covers (before any key or crypto). Returns a detail or null. */
function policyFailure(m: SignatureInputMember, p: EffectivePolicy): string | null {
  const covered = new Set(m.components.map((c) => c.id));
  if (p.requiredComponents.some((id) => !covered.has(id))) return 'required_component_missing';
  if (p.tag !== null && m.params.tag !== p.tag) return 'tag_mismatch';
  if ((p.requireCreated || p.maxAgeSeconds !== null || p.requireNonce) && m.params.created === undefined) return 'created_missing';
  if (p.requireExpires && m.params.expires === undefined) return 'expires_missing';
  if (p.requireNonce && (m.params.nonce === undefined || m.params.nonce === '')) return 'nonce_missing';
  return null;
}

function algorithmOf(spec: Parameters<typeof httpSignatureAlgsFor>[0], alg: string | undefined, p: EffectivePolicy): HttpSignatureAlgorithm | string {
  if (alg === undefined) {
    try {
      return httpSignatureAlgorithmFor(spec, p.algorithm ?? undefined);
    } catch {
      return 'alg_unsupported';
    }
  }
  let row: HttpSignatureAlgorithm;
  try {
    row = resolveHttpSignatureAlgorithm(alg);
  } catch {
    return 'alg_unsupported';
  }
  if (!httpSignatureAlgsFor(spec).includes(row)) return 'alg_key_mismatch';
  if (p.algorithm !== null && row.alg !== p.algorithm) return 'alg_not_allowed';
  return row;
}

/** A nonce as a ReplayGuard jti: 16 bytes of SHA-256 over the key and the nonce, domain-separated from message jtis. */
export function nonceJti(key: string, nonce: string): string {
  return encodeBase64Url(createHash('sha256').update(`payseal:httpsig:nonce\0${key}\0${nonce}`, 'utf8').digest().subarray(0, 16));
}

export async function verifyHttpMessage(keys: Keys, req: VerifyHttpRequest, options: VerifyHttpOptions = {}): Promise<VerifyHttpAnswer> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const msg = normalizeMessage(req.message);
  const request = req.request === undefined ? null : normalizeMessage(req.request, 'request');
  const stored = await keys.httpSignaturePolicy(req.key);
  const policy = mergePolicies(stored === null ? null : parsePolicy(stored, 'stored policy'), req.policy ?? null);
  const answer = {
    label: null as string | null, keyid: null as string | null, key_version: null as number | null, alg: null as string | null,
    covered_components: null as string[] | null, created: null as number | null, expires: null as number | null, tag: null as string | null,
    content_digest: null as VerifyHttpAnswer['content_digest'], nonce_consumed: false,
  };
  const fail = (reason: HttpVerifyReason, detail: string): VerifyHttpAnswer => ({ valid: false, reason, detail, ...answer });

  const found = findSignature(msg, req.label);
  if (typeof found === 'string') return fail('malformed', found);
  answer.label = found.label;
  let member: SignatureInputMember;
  try {
    member = readInputMember(found.input);
  } catch (e) {
    if (e instanceof ComponentError) return fail('malformed', e.failure);
    throw e;
  }
  const { params } = member;
  answer.covered_components = member.components.map((c) => c.id);
  answer.created = params.created ?? null;
  answer.expires = params.expires ?? null;
  answer.tag = params.tag ?? null;
  const violated = policyFailure(member, policy);
  if (violated !== null) return fail('policy_violation', violated);
  if (params.keyid === undefined) return fail('malformed', 'keyid_missing');
  answer.keyid = params.keyid;
  const version = await keys.resolveKeyId(req.key, params.keyid);
  if (version === null) return fail('unknown_key', 'unknown_key');
  answer.key_version = version;
  const lookup = await keys.versionFor(req.key, version, 'sign', 'verify');
  if (!lookup.ok) {
    if (lookup.reason === 'expired') return fail('expired', 'certificate_expired');
    if (lookup.reason === 'key_version_revoked' || lookup.reason === 'below_min_version') return fail(lookup.reason, lookup.reason);
    return fail('unknown_key', lookup.reason);
  }
  const algorithm = algorithmOf(lookup.key.spec, params.alg, policy);
  if (typeof algorithm === 'string') return fail(algorithm === 'alg_not_allowed' ? 'policy_violation' : 'bad_signature', algorithm);
  answer.alg = algorithm.alg;
  let base: Buffer;
  try {
    base = signatureBase(member, msg, request);
  } catch (e) {
    if (e instanceof ComponentError) return fail('malformed', e.failure);
    throw e;
  }
  let ok = false;
  try {
    ok = await createVerifier(lookup.key.spec, lookup.key.key).verify(base, found.signature, algorithm.options);
  } catch (e) {
    if (isPaysealError(e) && e.code === 'unavailable') throw e;
  }
  if (!ok) return fail('bad_signature', 'signature_invalid');

  const digestCovered = member.components.some((c) => c.name === 'content-digest' && !c.params.has('req'));
  if (!digestCovered) answer.content_digest = 'not_covered';
  else if (msg.body === null) answer.content_digest = 'unchecked';
  else {
    const lines = msg.fields.get('content-digest');
    const check = checkContentDigest(lines ? lines.map((l) => l.trim()).join(', ') : null, msg.body);
    if (check !== 'valid') return fail('digest_mismatch', check === 'missing' ? 'digest_missing' : 'digest_mismatch');
    answer.content_digest = 'valid';
  }

  const created = params.created;
  if (created !== undefined && created > now + CLOCK_SKEW_SECONDS) return fail('expired', 'created_in_future');
  if (params.expires !== undefined && now > params.expires + CLOCK_SKEW_SECONDS) return fail('expired', 'signature_expired');
  const maxAge = policy.requireNonce ? Math.min(policy.maxAgeSeconds ?? CONSUME_WINDOW_SECONDS, CONSUME_WINDOW_SECONDS) : policy.maxAgeSeconds;
  if (maxAge !== null && created !== undefined && now - created > maxAge + CLOCK_SKEW_SECONDS) return fail('expired', 'too_old');
  if (policy.requireNonce) {
    if (options.replay === undefined) throw new PaysealError('unavailable', 'nonce replay checking needs the replay store, which this process does not have');
    const until = Math.min((created as number) + (maxAge as number), params.expires ?? Number.POSITIVE_INFINITY) + CLOCK_SKEW_SECONDS;
    if (!(await options.replay.consume(nonceJti(req.key, params.nonce as string), until))) return fail('replayed', 'replayed');
    answer.nonce_consumed = true;
  }
  return { valid: true, ...answer };
}
