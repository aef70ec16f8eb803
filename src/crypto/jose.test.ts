/**
 * JOSE names: the JWS alg of each signing type (RFC 7518 §3.1, RFC 8812 §3.2, RFC 8037, private DS256) and
 * public JWKs with kid/alg/use that import back to the same key and carry no private member.
 */
import { createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { testKey, type TestKey } from '../../test/support/keys.ts';
import { isPaysealError } from '../errors.ts';
import { KEY_TYPES, jwsAlgorithm, publicJwk, resolveKeyType, type KeyType } from './index.ts';

const ALG: Readonly<Record<KeyType, string | null>> = {
  'rsa-2048': 'PS256',
  'rsa-3072': 'PS256',
  'rsa-4096': 'PS256',
  'ecdsa-p256': 'ES256',
  'ecdsa-p384': 'ES384',
  'ecdsa-p521': 'ES512',
  'ecdsa-secp256k1': 'ES256K',
  'dsa-2048': 'DS256',
  'dsa-3072': 'DS256',
  ed25519: 'EdDSA',
  'aes-128-gcm': null,
  'aes-256-gcm': null,
};

const CRV: Readonly<Record<string, string>> = { 'ecdsa-p256': 'P-256', 'ecdsa-p384': 'P-384', 'ecdsa-p521': 'P-521', 'ecdsa-secp256k1': 'secp256k1' };

const keys = new Map<KeyType, TestKey>();
beforeAll(async () => {
  const types = KEY_TYPES.filter((t) => !t.startsWith('dsa') && !t.startsWith('aes'));
  const made = await Promise.all(types.map((t) => testKey(t)));
  types.forEach((t, i) => keys.set(t, made[i] as TestKey));
});

describe.each(KEY_TYPES.map((t) => [t]))('%s', (type) => {
  const spec = resolveKeyType(type);

  it(`signs JWS as ${ALG[type] ?? 'nothing (key_type_mismatch)'}`, () => {
    if (ALG[type] === null) {
      expect(() => jwsAlgorithm(spec)).toThrow(expect.objectContaining({ code: 'key_type_mismatch' }));
      return;
    }
    expect(jwsAlgorithm(spec)).toBe(ALG[type]);
    if (spec.family === 'rsa') expect(jwsAlgorithm(spec, 'pkcs1v15')).toBe('RS256');
  });

  if (spec.family === 'dsa' || spec.family === 'aes-gcm') {
    it('has no JWK (null)', () => {
      // publicJwk answers null from the type alone, so any public KeyObject will do here.
      expect(publicJwk(spec, (keys.get('ed25519') as TestKey).publicKey!, 'k:v1')).toBeNull();
    });
    return;
  }

  it('publishes a public JWK with kid, alg and use that imports back to the same key', () => {
    const k = keys.get(type) as TestKey;
    const jwk = publicJwk(spec, k.publicKey!, 'payments:v3') as Record<string, unknown>;
    expect(jwk).toMatchObject({ kid: 'payments:v3', alg: ALG[type], use: 'sig' });
    if (spec.family === 'ecdsa') expect(jwk).toMatchObject({ kty: 'EC', crv: CRV[type] });
    if (spec.family === 'eddsa') expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    if (spec.family === 'rsa') expect(jwk).toMatchObject({ kty: 'RSA', e: 'AQAB' });
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(jwk).not.toHaveProperty(secret);
    const { kid: _kid, alg: _alg, use: _use, ...material } = jwk;
    expect(createPublicKey({ key: material as never, format: 'jwk' }).equals(k.publicKey!)).toBe(true);
  });

  it('refuses a private key (key_type_mismatch) rather than publishing it', () => {
    const k = keys.get(type) as TestKey;
    try {
      publicJwk(spec, k.privateKey, 'payments:v3');
      expect.unreachable();
    } catch (e) {
      expect(isPaysealError(e) && e.code).toBe('key_type_mismatch');
    }
  });
});
