/**
 * DSA signature verification in BigInt, written from FIPS 186-4 §4.7 (unchanged in FIPS 186-5 Appendix, where
 * DSA survives for verification only). The independent second opinion for payseal's legacy DSA keys, which no
 * JavaScript library covers. Public values only, so no constant-time care is needed.
 *
 * Key checks (once per key, SP 800-89 §5.3.1 style partial validation): p odd, q | p-1, 1 < g < p with
 * g^q ≡ 1 (mod p), 1 < y < p with y^q ≡ 1 (mod p). A key failing them verifies nothing.
 */

export interface DsaPublicKey {
  readonly p: bigint;
  readonly q: bigint;
  readonly g: bigint;
  readonly y: bigint;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** g^a · y^b mod p in one pass of squarings (Shamir's trick; Handbook of Applied Cryptography Alg. 14.88). */
function doublePow(g: bigint, a: bigint, y: bigint, b: bigint, p: bigint): bigint {
  const gy = (g * y) % p;
  let result = 1n;
  for (let i = Math.max(a.toString(2).length, b.toString(2).length) - 1; i >= 0; i--) {
    result = (result * result) % p;
    const bit = BigInt(i);
    const ai = (a >> bit) & 1n;
    const bi = (b >> bit) & 1n;
    if (ai && bi) result = (result * gy) % p;
    else if (ai) result = (result * g) % p;
    else if (bi) result = (result * y) % p;
  }
  return result;
}

/** s^-1 mod q by the extended Euclidean algorithm; q is prime and 0 < s < q, so the inverse exists. */
function modInverse(s: bigint, q: bigint): bigint {
  let [oldR, r] = [s, q];
  let [oldT, t] = [1n, 0n];
  while (r !== 0n) {
    const k = oldR / r;
    [oldR, r] = [r, oldR - k * r];
    [oldT, t] = [t, oldT - k * t];
  }
  return ((oldT % q) + q) % q;
}

export function dsaKeyLooksValid(key: DsaPublicKey): boolean {
  const { p, q, g, y } = key;
  if (p <= 3n || (p & 1n) === 0n || q <= 1n || (p - 1n) % q !== 0n) return false;
  if (g <= 1n || g >= p || y <= 1n || y >= p) return false;
  return modPow(g, q, p) === 1n && modPow(y, q, p) === 1n;
}

/**
 * FIPS 186-4 §4.7: `digest` is Hash(M) (the verifier hashes); r and s are the signature's integers.
 * 1. reject unless 0 < r < q and 0 < s < q;  2. w = s^-1 mod q; z = the leftmost min(N, outlen) bits of
 * Hash(M); u1 = z·w mod q; u2 = r·w mod q; v = ((g^u1 · y^u2) mod p) mod q;  3. valid iff v = r.
 */
export function dsaVerify(key: DsaPublicKey, digest: Uint8Array, r: bigint, s: bigint): boolean {
  const { p, q, g, y } = key;
  if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
  const n = q.toString(2).length;
  const outlen = digest.length * 8;
  let z = digest.length === 0 ? 0n : BigInt(`0x${Buffer.from(digest).toString('hex')}`);
  if (outlen > n) z >>= BigInt(outlen - n);
  const w = modInverse(s, q);
  const u1 = (z * w) % q;
  const u2 = (r * w) % q;
  const v = doublePow(g, u1, y, u2, p) % q;
  return v === r;
}
