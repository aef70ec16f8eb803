/**
 * Hashing: the six hash names of API.md mapped to OpenSSL's digests (node:crypto), with their lengths.
 * SHA-2 per FIPS 180-4, SHA-3 per FIPS 202.
 */
import { createHash } from 'node:crypto';
import { PaysealError } from '../errors.ts';
import { HASHES, type HashName, type Hasher } from './types.ts';

interface HashRow {
  /** OpenSSL digest name as node:crypto knows it. */
  readonly openssl: string;
  /** Digest length in bytes; also the RSA-PSS salt length payseal uses (salt = digest length). */
  readonly bytes: number;
}

const HASH_TABLE: Readonly<Record<HashName, HashRow>> = Object.freeze(
  Object.assign(Object.create(null) as Record<HashName, HashRow>, {
    'sha2-256': { openssl: 'sha256', bytes: 32 },
    'sha2-384': { openssl: 'sha384', bytes: 48 },
    'sha2-512': { openssl: 'sha512', bytes: 64 },
    'sha3-256': { openssl: 'sha3-256', bytes: 32 },
    'sha3-384': { openssl: 'sha3-384', bytes: 48 },
    'sha3-512': { openssl: 'sha3-512', bytes: 64 },
  }),
);

export function parseHashName(name: unknown): HashName {
  if (typeof name === 'string' && HASH_TABLE[name as HashName] !== undefined) return name as HashName;
  throw new PaysealError('unsupported_algorithm', `unsupported hash; expected one of ${HASHES.join(', ')}`);
}

export function opensslDigestName(name: HashName): string {
  return HASH_TABLE[name].openssl;
}

export function digestLength(name: HashName): number {
  return HASH_TABLE[name].bytes;
}

export function digest(name: HashName, data: Uint8Array): Buffer {
  return createHash(HASH_TABLE[name].openssl).update(data).digest();
}

export function createHasher(name: HashName): Hasher {
  const openssl = HASH_TABLE[name].openssl;
  return Object.freeze({ name, digest: (data: Uint8Array) => createHash(openssl).update(data).digest() });
}
