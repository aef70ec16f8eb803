/**
 * ECDSA malleability (ecdsa-low-s.ts, issue 11), for every ECDSA type in DER and P1363:
 * - payseal's signatures are always low-S (before: about half were high-S, as OpenSSL picks s at random);
 * - by default (r, n − s) still verifies, as it does anywhere else, and so do both encodings of one (r, s);
 * - a `lowSOnly` verifier accepts exactly one form: high-S, the other encoding, r or s out of range, are false;
 * - the group orders are the ones @noble/curves carries.
 */
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { ecdsaOrder, isStrictLowS, lowS } from './ecdsa-low-s.ts';
import { resolveKeyType } from './registry.ts';
import { createSigner, createVerifier } from './sign.ts';
import { derToP1363, p1363ToDer } from './signature-encoding.ts';
import type { KeyType, SignatureEncoding } from './types.ts';

const TYPES = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ecdsa-secp256k1'] as const satisfies readonly KeyType[];
const NOBLE = { 'ecdsa-p256': p256, 'ecdsa-p384': p384, 'ecdsa-p521': p521, 'ecdsa-secp256k1': secp256k1 };
const ENCODINGS: readonly SignatureEncoding[] = ['der', 'p1363'];
const MESSAGE = Buffer.from('pay 100 EUR to account 42');

const hex = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex')}`);

/** (r, n − s) of a signature, in the same encoding. */
function flipS(type: KeyType, sig: Buffer, encoding: SignatureEncoding): Buffer {
  const spec = resolveKeyType(type);
  const size = spec.scalarBytes as number;
  const pair = encoding === 'der' ? derToP1363(sig, size) : Buffer.from(sig);
  const s = ecdsaOrder(spec) - hex(pair.subarray(size));
  pair.set(Buffer.from(s.toString(16).padStart(2 * size, '0'), 'hex'), size);
  return encoding === 'der' ? p1363ToDer(pair) : pair;
}

describe.each(TYPES)('%s', (type) => {
  const spec = resolveKeyType(type);
  const size = spec.scalarBytes as number;
  const half = ecdsaOrder(spec) >> 1n;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: spec.curve as string });

  it('the group order is the one @noble/curves carries', () => {
    expect(ecdsaOrder(spec)).toBe(NOBLE[type].Point.Fn.ORDER);
  });

  it.each(ENCODINGS)('signs low-S, always (%s, 64 signatures)', async (encoding) => {
    const signer = createSigner(spec, privateKey);
    const sigs = await Promise.all(Array.from({ length: 64 }, () => signer.sign(MESSAGE, { signatureEncoding: encoding })));
    for (const sig of sigs) {
      const pair = encoding === 'der' ? derToP1363(sig, size) : sig;
      expect(hex(pair.subarray(size)) <= half).toBe(true);
      expect(isStrictLowS(spec, sig, encoding)).toBe(true);
    }
  });

  it.each(ENCODINGS)('by default (r, n − s) verifies too (%s); a lowSOnly verifier refuses it', async (encoding) => {
    const sig = await createSigner(spec, privateKey).sign(MESSAGE, { signatureEncoding: encoding });
    const high = flipS(type, sig, encoding);
    const lenient = createVerifier(spec, publicKey);
    const strict = createVerifier(spec, publicKey, { lowSOnly: true });
    expect(await lenient.verify(MESSAGE, sig, { signatureEncoding: encoding })).toBe(true);
    expect(await lenient.verify(MESSAGE, high, { signatureEncoding: encoding })).toBe(true);
    expect(await strict.verify(MESSAGE, sig, { signatureEncoding: encoding })).toBe(true);
    expect(await strict.verify(MESSAGE, high, { signatureEncoding: encoding })).toBe(false);
  });

  it('a lowSOnly verifier takes the requested encoding only, never the other form of the same (r, s)', async () => {
    const der = await createSigner(spec, privateKey).sign(MESSAGE);
    const p1363 = derToP1363(der, size);
    const strict = createVerifier(spec, publicKey, { lowSOnly: true });
    expect(await strict.verify(MESSAGE, der, { signatureEncoding: 'der' })).toBe(true);
    expect(await strict.verify(MESSAGE, p1363, { signatureEncoding: 'der' })).toBe(false);
    expect(await strict.verify(MESSAGE, der, { signatureEncoding: 'p1363' })).toBe(false);
    // BER-style variants of the same DER: a long-form length, a padded INTEGER.
    const longForm = Buffer.concat([Buffer.from([0x30, 0x81, der[1]!]), der.subarray(2)]);
    expect(await strict.verify(MESSAGE, longForm, { signatureEncoding: 'der' })).toBe(false);
  });

  it('r or s of 0 or ≥ n is never a strict signature', () => {
    const n = ecdsaOrder(spec);
    const form = (r: bigint, s: bigint) => Buffer.from(r.toString(16).padStart(2 * size, '0') + s.toString(16).padStart(2 * size, '0'), 'hex');
    expect(isStrictLowS(spec, form(1n, 1n), 'p1363')).toBe(true);
    expect(isStrictLowS(spec, form(0n, 1n), 'p1363')).toBe(false);
    expect(isStrictLowS(spec, form(1n, 0n), 'p1363')).toBe(false);
    expect(isStrictLowS(spec, form(n, 1n), 'p1363')).toBe(false);
    expect(isStrictLowS(spec, form(1n, half), 'p1363')).toBe(true);
    expect(isStrictLowS(spec, form(1n, half + 1n), 'p1363')).toBe(false);
  });

  it('lowS() leaves a low-S signature as it is and folds a high-S one, in its encoding', () => {
    const der = nodeSign(null, MESSAGE, privateKey);
    for (const encoding of ENCODINGS) {
      const sig = encoding === 'der' ? der : derToP1363(der, size);
      const low = lowS(spec, Buffer.from(sig), encoding);
      const high = flipS(type, low, encoding);
      expect(lowS(spec, low, encoding)).toEqual(low);
      expect(lowS(spec, high, encoding)).toEqual(low);
    }
  });
});
