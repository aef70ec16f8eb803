/**
 * The key-type table: one row per type of API.md, with its purpose, default hash, JWS alg and policy.
 *
 * Rows are built by small factories (rsa(bits), ecdsa(curve, …)) and held in a table with a null prototype,
 * so a lookup can never hit an inherited property ("constructor", "__proto__"). resolveKeyType is the one
 * door from a caller's string to a row; everything downstream holds the resolved row.
 */
import { PaysealError } from '../errors.ts';
import { KEY_TYPES, type HashName, type KeyType, type KeyTypeSpec } from './types.ts';

function row(spec: KeyTypeSpec): KeyTypeSpec {
  return Object.freeze(spec);
}

function rsa(bits: 2048 | 3072 | 4096): KeyTypeSpec {
  // rsa-* default to SHA-256: PS256 / RS256.
  return row({ type: `rsa-${bits}`, purpose: 'sign', family: 'rsa', defaultHash: 'sha2-256', bits, curve: null, scalarBytes: null, legacy: false, jwsAlg: 'PS256', jwsAlgPkcs1v15: 'RS256' });
}

function ecdsa(type: KeyType, curve: string, bits: number, defaultHash: HashName, jwsAlg: string): KeyTypeSpec {
  return row({ type, purpose: 'sign', family: 'ecdsa', defaultHash, bits, curve, scalarBytes: Math.ceil(bits / 8), legacy: false, jwsAlg, jwsAlgPkcs1v15: null });
}

/** FIPS 186-4 §4.2 sizes (L, N) = (2048, 256) and (3072, 256); r and s are each N/8 = 32 bytes. */
function dsa(bits: 2048 | 3072): KeyTypeSpec {
  return row({ type: `dsa-${bits}`, purpose: 'sign', family: 'dsa', defaultHash: 'sha2-256', bits, curve: null, scalarBytes: 32, legacy: true, jwsAlg: 'DS256', jwsAlgPkcs1v15: null });
}

function aesGcm(bits: 128 | 256): KeyTypeSpec {
  return row({ type: `aes-${bits}-gcm`, purpose: 'encrypt', family: 'aes-gcm', defaultHash: null, bits, curve: null, scalarBytes: null, legacy: false, jwsAlg: null, jwsAlgPkcs1v15: null });
}

const TABLE: Readonly<Record<KeyType, KeyTypeSpec>> = Object.freeze(
  Object.assign(Object.create(null) as Record<KeyType, KeyTypeSpec>, {
    'rsa-2048': rsa(2048),
    'rsa-3072': rsa(3072),
    'rsa-4096': rsa(4096),
    'ecdsa-p256': ecdsa('ecdsa-p256', 'prime256v1', 256, 'sha2-256', 'ES256'),
    'ecdsa-p384': ecdsa('ecdsa-p384', 'secp384r1', 384, 'sha2-384', 'ES384'),
    'ecdsa-p521': ecdsa('ecdsa-p521', 'secp521r1', 521, 'sha2-512', 'ES512'),
    'ecdsa-secp256k1': ecdsa('ecdsa-secp256k1', 'secp256k1', 256, 'sha2-256', 'ES256K'),
    'dsa-2048': dsa(2048),
    'dsa-3072': dsa(3072),
    ed25519: row({ type: 'ed25519', purpose: 'sign', family: 'eddsa', defaultHash: null, bits: 255, curve: null, scalarBytes: null, legacy: false, jwsAlg: 'EdDSA', jwsAlgPkcs1v15: null }),
    'aes-128-gcm': aesGcm(128),
    'aes-256-gcm': aesGcm(256),
  }),
);

/** The row for a key type named by a caller; unsupported_algorithm for anything not in the table. */
export function resolveKeyType(type: unknown): KeyTypeSpec {
  const spec = typeof type === 'string' ? TABLE[type as KeyType] : undefined;
  if (spec === undefined) {
    throw new PaysealError('unsupported_algorithm', `unsupported key type; expected one of ${KEY_TYPES.join(', ')}`);
  }
  return spec;
}

export function isKeyType(type: unknown): type is KeyType {
  return typeof type === 'string' && TABLE[type as KeyType] !== undefined;
}

export function keyTypeSpecs(): readonly KeyTypeSpec[] {
  return KEY_TYPES.map((t) => TABLE[t]);
}
