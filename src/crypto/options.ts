/**
 * Sign/verify options of API.md (`hash`, `rsa_padding`, `signature_encoding`): parsed from a caller's JSON,
 * then resolved against the key's type. The type decides what is allowed; an option the type cannot honour is
 * refused (unsupported_algorithm) rather than silently ignored, so a caller never believes it got, say, a
 * P1363 signature from an RSA key or a SHA-512 Ed25519 signature.
 */
import { PaysealError } from '../errors.ts';
import { parseHashName } from './hash.ts';
import { RSA_PADDINGS, SIGNATURE_ENCODINGS, type KeyTypeSpec, type ResolvedSignOptions, type RsaPadding, type SignOptions, type SignatureEncoding } from './types.ts';

function oneOf<T extends string>(allowed: readonly T[], value: unknown, field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new PaysealError('unsupported_algorithm', `${field} must be one of ${allowed.join(', ')}`);
}

/** From JSON fields (snake_case, any type) to SignOptions; absent or null fields stay unset. */
export function parseSignOptions(raw: { hash?: unknown; rsa_padding?: unknown; signature_encoding?: unknown }): SignOptions {
  return {
    hash: raw.hash == null ? undefined : parseHashName(raw.hash),
    rsaPadding: raw.rsa_padding == null ? undefined : oneOf<RsaPadding>(RSA_PADDINGS, raw.rsa_padding, 'rsa_padding'),
    signatureEncoding:
      raw.signature_encoding == null ? undefined : oneOf<SignatureEncoding>(SIGNATURE_ENCODINGS, raw.signature_encoding, 'signature_encoding'),
  };
}

function refuse(spec: KeyTypeSpec, option: string): PaysealError {
  return new PaysealError('unsupported_algorithm', `${option} does not apply to ${spec.type} keys`);
}

/** Applies the type's defaults and policy. Throws key_type_mismatch for an encryption key. */
export function resolveSignOptions(spec: KeyTypeSpec, options: SignOptions = {}): ResolvedSignOptions {
  if (spec.purpose !== 'sign') throw new PaysealError('key_type_mismatch', `${spec.type} keys encrypt; they do not sign`);
  switch (spec.family) {
    case 'rsa':
      if (options.signatureEncoding === 'p1363') throw refuse(spec, 'signature_encoding p1363');
      return { hash: options.hash ?? spec.defaultHash, rsaPadding: options.rsaPadding ?? 'pss', signatureEncoding: null };
    case 'ecdsa':
    case 'dsa':
      if (options.rsaPadding !== undefined) throw refuse(spec, 'rsa_padding');
      return { hash: options.hash ?? spec.defaultHash, rsaPadding: null, signatureEncoding: options.signatureEncoding ?? 'der' };
    case 'eddsa':
      // Pure Ed25519 (RFC 8032 §5.1) hashes internally with SHA-512; there is nothing to choose.
      if (options.hash !== undefined) throw refuse(spec, 'hash');
      if (options.rsaPadding !== undefined) throw refuse(spec, 'rsa_padding');
      if (options.signatureEncoding === 'p1363') throw refuse(spec, 'signature_encoding p1363');
      return { hash: null, rsaPadding: null, signatureEncoding: null };
    default:
      throw new PaysealError('key_type_mismatch', `${spec.type} keys do not sign`);
  }
}
