/**
 * Key generation and import: every type generates material in the documented form (PKCS#8 DER or raw AES
 * bytes, SPKI PEM), imports back to the same key, refuses material of another type or size
 * (key_type_mismatch), never echoes key bytes in an error, and generates off the event loop.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { testKey, type TestKey } from '../../test/support/keys.ts';
import { isPaysealError } from '../errors.ts';
import { KEY_TYPES, generateKeyMaterial, importPublic, importSecret, publicPemOf, resolveKeyType, type KeyType } from './index.ts';

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return isPaysealError(e) ? { code: e.code, message: e.message } : { code: `non-PaysealError: ${String(e)}`, message: '' };
  }
  return { code: 'no error', message: '' };
}

const keys = new Map<KeyType, TestKey>();
beforeAll(async () => {
  const made = await Promise.all(KEY_TYPES.map((t) => testKey(t)));
  KEY_TYPES.forEach((t, i) => keys.set(t, made[i] as TestKey));
});
const key = (t: KeyType): TestKey => keys.get(t) as TestKey;

/** For each type, types its material must not import as. */
const WRONG_AS: Readonly<Record<KeyType, readonly KeyType[]>> = {
  'rsa-2048': ['rsa-3072', 'rsa-4096', 'ecdsa-p256', 'dsa-2048', 'ed25519'],
  'rsa-3072': ['rsa-2048', 'rsa-4096', 'dsa-3072'],
  'rsa-4096': ['rsa-2048', 'rsa-3072'],
  'ecdsa-p256': ['ecdsa-p384', 'ecdsa-p521', 'ecdsa-secp256k1', 'ed25519', 'rsa-2048'],
  'ecdsa-p384': ['ecdsa-p256', 'ecdsa-p521'],
  'ecdsa-p521': ['ecdsa-p256', 'ecdsa-p384'],
  'ecdsa-secp256k1': ['ecdsa-p256', 'ecdsa-p384'],
  'dsa-2048': ['dsa-3072', 'rsa-2048', 'ecdsa-p256'],
  'dsa-3072': ['dsa-2048', 'rsa-3072'],
  ed25519: ['ecdsa-p256', 'rsa-2048'],
  'aes-128-gcm': ['aes-256-gcm', 'rsa-2048', 'ed25519'],
  'aes-256-gcm': ['aes-128-gcm', 'ecdsa-p256', 'ed25519'],
};

describe.each(KEY_TYPES.map((t) => [t]))('%s', (type) => {
  it('generates material in the documented form and imports it back to the same key', () => {
    const k = key(type);
    if (k.spec.purpose === 'encrypt') {
      expect(k.secret.length).toBe(k.spec.bits / 8);
      expect(k.publicPem).toBeNull();
      expect(k.privateKey.type).toBe('secret');
      expect(k.privateKey.export().equals(k.secret)).toBe(true);
      return;
    }
    expect(k.secret[0]).toBe(0x30);
    expect(createPrivateKey({ key: k.secret, format: 'der', type: 'pkcs8' }).equals(k.privateKey)).toBe(true);
    expect(k.publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    expect(publicPemOf(k.privateKey)).toBe(k.publicPem);
    expect(importPublic(k.spec, k.publicPem as string).equals(k.publicKey!)).toBe(true);
  });

  it.each(WRONG_AS[type].map((t) => [t]))('refuses to import its material as %s (key_type_mismatch)', (other) => {
    const k = key(type);
    const otherSpec = resolveKeyType(other);
    expect(errorOf(() => importSecret(otherSpec, k.secret)).code).toBe('key_type_mismatch');
    if (k.publicPem !== null && otherSpec.purpose === 'sign') {
      expect(errorOf(() => importPublic(otherSpec, k.publicPem as string)).code).toBe('key_type_mismatch');
    }
  });

  it('never echoes key bytes in an import error', () => {
    const spec = resolveKeyType(type);
    const garbage = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00]), randomBytes(40)]);
    const e = errorOf(() => importSecret(spec, garbage));
    if (spec.purpose === 'sign') expect(e.code).toBe('key_type_mismatch');
    for (const form of ['hex', 'base64', 'base64url'] as const) {
      expect(e.message).not.toContain(garbage.subarray(4, 20).toString(form).slice(0, 16));
    }
  });
});

describe('importPublic', () => {
  it('refuses text that is not a public key with invalid_request', () => {
    for (const pem of ['', 'hello', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n']) {
      expect(errorOf(() => importPublic(resolveKeyType('ecdsa-p256'), pem)).code).toBe('invalid_request');
    }
  });

  it('refuses AES types, which have no public half (key_type_mismatch)', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(errorOf(() => importPublic(resolveKeyType('aes-256-gcm'), pem)).code).toBe('key_type_mismatch');
  });

  it('refuses DSA keys whose q is not 256 bits (FIPS 186-4 (2048, 224))', () => {
    const { publicKey } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 224 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(errorOf(() => importPublic(resolveKeyType('dsa-2048'), pem)).code).toBe('key_type_mismatch');
  });
});

describe('generateKeyMaterial', () => {
  it('gives a fresh key each time', async () => {
    const spec = resolveKeyType('ed25519');
    const [a, b] = await Promise.all([generateKeyMaterial(spec), generateKeyMaterial(spec)]);
    expect(a.secret.equals(b.secret)).toBe(false);
  });

  it('runs DSA parameter generation off the event loop (the loop keeps turning while it runs)', async () => {
    let turns = 0;
    let done = false;
    const spin = (): void => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    await generateKeyMaterial(resolveKeyType('dsa-2048'));
    done = true;
    // An order, not a timing: a generator blocking the loop would resolve before any setImmediate ran.
    expect(turns).toBeGreaterThan(1);
  });
});
