/**
 * The vocabulary of src/crypto: key types, hashes, options and the primitive interfaces.
 * Pure declarations; the data table that gives each key type its policy is registry.ts.
 */
import type { KeyObject } from 'node:crypto';

export const KEY_TYPES = [
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'ecdsa-p256',
  'ecdsa-p384',
  'ecdsa-p521',
  'ecdsa-secp256k1',
  'dsa-2048',
  'dsa-3072',
  'ed25519',
  'aes-128-gcm',
  'aes-256-gcm',
] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const HASHES = ['sha2-256', 'sha2-384', 'sha2-512', 'sha3-256', 'sha3-384', 'sha3-512'] as const;
export type HashName = (typeof HASHES)[number];

export const RSA_PADDINGS = ['pss', 'pkcs1v15'] as const;
export type RsaPadding = (typeof RSA_PADDINGS)[number];

export const SIGNATURE_ENCODINGS = ['der', 'p1363'] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];

export type Purpose = 'sign' | 'encrypt';
export type Family = 'rsa' | 'ecdsa' | 'dsa' | 'eddsa' | 'aes-gcm';

/** Options a caller may give to sign/verify (API.md: hash, rsa_padding, signature_encoding). */
export interface SignOptions {
  readonly hash?: HashName | undefined;
  readonly rsaPadding?: RsaPadding | undefined;
  readonly signatureEncoding?: SignatureEncoding | undefined;
}

/** Options after defaults and the key type's policy are applied; null where the option does not apply. */
export interface ResolvedSignOptions {
  readonly hash: HashName | null;
  readonly rsaPadding: RsaPadding | null;
  readonly signatureEncoding: SignatureEncoding | null;
}

/** Freshly generated key material. `secret` is PKCS#8 DER (asymmetric) or the raw AES key: never log it. */
export interface KeyMaterial {
  readonly secret: Buffer;
  /** SPKI PEM of the public half; null for AES keys. */
  readonly publicPem: string | null;
}

/** One row of the key-type table. Resolved once from a string; the rest of the code holds this, never the string. */
export interface KeyTypeSpec {
  readonly type: KeyType;
  readonly purpose: Purpose;
  readonly family: Family;
  /** Hash used when the caller gives none; null for Ed25519 (pure EdDSA) and AES. */
  readonly defaultHash: HashName | null;
  /** Modulus / key size in bits (RSA, DSA L, AES) or field size (EC curves). */
  readonly bits: number;
  /** OpenSSL curve name for ECDSA, null otherwise. */
  readonly curve: string | null;
  /** Byte length of one of r, s in an r‖s signature (ECDSA, DSA); null otherwise. */
  readonly scalarBytes: number | null;
  /** DSA is legacy: FIPS 186-5 no longer approves DSA signature generation. */
  readonly legacy: boolean;
  /**
   * JWS `alg` (RFC 7518 §3.1; RFC 8812 §3.2 for ES256K; RFC 8037 for EdDSA; the private name DS256 for DSA)
   * with the type's default hash (RSA: PSS); null for AES, which does not sign.
   */
  readonly jwsAlg: string | null;
  /** RSA only: the alg with PKCS#1 v1.5 padding (RS256); null otherwise. */
  readonly jwsAlgPkcs1v15: string | null;
}

/**
 * Signer: produces a signature over `data` with one private key.
 * Contract: the algorithm is fixed by the key's type; options only choose among what that type allows
 * (unsupported combinations throw PaysealError unsupported_algorithm before any crypto runs). Runs on
 * libuv's thread pool, never blocking the event loop.
 */
export interface Signer {
  readonly spec: KeyTypeSpec;
  sign(data: Uint8Array, options?: SignOptions): Promise<Buffer>;
}

/**
 * Verifier: checks a signature with one public key.
 * Contract: resolves true only for a signature that verifies under the key's algorithm with the given options;
 * every malformed or wrong signature resolves false (fails closed, never says why the math failed).
 * Invalid options throw PaysealError unsupported_algorithm.
 */
export interface Verifier {
  readonly spec: KeyTypeSpec;
  verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean>;
}

/**
 * Aead: AES-GCM with a random 96-bit IV and a 128-bit tag; output layout `iv ‖ ciphertext ‖ tag`.
 * Contract: open() returns the plaintext only when tag, IV, ciphertext and AAD all match, and otherwise
 * throws PaysealError decryption_failed without saying which part was wrong.
 */
export interface Aead {
  readonly spec: KeyTypeSpec;
  seal(plaintext: Uint8Array, aad?: Uint8Array): Buffer;
  open(sealed: Uint8Array, aad?: Uint8Array): Buffer;
}

/** Hasher: one-shot digest. */
export interface Hasher {
  readonly name: HashName;
  digest(data: Uint8Array): Buffer;
}

export type { KeyObject };
