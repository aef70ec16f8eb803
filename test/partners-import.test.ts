/**
 * Verify-only keys from a partner's public key, through the HTTP API: every signing type imported from PEM
 * (DSA included), JWK and X.509 certificate; the type read from the key (unsupported ones refused); private
 * material refused; raw signatures made with the partner's private key verify; nothing signs or rotates such a
 * key (key_verify_only); its next version is an import; it is in the JWK Set and the public keys with
 * `origin: "imported"`; a certificate's subject, issuer, serial and validity are kept, and outside the validity
 * verification answers `expired`. Message JWS and detached JWS made by the partner verify through the
 * messages room with the key service as lookup. Needs a store (PGlite, or PostgreSQL with DATABASE_URL).
 */
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveKeyType } from '../src/crypto/index.ts';
import { signDetached, signMessage, verifyDetached, verifyMessage, type KeyLookup } from '../src/messages/index.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const input = Buffer.from('partner payment 42');

const TYPES: readonly [string, () => { publicKey: KeyObject; privateKey: KeyObject }, string | null][] = [
  ['rsa-2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256'],
  ['ecdsa-p256', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), 'sha256'],
  ['ecdsa-p384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), 'sha384'],
  ['ecdsa-p521', () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }), 'sha512'],
  ['ecdsa-secp256k1', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }), 'sha256'],
  ['dsa-2048', () => generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }), 'sha256'],
  ['ed25519', () => generateKeyPairSync('ed25519'), null],
];

/** A raw signature the way the partner makes it, wrapped in payseal's envelope for verify. */
function partnerSignature(type: string, privateKey: KeyObject, hash: string | null): string {
  const key = type.startsWith('rsa') ? { key: privateKey, padding: 6, saltLength: 32 } : privateKey; // 6: RSA_PKCS1_PSS_PADDING
  return `payseal:v1:${nodeSign(hash, input, key).toString('base64')}`;
}

describe('import from PEM: every signing type', () => {
  for (const [type, make, hash] of TYPES) {
    it(`${type}: created verify-only, verifies the partner's signature, never signs or rotates`, async () => {
      const { publicKey, privateKey } = make();
      const name = `p-${type}`;
      const created = await api.call('POST', '/v1/keys', { body: { name, import: { public_key_pem: pem(publicKey) } } });
      expect(created.status, created.text).toBe(201);
      expect(created.json).toMatchObject({ name, type, purpose: 'sign', origin: 'imported', latest_version: 1, rotation_period: null });
      expect(created.json.versions).toEqual([{ version: 1, state: 'active', created_at: expect.any(String) }]);
      const signature = partnerSignature(type, privateKey, hash);
      expect((await api.call('POST', `/v1/keys/${name}/verify`, { body: { input: b64(input), signature } })).json).toEqual({ valid: true, key_version: 1 });
      const forged = `payseal:v1:${Buffer.from(signature.slice(11), 'base64').reverse().toString('base64')}`;
      expect((await api.call('POST', `/v1/keys/${name}/verify`, { body: { input: b64(input), signature: forged } })).json.valid).toBe(false);
      const sign = await api.call('POST', `/v1/keys/${name}/sign`, { body: { input: b64(input) } });
      expect([sign.status, sign.json.error.code]).toEqual([400, 'key_verify_only']);
      const rotate = await api.call('POST', `/v1/keys/${name}/rotate`);
      expect([rotate.status, rotate.json.error.code]).toEqual([400, 'key_verify_only']);
      const pub = await api.call('GET', `/v1/keys/${name}/public`);
      expect(pub.json).toMatchObject({ name, type, origin: 'imported', versions: [{ version: 1, state: 'active', public_key_pem: pem(publicKey) }] });
    });
  }
});

describe('what is refused', () => {
  it('types payseal lacks: unsupported_algorithm', async () => {
    const odd = [generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).publicKey, generateKeyPairSync('x25519').publicKey];
    for (const [i, k] of odd.entries()) {
      const res = await api.call('POST', '/v1/keys', { body: { name: `odd-${i}`, import: { public_key_pem: pem(k) } } });
      expect([res.status, res.json.error.code], String(k.asymmetricKeyType)).toEqual([400, 'unsupported_algorithm']);
    }
    const oct = await api.call('POST', '/v1/keys', { body: { name: 'odd-oct', import: { jwk: { kty: 'oct', k: 'AAAA' } } } });
    expect(oct.status).toBe(400);
  });

  it('private material, two sources, type with import: invalid_request, and no key is left behind', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const bodies = [
      { name: 'bad-1', import: { public_key_pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } },
      { name: 'bad-2', import: { jwk: privateKey.export({ format: 'jwk' }) } },
      { name: 'bad-3', import: { public_key_pem: pem(publicKey), jwk: publicKey.export({ format: 'jwk' }) } },
      { name: 'bad-4', type: 'ecdsa-p256', import: { public_key_pem: pem(publicKey) } },
      { name: 'bad-5', import: { public_key_pem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' } },
      { name: 'bad-6', import: { public_key_pem: pem(publicKey) }, rotation_period: '90d' },
    ];
    for (const body of bodies) {
      const res = await api.call('POST', '/v1/keys', { body });
      expect([res.status, res.json.error.code], body.name).toEqual([400, 'invalid_request']);
      expect(res.text).not.toMatch(/PRIVATE|"d"/);
    }
    const names = (await api.call('GET', '/v1/keys')).json.keys.map((k: { name: string }) => k.name);
    expect(names.filter((n: string) => n.startsWith('bad-'))).toEqual([]);
  });
});

describe('JWK import, the JWK Set and the partner rotating', () => {
  it('a JWK keeps its kid; the key is in the JWK Set; its next version is an import of the same type', async () => {
    const v1 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = { ...v1.publicKey.export({ format: 'jwk' }), kid: 'acquirer-2026-01' };
    const created = await api.call('POST', '/v1/keys', { body: { name: 'acquirer', import: { jwk } } });
    expect(created.json.versions[0]).toMatchObject({ version: 1, state: 'active', external_kid: 'acquirer-2026-01' });
    const set = (await api.call('GET', '/.well-known/jwks.json', { token: null })).json.keys;
    expect(set.find((k: { kid: string }) => k.kid === 'acquirer:v1')).toMatchObject({ kty: 'EC', crv: 'P-256', x: jwk.x, alg: 'ES256' });

    const v2 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const next = await api.call('POST', '/v1/keys/acquirer/import', { body: { public_key_pem: pem(v2.publicKey) } });
    expect(next.status, next.text).toBe(200);
    expect(next.json.versions.map((v: { state: string }) => v.state)).toEqual(['retired', 'active']);
    const sig2 = `payseal:v2:${nodeSign('sha256', input, v2.privateKey).toString('base64')}`;
    expect((await api.call('POST', '/v1/keys/acquirer/verify', { body: { input: b64(input), signature: sig2 } })).json.valid).toBe(true);
    const other = await api.call('POST', '/v1/keys/acquirer/import', { body: { public_key_pem: pem(generateKeyPairSync('ed25519').publicKey) } });
    expect([other.status, other.json.error.code]).toEqual([400, 'key_type_mismatch']);
    await api.call('POST', '/v1/keys', { body: { name: 'own', type: 'ed25519' } });
    const onOwn = await api.call('POST', '/v1/keys/own/import', { body: { public_key_pem: pem(v2.publicKey) } });
    expect([onOwn.status, onOwn.json.error.code]).toEqual([400, 'key_type_mismatch']);
    const period = await api.call('PATCH', '/v1/keys/acquirer', { body: { rotation_period: '30d' } });
    expect([period.status, period.json.error.code]).toEqual([400, 'key_verify_only']);
    expect((await api.runtime.keys.rotateDue('test', new Date(Date.now() + 1e12))).rotated).toEqual([]);
  });
});

/** A certificate for a fresh RSA key (node generates it, node-forge writes the certificate with the validity asked for). */
function certificate(notBefore: Date, notAfter: Date): { certPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pem(publicKey));
  cert.serialNumber = '0a1b2c';
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: 'commonName', value: 'callbacks.bank.example' }, { name: 'organizationName', value: 'Example Bank' }]);
  cert.setIssuer([{ name: 'commonName', value: 'Example Bank CA' }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), privateKey };
}

describe('certificates', () => {
  it('keeps subject, issuer, serial and validity; verifies inside the validity, answers expired outside it', async () => {
    const day = 86_400_000;
    const live = certificate(new Date(Date.now() - day), new Date(Date.now() + 365 * day));
    const created = await api.call('POST', '/v1/keys', { body: { name: 'bank', import: { certificate_pem: live.certPem } } });
    expect(created.status, created.text).toBe(201);
    expect(created.json.type).toBe('rsa-2048');
    expect(created.json.versions[0].certificate).toMatchObject({
      subject: expect.stringContaining('CN=callbacks.bank.example'),
      issuer: 'CN=Example Bank CA',
      serial: '0A1B2C',
      not_before: expect.any(String),
      not_after: expect.any(String),
    });
    const sig = (k: KeyObject, v: number) => `payseal:v${v}:${nodeSign('sha256', input, { key: k, padding: 6, saltLength: 32 }).toString('base64')}`;
    expect((await api.call('POST', '/v1/keys/bank/verify', { body: { input: b64(input), signature: sig(live.privateKey, 1) } })).json).toEqual({ valid: true, key_version: 1 });

    const old = certificate(new Date('2020-01-01T00:00:00Z'), new Date('2021-01-01T00:00:00Z'));
    expect((await api.call('POST', '/v1/keys/bank/import', { body: { certificate_pem: old.certPem } })).status).toBe(200);
    const expired = await api.call('POST', '/v1/keys/bank/verify', { body: { input: b64(input), signature: sig(old.privateKey, 2) } });
    expect(expired.json).toEqual({ valid: false, key_version: 2, reason: 'expired' });
  });
});

describe('message JWS and detached JWS signed by the partner', () => {
  it('verify through the messages room with the key service as the lookup', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await api.call('POST', '/v1/keys', { body: { name: 'scheme', import: { public_key_pem: pem(publicKey) } } });
    const partner = { name: 'scheme', version: 1, spec: resolveKeyType('ecdsa-p256'), key: privateKey };
    const lookup: KeyLookup = (name, version) => api.runtime.keys.versionFor(name, version, 'sign', 'verify');
    const { jws } = await signMessage(partner, { amount: '10.00', currency: 'EUR' });
    expect(await verifyMessage(jws, lookup)).toMatchObject({ valid: true, kid: 'scheme:v1', message: { amount: '10.00', currency: 'EUR' } });
    const body = Buffer.from('{"payment": 1}');
    const detached = await signDetached(partner, body);
    expect(await verifyDetached(detached.jws, body, lookup)).toMatchObject({ valid: true, kid: 'scheme:v1' });
    expect(await verifyDetached(detached.jws, Buffer.from('{"payment": 2}'), lookup)).toMatchObject({ valid: false, reason: 'bad_signature' });
  });
});
