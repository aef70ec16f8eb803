/**
 * ECDSA signature malleability (issue 11). If (r, s) verifies, so does (r, n − s): the verifier only uses the
 * x-coordinate of u1·G + u2·Q, and negating s negates that point (FIPS 186-5 §6.4.2). And one (r, s) has two
 * byte forms, DER and IEEE P1363 (r ‖ s). A caller that deduplicates payments on the signature bytes would take
 * two forms of one signature for two payments.
 *
 * payseal therefore always signs "low-S" (s ≤ n/2, the rule of Bitcoin's BIP 62 / BIP 146): `lowS()` folds the
 * s that OpenSSL picked, in the encoding that was asked for. Verification accepts high-S by default (signatures
 * made elsewhere, and Wycheproof's valid vectors, have them); a key configured `low_s_only` verifies through
 * `isStrictLowS()` first, which admits one form only: the requested encoding exactly (strict DER, or r ‖ s of
 * the group's length), 1 ≤ r < n and 1 ≤ s ≤ n/2.
 *
 * Group orders: NIST P-256, P-384, P-521 from SP 800-186 §3.2.1; secp256k1 from SEC 2 v2 §2.4.1.
 */
import { derToP1363, p1363ToDer } from './signature-encoding.ts';
import type { KeyTypeSpec, SignatureEncoding } from './types.ts';

const ORDERS: Readonly<Record<string, bigint>> = Object.assign(Object.create(null) as Record<string, bigint>, {
  prime256v1: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  secp384r1: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  secp521r1:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  secp256k1: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
});

/** The order n of an ECDSA key type's group; throws for anything else (a programming error). */
export function ecdsaOrder(spec: KeyTypeSpec): bigint {
  const n = spec.family === 'ecdsa' && spec.curve !== null ? ORDERS[spec.curve] : undefined;
  if (n === undefined) throw new Error(`${spec.type} is not an ECDSA type with a known group order`);
  return n;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function toBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(2 * length, '0'), 'hex');
}

/** r ‖ s of the group's length from either encoding; throws when malformed (strict DER, exact length). */
function rs(spec: KeyTypeSpec, signature: Uint8Array, encoding: SignatureEncoding): Buffer {
  const size = spec.scalarBytes as number;
  if (encoding === 'der') return derToP1363(signature, size);
  if (signature.length !== 2 * size) throw new Error('r ‖ s of the wrong length');
  return Buffer.from(signature);
}

/** The same signature with s replaced by n − s when s > n/2, in the same encoding. */
export function lowS(spec: KeyTypeSpec, signature: Buffer, encoding: SignatureEncoding): Buffer {
  const n = ecdsaOrder(spec);
  const size = spec.scalarBytes as number;
  const pair = rs(spec, signature, encoding);
  const s = toBigInt(pair.subarray(size));
  if (s <= n >> 1n) return signature;
  pair.set(toBytes(n - s, size), size);
  return encoding === 'der' ? p1363ToDer(pair) : pair;
}

/** True only for the one accepted form: the requested encoding exactly, 1 ≤ r < n, 1 ≤ s ≤ n/2. */
export function isStrictLowS(spec: KeyTypeSpec, signature: Uint8Array, encoding: SignatureEncoding): boolean {
  const n = ecdsaOrder(spec);
  const size = spec.scalarBytes as number;
  let pair: Buffer;
  try {
    pair = rs(spec, signature, encoding);
  } catch {
    return false;
  }
  const r = toBigInt(pair.subarray(0, size));
  const s = toBigInt(pair.subarray(size));
  return r >= 1n && r < n && s >= 1n && s <= n >> 1n;
}
