/**
 * The payment-message profile of a compact JWS (API.md, Payment messages), as far as a verifier needs it before
 * any crypto runs: three base64url parts (RFC 7515 §7.1), a protected header with `alg`, `kid`
 * ("<name>:v<N>"), `iat` (unix seconds) and `jti`, an attached payload; and, after the signature checks, a
 * payload that is exactly the RFC 8785 (JCS) canonical form of the JSON it holds.
 */
import canonicalizeModule from 'canonicalize';
import type { JsonValue, MessageVerification } from './types.ts';

type Serialize = (input: unknown) => string | undefined;
// canonicalize is CommonJS (`module.exports = serialize`) while its types declare an ES default export: under
// Node's interop the default import is the function itself.
const canonicalize: Serialize =
  typeof canonicalizeModule === 'function' ? (canonicalizeModule as Serialize) : (canonicalizeModule as { default: Serialize }).default;

const B64URL = /^[A-Za-z0-9_-]*$/;
const KID = /^([a-z0-9][a-z0-9._-]{0,63}):v([1-9][0-9]{0,8})$/;

export interface ParsedMessageJws {
  readonly header: Record<string, unknown>;
  readonly alg: string;
  readonly kid: string;
  readonly keyName: string;
  readonly keyVersion: number;
  readonly iat: number;
  readonly jti: string;
}

/** What is known of a JWS's identity, for answers that are not valid (nulls where the header said nothing usable). */
export function _identity(header: Record<string, unknown> | undefined): Pick<MessageVerification, 'kid' | 'key_version' | 'iat' | 'jti'> {
  const kid = typeof header?.kid === 'string' ? header.kid : null;
  const version = kid === null ? undefined : KID.exec(kid)?.[2];
  return {
    kid,
    key_version: version === undefined ? null : Number(version),
    iat: Number.isSafeInteger(header?.iat) ? (header?.iat as number) : null,
    jti: typeof header?.jti === 'string' ? header.jti : null,
  };
}

export function _invalid(reason: string, header: Record<string, unknown> | undefined): MessageVerification {
  return { valid: false, reason, ..._identity(header) };
}

/** Parses the header of an attached compact JWS; a MessageVerification with reason `malformed` otherwise. */
export function _parseMessageJws(jws: unknown): ParsedMessageJws | MessageVerification {
  if (typeof jws !== 'string' || jws.length > 4 * 1024 * 1024) return _invalid('malformed', undefined);
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return _invalid('malformed', undefined);
  let header: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return _invalid('malformed', undefined);
    header = parsed as Record<string, unknown>;
  } catch {
    return _invalid('malformed', undefined);
  }
  const kid = typeof header.kid === 'string' ? KID.exec(header.kid) : null;
  // A payment message is an attached JWS over base64url JCS: `b64` (RFC 7797) has no place in it, and an empty
  // payload part is a detached JWS, which needs its payload from elsewhere (messages.verify with `payload`).
  const wellFormed =
    typeof header.alg === 'string' && kid !== null && Number.isSafeInteger(header.iat) && (header.iat as number) >= 0 && typeof header.jti === 'string' && !('b64' in header) && (parts[1] as string).length > 0;
  if (!wellFormed || kid === null) return _invalid('malformed', header);
  return { header, alg: header.alg as string, kid: header.kid as string, keyName: kid[1] as string, keyVersion: Number(kid[2]), iat: header.iat as number, jti: header.jti as string };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// In a u-mode regex a surrogate pair is one code point, so \p{Cs} matches only a lone surrogate (RFC 7493 §2.1).
const LONE_SURROGATE = /\p{Cs}/u;

function wellFormedStrings(value: unknown, depth = 0): boolean {
  if (depth > 200) return false;
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every((v) => wellFormedStrings(v, depth + 1));
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([k, v]) => !LONE_SURROGATE.test(k) && wellFormedStrings(v, depth + 1));
  return true;
}

/**
 * The JSON value of a payload that is exactly its own JCS form (RFC 8785 §3.2: sorted members, no whitespace,
 * ECMAScript number form), else undefined. Re-serialising and comparing the bytes also refuses duplicate
 * member names, a BOM, invalid UTF-8 and numbers JSON.parse would round.
 */
export function _canonicalPayload(payload: Uint8Array): { value: JsonValue } | undefined {
  try {
    const text = utf8.decode(payload);
    const value: unknown = JSON.parse(text);
    if (!wellFormedStrings(value)) return undefined;
    return canonicalize(value) === text ? { value: value as JsonValue } : undefined;
  } catch {
    return undefined;
  }
}
