/**
 * AES-GCM Aead (SP 800-38D): round trips, the iv ‖ ct ‖ tag layout, interoperability with a plain
 * node:crypto decipher, and that every tampering (IV, ciphertext, tag, AAD, length, key) is decryption_failed.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GCM_IV_BYTES, GCM_TAG_BYTES, createAead, resolveKeyType } from './index.ts';
import { codeOf } from '../../test/support/errors.ts';

function flipBit(b: Uint8Array, byte: number): Buffer {
  const out = Buffer.from(b);
  out[byte] = (out[byte] as number) ^ 1;
  return out;
}

describe.each([
  ['aes-128-gcm', 16],
  ['aes-256-gcm', 32],
] as const)('%s', (type, keyBytes) => {
  const spec = resolveKeyType(type);
  const rawKey = randomBytes(keyBytes);
  const aead = createAead(spec, createSecretKey(rawKey));
  const plaintext = Buffer.from('{"amount":"10.00","currency":"EUR"}');
  const aad = Buffer.from('payments:v3');

  it('round-trips any plaintext and AAD (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }), (pt, a) => {
        expect(aead.open(aead.seal(pt, a), a).equals(Buffer.from(pt))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('lays out iv (12) ‖ ciphertext ‖ tag (16), readable by a plain node:crypto decipher', () => {
    const sealed = aead.seal(plaintext, aad);
    expect(sealed.length).toBe(GCM_IV_BYTES + plaintext.length + GCM_TAG_BYTES);
    const d = createDecipheriv(type, rawKey, sealed.subarray(0, 12), { authTagLength: 16 });
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    d.setAAD(aad);
    expect(Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]).equals(plaintext)).toBe(true);
  });

  it('opens what a plain node:crypto cipher sealed in the same layout', () => {
    const iv = randomBytes(12);
    const c = createCipheriv(type, rawKey, iv, { authTagLength: 16 });
    c.setAAD(aad);
    const sealed = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
    expect(aead.open(sealed, aad).equals(plaintext)).toBe(true);
  });

  it('draws a fresh random IV for every seal', () => {
    const ivs = new Set(Array.from({ length: 200 }, () => aead.seal(plaintext).subarray(0, 12).toString('hex')));
    expect(ivs.size).toBe(200);
  });

  it('treats a missing AAD and an empty AAD alike (GCM authenticates zero AAD bytes either way)', () => {
    expect(aead.open(aead.seal(plaintext), Buffer.alloc(0)).equals(plaintext)).toBe(true);
    expect(aead.open(aead.seal(plaintext, Buffer.alloc(0))).equals(plaintext)).toBe(true);
  });

  it('fails with decryption_failed on a flipped bit anywhere: IV, ciphertext, tag', () => {
    const sealed = aead.seal(plaintext, aad);
    for (let i = 0; i < sealed.length; i++) {
      expect(codeOf(() => aead.open(flipBit(sealed, i), aad))).toBe('decryption_failed');
    }
  });

  it('fails with decryption_failed on wrong, missing or extra AAD', () => {
    const sealed = aead.seal(plaintext, aad);
    expect(codeOf(() => aead.open(sealed, flipBit(aad, 0)))).toBe('decryption_failed');
    expect(codeOf(() => aead.open(sealed))).toBe('decryption_failed');
    expect(codeOf(() => aead.open(sealed, Buffer.concat([aad, Buffer.from([0])])))).toBe('decryption_failed');
    expect(codeOf(() => aead.open(aead.seal(plaintext), aad))).toBe('decryption_failed');
  });

  it('fails with decryption_failed on truncated, extended or too-short input', () => {
    const sealed = aead.seal(plaintext, aad);
    expect(codeOf(() => aead.open(sealed.subarray(0, sealed.length - 1), aad))).toBe('decryption_failed');
    expect(codeOf(() => aead.open(Buffer.concat([sealed, Buffer.from([0])]), aad))).toBe('decryption_failed');
    for (const n of [0, 1, 12, 27]) expect(codeOf(() => aead.open(Buffer.alloc(n), aad))).toBe('decryption_failed');
    // 28 bytes is the shortest well-formed input (empty plaintext); all zeros is still a bad tag.
    expect(codeOf(() => aead.open(Buffer.alloc(28)))).toBe('decryption_failed');
  });

  it('fails with decryption_failed under another key of the same size', () => {
    const other = createAead(spec, createSecretKey(randomBytes(keyBytes)));
    expect(codeOf(() => other.open(aead.seal(plaintext, aad), aad))).toBe('decryption_failed');
  });

  it('refuses key material of the wrong size (key_type_mismatch)', () => {
    for (const n of [0, 1, 15, 17, 24, 31, 33, 64].filter((x) => x !== keyBytes)) {
      expect(codeOf(() => createAead(spec, createSecretKey(Buffer.alloc(n, 1))))).toBe('key_type_mismatch');
    }
  });
});

describe('signing keys do not encrypt', () => {
  it.each([['rsa-2048'], ['ecdsa-p256'], ['ed25519'], ['dsa-2048']] as const)('%s: key_type_mismatch', (type) => {
    expect(codeOf(() => createAead(resolveKeyType(type), createSecretKey(randomBytes(32))))).toBe('key_type_mismatch');
  });
});
