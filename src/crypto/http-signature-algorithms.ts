/**
 * The HTTP Signature Algorithms registry of RFC 9421 §6.2.2, the rows a payseal key type can do (§3.3):
 * rsa-pss-sha512 (RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64 bytes: §3.3.1), rsa-v1_5-sha256 (§3.3.2),
 * ecdsa-p256-sha256 and ecdsa-p384-sha384 (r‖s, each 32/48 bytes: §3.3.4, §3.3.5), ed25519 (§3.3.6).
 * hmac-sha256 (§3.3.3) is refused: payseal holds no shared secrets. One null-prototype table, one resolver;
 * the key's type decides which rows it may use (§7.3.6: never the message's `alg` alone), so a P-256 key is never
 * asked to verify an RSA signature and an RSA key verifies only its configured (or default) padding.
 */
import { PaysealError } from '../errors.ts';
import type { KeyTypeSpec, SignOptions } from './types.ts';

export const HTTP_SIGNATURE_ALGS = ['rsa-pss-sha512', 'rsa-v1_5-sha256', 'ecdsa-p256-sha256', 'ecdsa-p384-sha384', 'ed25519'] as const;
export type HttpSignatureAlg = (typeof HTTP_SIGNATURE_ALGS)[number];

export interface HttpSignatureAlgorithm {
  readonly alg: HttpSignatureAlg;
  /** What node:crypto needs to carry the row out with crypto/sign.ts. */
  readonly options: SignOptions;
  /** The key types that can use the row. */
  readonly keyTypes: readonly string[];
}

function row(alg: HttpSignatureAlg, options: SignOptions, keyTypes: readonly string[]): HttpSignatureAlgorithm {
  return Object.freeze({ alg, options: Object.freeze(options), keyTypes: Object.freeze(keyTypes) });
}

const RSA = ['rsa-2048', 'rsa-3072', 'rsa-4096'];

const ALGS: Readonly<Record<HttpSignatureAlg, HttpSignatureAlgorithm>> = Object.freeze(
  Object.assign(Object.create(null) as Record<HttpSignatureAlg, HttpSignatureAlgorithm>, {
    'rsa-pss-sha512': row('rsa-pss-sha512', { hash: 'sha2-512', rsaPadding: 'pss' }, RSA),
    'rsa-v1_5-sha256': row('rsa-v1_5-sha256', { hash: 'sha2-256', rsaPadding: 'pkcs1v15' }, RSA),
    'ecdsa-p256-sha256': row('ecdsa-p256-sha256', { hash: 'sha2-256', signatureEncoding: 'p1363' }, ['ecdsa-p256']),
    'ecdsa-p384-sha384': row('ecdsa-p384-sha384', { hash: 'sha2-384', signatureEncoding: 'p1363' }, ['ecdsa-p384']),
    ed25519: row('ed25519', {}, ['ed25519']),
  }),
);

/** The row for an `alg` name; unsupported_algorithm for anything else (hmac-sha256 included). */
export function resolveHttpSignatureAlgorithm(alg: unknown): HttpSignatureAlgorithm {
  const found = typeof alg === 'string' ? ALGS[alg as HttpSignatureAlg] : undefined;
  if (found === undefined) throw new PaysealError('unsupported_algorithm', `alg must be one of ${HTTP_SIGNATURE_ALGS.join(', ')}`);
  return found;
}

/** The rows a key of this type may use (empty for P-521, secp256k1, DSA and AES: RFC 9421 registers none for them). */
export function httpSignatureAlgsFor(spec: KeyTypeSpec): readonly HttpSignatureAlgorithm[] {
  return HTTP_SIGNATURE_ALGS.map((a) => ALGS[a]).filter((r) => r.keyTypes.includes(spec.type));
}

/**
 * The row a key signs or verifies with when the signature names no `alg`: the one row of its type (RSA: the
 * preferred one, given or rsa-pss-sha512). unsupported_algorithm for a type with none, or a preference the type cannot use.
 */
export function httpSignatureAlgorithmFor(spec: KeyTypeSpec, preferred?: HttpSignatureAlg | undefined): HttpSignatureAlgorithm {
  const rows = httpSignatureAlgsFor(spec);
  if (rows.length === 0) throw new PaysealError('unsupported_algorithm', `RFC 9421 registers no algorithm for ${spec.type} keys`);
  if (preferred === undefined) return rows[0] as HttpSignatureAlgorithm;
  const found = rows.find((r) => r.alg === preferred);
  if (!found) throw new PaysealError('unsupported_algorithm', `${preferred} cannot be used with a ${spec.type} key`);
  return found;
}
