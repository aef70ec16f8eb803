/**
 * messages/sign: a payment message as a compact JWS (API.md "Payment messages"). The payload is the JCS form
 * of the message (canonical.ts); the protected header is exactly {alg, kid: "name:vN", iat, jti}, with alg
 * from the key's type (RFC 7518 §3.1; r‖s for ECDSA and DSA, §3.4) and jti 16 random bytes (RFC 7519 §4.1.7:
 * unique per message, so a receiver can refuse a replay).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { encodeBase64Url, signCompactJws, type KeyTypeSpec, type RsaPadding } from '../crypto/index.ts';
import { canonicalMessageBytes } from './canonical.ts';
import { formatKid } from './kid.ts';

/**
 * A key version resolved for signing: its private KeyObject. KeyService's UsableKey has exactly this shape;
 * the key must be the newest (active) version, which is the caller's business, not this module's.
 */
export interface MessageSigningKey {
  readonly name: string;
  readonly version: number;
  readonly spec: KeyTypeSpec;
  readonly key: KeyObject;
}

export interface SignMessageOptions {
  /** RSA keys only: PS256 (default) or RS256. */
  readonly rsaPadding?: RsaPadding | undefined;
  /** Unix seconds to put in iat; defaults to the clock. */
  readonly now?: number | undefined;
}

/** The answer of POST /v1/messages/sign. */
export interface SignedMessage {
  readonly jws: string;
  readonly kid: string;
  readonly key_version: number;
  readonly iat: number;
  readonly jti: string;
}

export const JTI_BYTES = 16;

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** A fresh jti: 16 random bytes, base64url (RFC 7519 §4.1.7; 128 bits make a collision negligible). */
export function newJti(): string {
  return encodeBase64Url(randomBytes(JTI_BYTES));
}

export async function signMessage(key: MessageSigningKey, message: unknown, options: SignMessageOptions = {}): Promise<SignedMessage> {
  const payload = canonicalMessageBytes(message);
  const kid = formatKid(key.name, key.version);
  const iat = options.now ?? unixNow();
  const jti = newJti();
  const jws = await signCompactJws(key.spec, key.key, { kid, iat, jti }, payload, { rsaPadding: options.rsaPadding });
  return { jws, kid, key_version: key.version, iat, jti };
}
