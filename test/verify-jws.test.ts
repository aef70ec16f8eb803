/**
 * Offline verification of payment-message JWS (src/verify/jws.ts) against a bundle of fresh keys: every JWS alg
 * payseal signs with, through both opinions; key standing (revoked, below min_version, unknown); header and
 * payload rules; alg confusion; a planted disagreement.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, encodeBase64Url, signCompactJws, type KeyType, type RsaPadding, type Verifier } from '../src/crypto/index.ts';
import { parseBundle, type Bundle } from '../src/verify/bundle.ts';
import { verifyMessageJws } from '../src/verify/jws.ts';
import { OPENSSL_OPINION, type Opinion } from '../src/verify/signature.ts';
import { makeFixture, type Fixture, type FixtureKey } from './support/verify-fixtures.ts';

const TYPES: readonly [KeyType, RsaPadding | undefined, string][] = [
  ['ecdsa-p256', undefined, 'ES256'],
  ['ecdsa-p384', undefined, 'ES384'],
  ['ecdsa-p521', undefined, 'ES512'],
  ['ecdsa-secp256k1', undefined, 'ES256K'],
  ['rsa-2048', 'pss', 'PS256'],
  ['rsa-2048', 'pkcs1v15', 'RS256'],
  ['dsa-2048', undefined, 'DS256'],
  ['ed25519', undefined, 'EdDSA'],
];

let fixture: Fixture;
let bundle: Bundle;
const message = { amount: '12.00', currency: 'EUR', to: 'DE89370400440532013000' };

beforeAll(async () => {
  fixture = await makeFixture([
    ...[...new Set(TYPES.map((t) => t[0]))].map((type) => ({ name: `m-${type}`, type, states: ['active'] as const })),
    { name: 'rotated', type: 'ed25519', states: ['revoked', 'retired', 'active'], minVersion: 3 },
  ]);
  bundle = parseBundle(fixture.bundle);
}, 120_000);

const key = (name: string) => fixture.keys.get(name) as FixtureKey;

function sign(name: string, version: number, options: { rsaPadding?: RsaPadding; payload?: Buffer; header?: Record<string, unknown> } = {}): Promise<string> {
  const k = key(name);
  const header = { kid: `${name}:v${version}`, iat: 1_740_000_000, jti: encodeBase64Url(randomBytes(16)), ...options.header };
  return signCompactJws(k.spec, k.privateKeys[version - 1]!, header, options.payload ?? Buffer.from(canonicalJson(message)), { rsaPadding: options.rsaPadding });
}

describe('offline JWS: both opinions on every alg', () => {
  for (const [type, padding, alg] of TYPES) {
    it(`${alg} (${type}): valid with its message; a changed payload is bad_signature`, async () => {
      const jws = await sign(`m-${type}`, 1, padding === undefined ? {} : { rsaPadding: padding });
      const v = await verifyMessageJws(bundle, `${jws}\n`);
      expect(v).toMatchObject({ valid: true, kid: `m-${type}:v1`, alg, key: `m-${type}`, key_version: 1, iat: 1_740_000_000, message });
      expect(v.opinions?.map((o) => o.valid)).toEqual([true, true]);
      const [h, , s] = jws.split('.');
      const forged = `${h}.${encodeBase64Url(Buffer.from(canonicalJson({ ...message, amount: '1200.00' })))}.${s}`;
      await expect(verifyMessageJws(bundle, forged)).resolves.toMatchObject({ valid: false, reason: 'bad_signature', signature_checks: false });
    });
  }
});

describe('offline JWS: key standing', () => {
  it('a revoked version is reported revoked; below min_version is reported so; the newest is valid', async () => {
    await expect(verifyMessageJws(bundle, await sign('rotated', 1))).resolves.toMatchObject({ valid: false, reason: 'key_version_revoked', signature_checks: true });
    await expect(verifyMessageJws(bundle, await sign('rotated', 2))).resolves.toMatchObject({ valid: false, reason: 'below_min_version', signature_checks: true });
    await expect(verifyMessageJws(bundle, await sign('rotated', 3))).resolves.toMatchObject({ valid: true });
  });

  it('a kid naming a key or version the bundle lacks is unknown_key', async () => {
    await expect(verifyMessageJws(bundle, await sign('rotated', 3, { header: { kid: 'rotated:v4' } }))).resolves.toMatchObject({ valid: false, reason: 'unknown_key' });
    await expect(verifyMessageJws(bundle, await sign('rotated', 3, { header: { kid: 'other:v1' } }))).resolves.toMatchObject({ valid: false, reason: 'unknown_key' });
  });
});

describe('offline JWS: header, payload and alg rules', () => {
  it('malformed: not compact, bad kid, iat or jti, non-canonical payload', async () => {
    const cases: [string, string][] = [
      ['not a jws', 'not_compact'],
      [await sign('m-ed25519', 1, { header: { kid: 'm-ed25519' } }), 'kid_invalid'],
      [await sign('m-ed25519', 1, { header: { kid: 'm-ed25519:v01' } }), 'kid_invalid'],
      [await sign('m-ed25519', 1, { header: { iat: '1740000000' } }), 'iat_invalid'],
      [await sign('m-ed25519', 1, { header: { jti: 'short' } }), 'jti_invalid'],
      [await sign('m-ed25519', 1, { payload: Buffer.from('{"currency": "EUR", "amount": "12.00"}') }), 'non_canonical_payload'],
    ];
    for (const [jws, detail] of cases) await expect(verifyMessageJws(bundle, jws), detail).resolves.toMatchObject({ valid: false, reason: 'malformed', detail });
  });

  it('the key decides the alg: a header alg the key type does not sign with is bad_signature before any crypto', async () => {
    const jws = await sign('m-ecdsa-p256', 1);
    const [, p, s] = jws.split('.');
    const header = encodeBase64Url(Buffer.from(JSON.stringify({ alg: 'ES384', kid: 'm-ecdsa-p256:v1', iat: 1, jti: encodeBase64Url(randomBytes(16)) })));
    await expect(verifyMessageJws(bundle, `${header}.${p}.${s}`)).resolves.toMatchObject({ valid: false, reason: 'bad_signature', detail: 'alg_key_mismatch' });
    const none = encodeBase64Url(Buffer.from(JSON.stringify({ alg: 'none', kid: 'm-ecdsa-p256:v1', iat: 1, jti: encodeBase64Url(randomBytes(16)) })));
    await expect(verifyMessageJws(bundle, `${none}.${p}.${s}`)).resolves.toMatchObject({ valid: false, reason: 'bad_signature', detail: 'alg_refused' });
  });

  it('a planted disagreement on the JWS signature is reported', async () => {
    const liar: Opinion = {
      name: 'planted liar',
      create: (spec, pem): Verifier => ({ spec, verify: async (d, s, o) => !(await OPENSSL_OPINION.create(spec, pem).verify(d, s, o)) }),
    };
    const v = await verifyMessageJws(bundle, await sign('m-ecdsa-p256', 1), [OPENSSL_OPINION, liar]);
    expect(v).toMatchObject({ valid: false, reason: 'disagreement' });
    expect(v.message).toBeUndefined();
  });
});
