/**
 * The KEK wrap (kek.ts): AES-256-GCM through src/crypto's Aead, bound by its AAD to key name, version and KEK
 * id. A blob unwraps only under the same KEK for the same row; truncated, altered or moved blobs and other
 * KEKs are kek_mismatch; the KEK never shows in JSON or inspection; the id is a stable fingerprint.
 */
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../../test/support/errors.ts';
import { Kek, kekIdOf, parseKek, wrapAad } from './kek.ts';

const bytes = Buffer.alloc(32, 7);
const kek = new Kek(bytes);
const secret = Buffer.from('a private key, PKCS#8 DER in real life');

describe('Kek wrap', () => {
  it('round-trips, with a fresh IV each time (iv 12 ‖ ciphertext ‖ tag 16)', () => {
    const a = kek.wrap(secret, 'payments', 3);
    const b = kek.wrap(secret, 'payments', 3);
    expect(a.length).toBe(12 + secret.length + 16);
    expect(a.equals(b)).toBe(false);
    expect(kek.unwrap(a, 'payments', 3).equals(secret)).toBe(true);
  });

  it('is the standard AES-256-GCM with the row AAD (what stored blobs were wrapped with)', () => {
    const blob = kek.wrap(secret, 'k', 1);
    const d = crypto.createDecipheriv('aes-256-gcm', bytes, blob.subarray(0, 12));
    d.setAAD(wrapAad('k', 1, kek.id));
    d.setAuthTag(blob.subarray(blob.length - 16));
    expect(Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]).equals(secret)).toBe(true);
  });

  it('refuses another row, another KEK, an altered or truncated blob with kek_mismatch', () => {
    const blob = kek.wrap(secret, 'payments', 3);
    expect(codeOf(() => kek.unwrap(blob, 'payments', 4))).toBe('kek_mismatch');
    expect(codeOf(() => kek.unwrap(blob, 'payment', 3))).toBe('kek_mismatch');
    expect(codeOf(() => new Kek(Buffer.alloc(32, 8)).unwrap(blob, 'payments', 3))).toBe('kek_mismatch');
    for (const i of [0, 12, blob.length - 1]) {
      const altered = Buffer.from(blob);
      altered[i]! ^= 1;
      expect(codeOf(() => kek.unwrap(altered, 'payments', 3))).toBe('kek_mismatch');
    }
    expect(codeOf(() => kek.unwrap(blob.subarray(0, 27), 'payments', 3))).toBe('kek_mismatch');
    expect(codeOf(() => kek.unwrap(Buffer.alloc(0), 'payments', 3))).toBe('kek_mismatch');
  });

  it('AAD fields are length-prefixed, so ("ab", 1) and ("a", …) never encode alike', () => {
    expect(wrapAad('ab', 1, 'id').equals(wrapAad('a', 1, 'bid'))).toBe(false);
    expect(wrapAad('k', 1, 'id').equals(wrapAad('k', 256, 'id'))).toBe(false);
  });

  it('never shows the KEK: JSON and inspect give the id; the id is a 16-hex fingerprint', () => {
    expect(JSON.stringify({ kek })).toBe(`{"kek":"[KEK ${kek.id}]"}`);
    expect(inspect(kek)).toBe(`[KEK ${kek.id}]`);
    expect(kek.id).toMatch(/^[0-9a-f]{16}$/);
    expect(kekIdOf(bytes)).toBe(kek.id);
    expect(kekIdOf(Buffer.alloc(32, 8))).not.toBe(kek.id);
  });

  it('parseKek takes the standard base64 of exactly 32 bytes, else config_invalid', () => {
    expect(parseKek(bytes.toString('base64'), 'PAYSEAL_KEK').id).toBe(kek.id);
    for (const bad of ['', 'abc', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), '-'.repeat(43) + '=', bytes.toString('base64').slice(0, 43)]) {
      expect(codeOf(() => parseKek(bad, 'PAYSEAL_KEK'))).toBe('config_invalid');
    }
    expect(codeOf(() => new Kek(Buffer.alloc(16)))).toBe('config_invalid');
  });
});
