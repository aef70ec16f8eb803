/**
 * Signer and Verifier for every signing key type, on node:crypto (OpenSSL) through its async form, so the
 * work runs on libuv's thread pool and the event loop stays free.
 *
 * - RSA: RSASSA-PSS (RFC 8017 §8.1) with MGF1 of the same hash and salt length = digest length, or
 *   RSASSA-PKCS1-v1_5 (§8.2). The signature must be exactly k = modulus bytes long (§8.1.2/§8.2.2 step 1).
 * - ECDSA (FIPS 186-5 §6) and DSA (FIPS 186-4 §4): DER or r‖s (P1363), chosen by signature_encoding. ECDSA
 *   signatures always come out low-S (ecdsa-low-s.ts); a verifier made with `{ lowSOnly: true }` accepts only
 *   that one form of a signature.
 * - Ed25519: pure EdDSA (RFC 8032 §5.1), 64-byte signatures.
 * Verification fails closed: any exception from OpenSSL is a false, never a reason.
 */
import { constants, sign as nodeSign, verify as nodeVerify, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { PaysealError } from '../errors.ts';
import { isStrictLowS, lowS } from './ecdsa-low-s.ts';
import { digestLength, opensslDigestName } from './hash.ts';
import { resolveSignOptions } from './options.ts';
import type { KeyTypeSpec, ResolvedSignOptions, SignOptions, Signer, Verifier } from './types.ts';

interface NodeParams {
  readonly algorithm: string | null;
  readonly key: SignKeyObjectInput;
}

function nodeParams(spec: KeyTypeSpec, key: KeyObject, options: ResolvedSignOptions): NodeParams {
  const algorithm = options.hash === null ? null : opensslDigestName(options.hash);
  if (spec.family === 'rsa' && options.rsaPadding === 'pss' && options.hash !== null) {
    return { algorithm, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digestLength(options.hash) } };
  }
  if (spec.family === 'rsa') return { algorithm, key: { key, padding: constants.RSA_PKCS1_PADDING } };
  if (options.signatureEncoding !== null) {
    return { algorithm, key: { key, dsaEncoding: options.signatureEncoding === 'p1363' ? 'ieee-p1363' : 'der' } };
  }
  return { algorithm, key: { key } };
}

/** Length a signature must have, where the scheme fixes it; null where it varies (DER). */
function fixedSignatureLength(spec: KeyTypeSpec, options: ResolvedSignOptions): number | null {
  if (spec.family === 'rsa') return spec.bits / 8;
  if (spec.family === 'eddsa') return 64;
  if (options.signatureEncoding === 'p1363' && spec.scalarBytes !== null) return 2 * spec.scalarBytes;
  return null;
}

function requireType(spec: KeyTypeSpec, key: KeyObject, kind: 'private' | 'public'): void {
  if (spec.purpose !== 'sign') throw new PaysealError('key_type_mismatch', `${spec.type} keys do not sign`);
  if (key.type !== kind) throw new PaysealError('key_type_mismatch', `a ${kind} key is required`);
}

export function createSigner(spec: KeyTypeSpec, privateKey: KeyObject): Signer {
  requireType(spec, privateKey, 'private');
  return Object.freeze({
    spec,
    sign(data: Uint8Array, options?: SignOptions): Promise<Buffer> {
      const resolved = resolveSignOptions(spec, options);
      const params = nodeParams(spec, privateKey, resolved);
      const encoding = spec.family === 'ecdsa' ? resolved.signatureEncoding : null;
      return new Promise<Buffer>((resolve, reject) => {
        nodeSign(params.algorithm, data, params.key, (err, signature) => {
          if (err) reject(err);
          else resolve(encoding === null ? signature : lowS(spec, signature, encoding));
        });
      });
    },
  });
}

/** How strictly a Verifier judges what it is given, beyond the math. */
export interface VerifyPolicy {
  /** ECDSA: refuse high-S and any form but the requested encoding exactly (ecdsa-low-s.ts). */
  readonly lowSOnly?: boolean;
}

export function createVerifier(spec: KeyTypeSpec, publicKey: KeyObject, policy: VerifyPolicy = {}): Verifier {
  requireType(spec, publicKey, 'public');
  const strict = policy.lowSOnly === true && spec.family === 'ecdsa';
  return Object.freeze({
    spec,
    verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
      const resolved = resolveSignOptions(spec, options);
      const length = fixedSignatureLength(spec, resolved);
      if ((length !== null && signature.length !== length) || signature.length === 0) return Promise.resolve(false);
      if (strict && !isStrictLowS(spec, signature, resolved.signatureEncoding ?? 'der')) return Promise.resolve(false);
      const params = nodeParams(spec, publicKey, resolved);
      return new Promise<boolean>((resolve) => {
        try {
          nodeVerify(params.algorithm, data, params.key, signature, (err, ok) => resolve(!err && ok === true));
        } catch {
          resolve(false);
        }
      });
    },
  });
}
