/**
 * Interoperability with panva/jose, the JOSE library JavaScript services use: payment messages signed by
 * payseal verify with jose's compactVerify and flattenedVerify against a JWK Set built from
 * crypto/jose.ts's publicJwk (exactly what /.well-known/jwks.json serves), for every JWK-expressible type;
 * and JWS signed by jose verify through messages/verify.
 *
 * ES256K: jose 6 does not implement secp256k1 (RFC 8812) and refuses it; this is asserted, and payseal's
 * ES256K messages are verified with @noble/curves instead. DSA (DS256) has no JWK form and no jose support.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { CompactSign, compactVerify, createLocalJWKSet, flattenedVerify, type JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { testKey, type TestKey } from './support/keys.ts';
import { publicJwk, type KeyType } from '../src/crypto/index.ts';
import { canonicalMessageBytes, signMessage, verifyMessage, type KeyLookup } from '../src/messages/index.ts';

const JWK_TYPES: readonly KeyType[] = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ed25519'];
const MESSAGE = { amount: '1250.00', currency: 'GBP', debtor: 'acct-7', memo: 'Zahlung für Rechnung №42 💶' };
const keys = new Map<KeyType, TestKey>();
const key = (t: KeyType): TestKey => keys.get(t) as TestKey;

const lookup: KeyLookup = async (name, version) =>
  keys.has(name as KeyType) && version === 1
    ? { ok: true, key: { spec: key(name as KeyType).spec, key: key(name as KeyType).publicKey as KeyObject, version } }
    : { ok: false, reason: 'unknown_key' };

beforeAll(async () => {
  const types: KeyType[] = [...JWK_TYPES, 'ecdsa-secp256k1'];
  const made = await Promise.all(types.map((t) => testKey(t)));
  types.forEach((t, i) => keys.set(t, made[i] as TestKey));
});

function jwks(): JSONWebKeySet {
  return { keys: JWK_TYPES.map((t) => publicJwk(key(t).spec, key(t).publicKey as KeyObject, `${t}:v1`)) as JSONWebKeySet['keys'] };
}

describe.each(JWK_TYPES.map((t) => [t]))('%s', (type) => {
  it("payseal's message verifies with jose compactVerify and flattenedVerify against the JWK Set", async () => {
    const signed = await signMessage({ name: type, version: 1, spec: key(type).spec, key: key(type).privateKey }, MESSAGE);
    const set = createLocalJWKSet(jwks());
    const compact = await compactVerify(signed.jws, set);
    expect(Buffer.from(compact.payload).equals(canonicalMessageBytes(MESSAGE))).toBe(true);
    expect(compact.protectedHeader).toEqual({ alg: compact.protectedHeader.alg, kid: signed.kid, iat: signed.iat, jti: signed.jti });
    const [protectedB64, payload, signature] = signed.jws.split('.') as [string, string, string];
    const flat = await flattenedVerify({ protected: protectedB64, payload, signature }, set);
    expect(JSON.parse(Buffer.from(flat.payload).toString('utf8'))).toEqual(MESSAGE);
  });

  it("jose's JWS over the JCS payload verifies through messages/verify", async () => {
    const alg = publicJwk(key(type).spec, key(type).publicKey as KeyObject, 'x')?.alg as string;
    const iat = Math.floor(Date.now() / 1000);
    const jti = Buffer.alloc(16, 9).toString('base64url');
    const jws = await new CompactSign(canonicalMessageBytes(MESSAGE)).setProtectedHeader({ alg, kid: `${type}:v1`, iat, jti } as never).sign(key(type).privateKey);
    expect(await verifyMessage(jws, lookup, { maxAgeSeconds: 60 })).toEqual({ valid: true, kid: `${type}:v1`, key_version: 1, iat, jti, message: MESSAGE });
  });
});

describe('ecdsa-secp256k1 (ES256K)', () => {
  it('jose refuses ES256K; @noble/curves verifies payseal’s r‖s signature over the signing input', async () => {
    const k = key('ecdsa-secp256k1');
    const signed = await signMessage({ name: 'ecdsa-secp256k1', version: 1, spec: k.spec, key: k.privateKey }, MESSAGE);
    const jwk = publicJwk(k.spec, k.publicKey as KeyObject, 'ecdsa-secp256k1:v1') as Record<string, string>;
    await expect(compactVerify(signed.jws, createLocalJWKSet({ keys: [jwk] as JSONWebKeySet['keys'] }))).rejects.toMatchObject({ code: 'ERR_JOSE_NOT_SUPPORTED' });
    await expect(new CompactSign(new Uint8Array(1)).setProtectedHeader({ alg: 'ES256K' }).sign(k.privateKey)).rejects.toMatchObject({ code: 'ERR_JOSE_NOT_SUPPORTED' });
    const [h, p, s] = signed.jws.split('.') as [string, string, string];
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
    const digest = createHash('sha256').update(`${h}.${p}`).digest();
    // OpenSSL does not normalise s to the low half (Bitcoin's rule); JWS does not ask for it, so lowS: false.
    expect(secp256k1.verify(Buffer.from(s, 'base64url'), digest, point, { prehash: false, lowS: false })).toBe(true);
    expect(secp256k1.verify(Buffer.from(s, 'base64url'), createHash('sha256').update(`${h}.${p}x`).digest(), point, { prehash: false, lowS: false })).toBe(false);
    expect((await verifyMessage(signed.jws, lookup)).valid).toBe(true);
  });
});
