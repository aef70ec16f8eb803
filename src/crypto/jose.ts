/**
 * JOSE names for payseal's key types: the JWS `alg` (kept in the registry row, registry.ts) and public JWKs
 * (RFC 7517) with `kid` = "<name>:v<N>".
 * The alg is derived from the key's type (and the chosen RSA padding), never read from a message.
 */
import type { KeyObject } from 'node:crypto';
import { PaysealError } from '../errors.ts';
import type { KeyTypeSpec, RsaPadding } from './types.ts';

/** The JWS alg a key of this type signs with, using the type's default hash: the registry row's jwsAlg. */
export function jwsAlgorithm(spec: KeyTypeSpec, rsaPadding: RsaPadding = 'pss'): string {
  if (spec.jwsAlg === null) throw new PaysealError('key_type_mismatch', `${spec.type} keys do not sign`);
  return rsaPadding === 'pkcs1v15' && spec.jwsAlgPkcs1v15 !== null ? spec.jwsAlgPkcs1v15 : spec.jwsAlg;
}

/** Public JWK with kid, alg and use; null for DSA (JWK has no DSA key type) and for AES keys. */
export function publicJwk(spec: KeyTypeSpec, publicKey: KeyObject, kid: string): Record<string, unknown> | null {
  if (spec.family === 'dsa' || spec.family === 'aes-gcm') return null;
  if (publicKey.type !== 'public') throw new PaysealError('key_type_mismatch', 'a public key is required');
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { ...jwk, kid, alg: jwsAlgorithm(spec), use: 'sig' };
}
