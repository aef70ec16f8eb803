/**
 * Compact JWS (RFC 7515 §3.1, §7.1) for payseal's signing keys: a strict parser, a signer and a verifier,
 * over the algorithm table of jws-algorithms.ts. Pure: no I/O, no clock, no environment; the crypto runs on
 * libuv's pool through createSigner/createVerifier.
 *
 * - The key decides: verifyJwsSignature accepts a header `alg` only when it is in algsForKey(spec).
 * - The protected header is JSON with no duplicate member names (RFC 7515 §5.2 lets us reject; we must,
 *   or two parsers may read two different headers), `crit` per §4.1.11 and `b64` per RFC 7797 §3, §6.
 * - ECDSA and DSA signatures are r‖s, each scalar left-padded (RFC 7518 §3.4).
 * Verification fails closed: any exception from OpenSSL is a failure, never a crash and never a reason.
 */
import type { KeyObject } from 'node:crypto';
import { PaysealError } from '../errors.ts';
import { decodeBase64UrlStrict, encodeBase64Url } from './base64.ts';
import { hasNoDuplicateMembers } from './_json-members.ts';
import { algsForKey, jwsSigningAlgorithm, resolveJwsAlgorithm, signOptionsOf, type JwsAlgorithm } from './jws-algorithms.ts';
import { JwsError, type JwsFailure } from './jws-failure.ts';
import { createSigner, createVerifier } from './sign.ts';
import type { KeyTypeSpec, RsaPadding } from './types.ts';

/** Header parameter names of RFC 7515 §4.1, which §4.1.11 forbids in `crit`. */
const REGISTERED = new Set(['alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit']);

export interface ParsedJws {
  /** The protected header: a JSON object with no duplicate members; read it with Object.hasOwn. */
  readonly header: Readonly<Record<string, unknown>>;
  /** The header's base64url text as received (RFC 7516 §5.1 also uses it as AAD). */
  readonly protectedB64: string;
  /** ASCII(BASE64URL(header)) ‖ '.' ‖ (BASE64URL(payload) or, with b64:false, the payload bytes). */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
  readonly payload: Buffer;
  /** false when the header says b64:false (RFC 7797). */
  readonly b64: boolean;
  readonly detached: boolean;
}

export interface ParseJwsOptions {
  /** The payload travels apart (RFC 7515 Appendix F): the compact form's middle part must be empty. */
  readonly detachedPayload?: Uint8Array | undefined;
  /** The `crit` extensions the caller understands and will check, e.g. ['b64']; any other listed is crit_unknown. */
  readonly crit?: readonly string[] | undefined;
}

/** A JOSE protected header (JWS or JWE): strict base64url of UTF-8 JSON, an object, no duplicate member names. */
export function decodeProtectedHeader(part: string): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(decodePart(part, 'header'));
    value = JSON.parse(text);
  } catch (e) {
    if (e instanceof JwsError) throw e;
    throw new JwsError('header_not_json', 'protected header is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwsError('header_not_json', 'protected header is not a JSON object');
  if (!hasNoDuplicateMembers(text)) throw new JwsError('duplicate_header_member', 'protected header has a duplicate member name');
  return value as Record<string, unknown>;
}

function decodePart(part: string, what: string): Buffer {
  try {
    return decodeBase64UrlStrict(part, what);
  } catch {
    throw new JwsError('bad_base64url', `${what} is not canonical unpadded base64url`);
  }
}

/** RFC 7515 §4.1.11 and RFC 7797 §6: returns b64 (true unless the header says false and lists it in crit). */
function checkCrit(header: Record<string, unknown>, understood: readonly string[]): boolean {
  if (Object.hasOwn(header, 'crit')) {
    const crit = header.crit;
    if (!Array.isArray(crit) || crit.length === 0) throw new JwsError('crit_invalid', 'crit must be a non-empty array');
    const seen = new Set<string>();
    for (const name of crit) {
      if (typeof name !== 'string' || name === '' || seen.has(name) || REGISTERED.has(name) || !Object.hasOwn(header, name)) {
        throw new JwsError('crit_invalid', 'crit must list distinct, present, non-registered header names');
      }
      seen.add(name);
    }
    for (const name of seen) if (!understood.includes(name)) throw new JwsError('crit_unknown', 'crit lists an extension this verifier does not understand');
  }
  if (!Object.hasOwn(header, 'b64')) return true;
  if (typeof header.b64 !== 'boolean') throw new JwsError('b64_invalid', 'b64 must be a boolean');
  // RFC 7797 §6 requires b64 in crit; payseal also refuses an uncritical b64:true, so a verifier that ignores
  // b64 can never read a different payload than one that honours it.
  if (!(header.crit as unknown[] | undefined)?.includes('b64')) throw new JwsError('b64_not_critical', 'b64 must be listed in crit');
  return header.b64;
}

export function parseCompactJws(text: unknown, options: ParseJwsOptions = {}): ParsedJws {
  if (typeof text !== 'string') throw new JwsError('not_compact', 'must be a string');
  const parts = text.split('.');
  if (parts.length !== 3 || parts[0] === '') throw new JwsError('not_compact', 'must have three dot-separated parts');
  const [protectedB64, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeProtectedHeader(protectedB64);
  if (!Object.hasOwn(header, 'alg') || typeof header.alg !== 'string') throw new JwsError('header_member_invalid', 'header alg must be a string');
  const b64 = checkCrit(header, options.crit ?? []);
  const signature = decodePart(signaturePart, 'signature');
  const detached = options.detachedPayload !== undefined;
  if (detached && payloadPart !== '') throw new JwsError('payload_not_detached', 'payload part must be empty for a detached payload');
  let payload: Buffer;
  if (detached) payload = Buffer.from(options.detachedPayload as Uint8Array);
  else payload = b64 ? decodePart(payloadPart, 'payload') : Buffer.from(payloadPart, 'utf8');
  const encodedPayload = b64 ? Buffer.from(detached ? encodeBase64Url(payload) : payloadPart, 'ascii') : payload;
  const signingInput = Buffer.concat([Buffer.from(`${protectedB64}.`, 'ascii'), encodedPayload]);
  return Object.freeze({ header: Object.freeze(header), protectedB64, signingInput, signature, payload, b64, detached });
}

export interface SignJwsOptions {
  readonly rsaPadding?: RsaPadding | undefined;
  /** Leave the payload out of the compact form (`header..signature`). */
  readonly detached?: boolean | undefined;
  /** false: RFC 7797 unencoded payload; adds `b64: false` and lists b64 in crit. Needs detached. */
  readonly b64?: boolean | undefined;
}

/** Signs `payload` with the key's own alg; `header` must not carry alg (the key decides) nor b64. */
export async function signCompactJws(
  spec: KeyTypeSpec,
  privateKey: KeyObject,
  header: Readonly<Record<string, unknown>>,
  payload: Uint8Array,
  options: SignJwsOptions = {},
): Promise<string> {
  const row = jwsSigningAlgorithm(spec, options.rsaPadding);
  if (Object.hasOwn(header, 'alg') || Object.hasOwn(header, 'b64')) throw new PaysealError('invalid_request', 'header must not set alg or b64');
  const b64 = options.b64 !== false;
  if (!b64 && options.detached !== true) throw new PaysealError('invalid_request', 'b64:false is only produced detached');
  let full: Record<string, unknown> = { alg: row.alg, ...header };
  if (!b64) {
    const crit = Array.isArray(header.crit) ? (header.crit as unknown[]) : [];
    full = { ...full, b64: false, crit: [...crit.filter((c) => c !== 'b64'), 'b64'] };
  }
  const protectedB64 = encodeBase64Url(Buffer.from(JSON.stringify(full), 'utf8'));
  const encoded = b64 ? Buffer.from(encodeBase64Url(payload), 'ascii') : Buffer.from(payload);
  const signingInput = Buffer.concat([Buffer.from(`${protectedB64}.`, 'ascii'), encoded]);
  const signature = await createSigner(spec, privateKey).sign(signingInput, signOptionsOf(row));
  return `${protectedB64}.${options.detached === true ? '' : encoded.toString('ascii')}.${encodeBase64Url(signature)}`;
}

export type JwsCheck = { readonly valid: true; readonly algorithm: JwsAlgorithm } | { readonly valid: false; readonly failure: JwsFailure };

/**
 * Checks a parsed JWS against one public key. The header's alg must be one the key's type allows
 * (algsForKey); otherwise alg_key_mismatch, before any crypto runs. Every crypto exception is signature_invalid.
 */
export async function verifyJwsSignature(spec: KeyTypeSpec, publicKey: KeyObject, parsed: ParsedJws): Promise<JwsCheck> {
  let row: JwsAlgorithm;
  try {
    row = resolveJwsAlgorithm(parsed.header.alg);
  } catch (e) {
    return { valid: false, failure: e instanceof JwsError ? e.failure : 'alg_unsupported' };
  }
  if (!algsForKey(spec).includes(row.alg)) return { valid: false, failure: 'alg_key_mismatch' };
  try {
    const ok = await createVerifier(spec, publicKey).verify(parsed.signingInput, parsed.signature, signOptionsOf(row));
    return ok ? { valid: true, algorithm: row } : { valid: false, failure: 'signature_invalid' };
  } catch {
    return { valid: false, failure: 'signature_invalid' };
  }
}
