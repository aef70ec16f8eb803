/**
 * JOSE names for payseal's key types: the JWS `alg` (RFC 7518 §3.1, RFC 8812 §3.2 for ES256K, RFC 8037 for
 * EdDSA, and the private name DS256 for DSA) and public JWKs (RFC 7517) with `kid` = "<name>:v<N>".
 * The alg is derived from the key's type (and the chosen RSA padding), never read from a message.
 */
import type { KeyObject } from 'node:crypto';
import { PaysealError } from '../errors.ts';
import type { KeyTypeSpec, RsaPadding } from './types.ts';

const EC_ALG: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  'ecdsa-p256': 'ES256',
  'ecdsa-p384': 'ES384',
  'ecdsa-p521': 'ES512',
  'ecdsa-secp256k1': 'ES256K',
});

/** The JWS alg a key of this type signs with, using the type's default hash. */
export function jwsAlgorithm(spec: KeyTypeSpec, rsaPadding: RsaPadding = 'pss'): string {
  switch (spec.family) {
    case 'rsa':
      // rsa-* default to SHA-256: PS256 / RS256.
      return rsaPadding === 'pss' ? 'PS256' : 'RS256';
    case 'ecdsa':
      return EC_ALG[spec.type] as string;
    case 'dsa':
      return 'DS256';
    case 'eddsa':
      return 'EdDSA';
    default:
      throw new PaysealError('key_type_mismatch', `${spec.type} keys do not sign`);
  }
}

/** Public JWK with kid, alg and use; null for DSA (JWK has no DSA key type) and for AES keys. */
export function publicJwk(spec: KeyTypeSpec, publicKey: KeyObject, kid: string): Record<string, unknown> | null {
  if (spec.family === 'dsa' || spec.family === 'aes-gcm') return null;
  if (publicKey.type !== 'public') throw new PaysealError('key_type_mismatch', 'a public key is required');
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { ...jwk, kid, alg: jwsAlgorithm(spec), use: 'sig' };
}
