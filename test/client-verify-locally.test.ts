/**
 * verifyLocally against a JWK Set generated with jose (ES256, PS256, EdDSA) and served by a local HTTP server
 * (test/client-standin.ts): valid and tampered messages, refresh on an unknown kid (exactly one fetch, shared
 * by concurrent callers) and its minimum interval, algorithm confusion refused (the alg is the JWK's),
 * non-canonical payloads, max age; DSA and ES256K go to the server's messages/verify.
 */
import { generateKeyPairSync, KeyObject, randomBytes, sign as nodeSign } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PaysealClient, type JwksCacheOptions } from '../src/client/index.ts';
import { startStandIn, type StandIn } from './support/client-standin.ts';

const JWKS = '/.well-known/jwks.json';
const VERIFY = '/v1/messages/verify';
const ALGS = ['ES256', 'PS256', 'EdDSA'] as const;
type Alg = (typeof ALGS)[number];

let server: StandIn;
const keys = new Map<string, { alg: string; privateKey: CryptoKey | KeyObject; jwk: Record<string, unknown> }>();
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

async function addJoseKey(kid: string, alg: Alg): Promise<void> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  keys.set(kid, { alg, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } });
}

/** A payment-message JWS: jose signs (it refuses nothing here); `payload` is sent exactly as given. */
async function message(kid: string, payload = '{"amount":"100.10","currency":"EUR"}', header: Record<string, unknown> = {}): Promise<string> {
  const key = keys.get(kid)!;
  const protectedHeader = { alg: key.alg, kid, iat: nowSeconds(), jti: b64url(randomBytes(16)), ...header };
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(protectedHeader as never).sign(key.privateKey as CryptoKey);
}

/** A JWS signed with node:crypto (ECDSA and DSA r‖s, RFC 7518 §3.4): for DS256 and ES256K, which jose cannot sign. */
function nodeMessage(kid: string, alg: string, privateKey: KeyObject, payload: string, extra: Record<string, unknown> = {}): string {
  const signingInput = `${b64url(JSON.stringify({ alg, kid, iat: nowSeconds(), jti: b64url(randomBytes(16)), ...extra }))}.${b64url(payload)}`;
  return `${signingInput}.${nodeSign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const serveJwks = (...kids: string[]) => {
  server.jwks = { keys: kids.map((kid) => keys.get(kid)!.jwk) };
};
const client = (jwks: JwksCacheOptions = {}) => new PaysealClient({ baseUrl: server.url, token: server.token, retries: 0, jwks });

beforeAll(async () => {
  server = await startStandIn();
  for (const alg of ALGS) await addJoseKey(`k-${alg.toLowerCase()}:v1`, alg);
  await addJoseKey('payments:v1', 'ES256');
  await addJoseKey('payments:v2', 'ES256');
});
afterAll(async () => server?.close());
beforeEach(() => {
  server.requests.length = 0;
  serveJwks(...ALGS.map((a) => `k-${a.toLowerCase()}:v1`), 'payments:v1');
});

describe('valid and tampered', () => {
  it.each(ALGS)('%s: a valid message verifies locally, answering like messages/verify', async (alg) => {
    const kid = `k-${alg.toLowerCase()}:v1`;
    const jws = await message(kid);
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString());
    const result = await client().verifyLocally(jws, { maxAgeSeconds: 300 });
    expect(result).toEqual({ valid: true, kid, key_version: 1, iat: header.iat, jti: header.jti, message: { amount: '100.10', currency: 'EUR' } });
    expect(server.count(VERIFY)).toBe(0);
  });

  it('the JWK Set is fetched once for many verifications', async () => {
    const c = client();
    for (const alg of ALGS) expect((await c.verifyLocally(await message(`k-${alg.toLowerCase()}:v1`))).valid).toBe(true);
    expect(server.count(JWKS)).toBe(1);
  });

  it.each(ALGS)('%s: a changed payload or a flipped signature bit is bad_signature', async (alg) => {
    const kid = `k-${alg.toLowerCase()}:v1`;
    const [h, p, s] = (await message(kid)).split('.');
    const c = client();
    const swapped = await c.verifyLocally(`${h}.${b64url('{"amount":"999.00","currency":"EUR"}')}.${s}`);
    expect(swapped).toMatchObject({ valid: false, reason: 'bad_signature', kid, key_version: 1 });
    expect(swapped).not.toHaveProperty('message');
    const sig = Buffer.from(s!, 'base64url');
    sig[sig.length >> 1]! ^= 0x01;
    expect(await c.verifyLocally(`${h}.${p}.${sig.toString('base64url')}`)).toMatchObject({ valid: false, reason: 'bad_signature' });
    expect((await c.verifyLocally(`${h}.${p}.${s}`)).valid).toBe(true);
  });
});

describe('refreshing the JWK Set', () => {
  it('an unknown kid triggers exactly one refresh; a rotated-in version then verifies', async () => {
    const c = client({ minRefreshIntervalMs: 0 });
    expect((await c.verifyLocally(await message('payments:v1'))).valid).toBe(true);
    expect(server.count(JWKS)).toBe(1);
    serveJwks('payments:v1', 'payments:v2'); // a rotation
    expect(await c.verifyLocally(await message('payments:v2'))).toMatchObject({ valid: true, kid: 'payments:v2', key_version: 2 });
    expect(server.count(JWKS)).toBe(2);
    expect((await c.verifyLocally(await message('payments:v2'))).valid).toBe(true);
    expect(server.count(JWKS)).toBe(2);
  });

  it('concurrent verifications of unknown kids share one refresh', async () => {
    const c = client({ minRefreshIntervalMs: 0 });
    await c.verifyLocally(await message('payments:v1'));
    const ghost = await message('payments:v2'); // not in the served set
    const results = await Promise.all(Array.from({ length: 25 }, () => c.verifyLocally(ghost)));
    expect(results.every((r) => r.valid === false && r.reason === 'unknown_key')).toBe(true);
    expect(server.count(JWKS)).toBe(2);
  });

  it('refreshes are at least minRefreshIntervalMs apart, however many unknown kids arrive', async () => {
    const c = client({ minRefreshIntervalMs: 400 });
    await c.verifyLocally(await message('payments:v1'));
    serveJwks('payments:v1', 'payments:v2');
    const v2 = await message('payments:v2');
    for (let i = 0; i < 30; i++) expect((await c.verifyLocally(v2)).reason).toBe('unknown_key');
    expect(server.count(JWKS)).toBe(1);
    await sleep(450);
    expect((await c.verifyLocally(v2)).valid).toBe(true);
    expect(server.count(JWKS)).toBe(2);
  });

  it('a JWK Set that cannot be fetched is an error (not a verdict); a held set survives a failed refresh', async () => {
    server.script(JWKS, { status: 503 });
    const c = client({ minRefreshIntervalMs: 0 });
    const jws = await message('payments:v1');
    await expect(c.verifyLocally(jws)).rejects.toMatchObject({ name: 'PaysealClientError', code: 'unavailable' });
    expect((await c.verifyLocally(jws)).valid).toBe(true);
    server.script(JWKS, { status: 503 });
    expect((await c.verifyLocally(await message('payments:v2'))).reason).toBe('unknown_key');
    expect((await c.verifyLocally(jws)).valid).toBe(true);
  });
});

describe('the algorithm comes from the JWK', () => {
  it('a header alg other than the JWK alg is refused before any crypto: another family, another curve, HS256, none', async () => {
    const c = client();
    const kid = 'payments:v1';
    await addJoseKey('rsa-impostor', 'PS256');
    const rsaSigned = await new CompactSign(new TextEncoder().encode('{"a":1}'))
      .setProtectedHeader({ alg: 'PS256', kid, iat: nowSeconds(), jti: 'x' } as never)
      .sign(keys.get('rsa-impostor')!.privateKey as CryptoKey);
    const unsigned = (alg: string) => `${b64url(JSON.stringify({ alg, kid, iat: nowSeconds(), jti: 'x' }))}.${b64url('{"a":1}')}.${alg === 'none' ? '' : b64url(randomBytes(32))}`;
    for (const jws of [rsaSigned, unsigned('ES384'), unsigned('HS256'), unsigned('none')]) {
      expect(await c.verifyLocally(jws)).toEqual({ valid: false, reason: 'bad_signature', kid, key_version: 1, iat: expect.any(Number), jti: 'x' });
    }
    expect(server.count(VERIFY)).toBe(0);
  });

  it('RS256 under a PS256 JWK (messages/sign with rsa_padding pkcs1v15) goes to the server, which knows the key allows it', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    server.trust('rsa:v1', ['PS256', 'RS256'], rsa.publicKey);
    server.jwks = { keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa:v1', alg: 'PS256', use: 'sig' }] };
    const signingInput = `${b64url(JSON.stringify({ alg: 'RS256', kid: 'rsa:v1', iat: nowSeconds(), jti: 'r' }))}.${b64url('{"a":1}')}`;
    const jws = `${signingInput}.${nodeSign('sha256', Buffer.from(signingInput), rsa.privateKey).toString('base64url')}`;
    expect(await client().verifyLocally(jws)).toMatchObject({ valid: true, kid: 'rsa:v1', message: { a: 1 } });
    expect(server.count(VERIFY)).toBe(1);
  });

  it('a JWK without alg is not trusted to name its algorithm: the server decides', async () => {
    const { alg, ...noAlg } = keys.get('payments:v1')!.jwk;
    expect(alg).toBe('ES256');
    server.jwks = { keys: [noAlg] };
    const result = await client().verifyLocally(await message('payments:v1'));
    expect(server.count(VERIFY)).toBe(1);
    expect(result).toMatchObject({ valid: false, reason: 'unknown_key' }); // the stand-in does not know the key
  });
});

describe('payload and header rules', () => {
  it.each([
    ['members out of order', '{"currency":"EUR","amount":"1"}'],
    ['whitespace', '{ "amount": "1" }'],
    ['a duplicate member', '{"a":1,"a":1}'],
    ['a number not in shortest form', '{"a":1.0}'],
    ['an integer JSON.parse rounds', '{"a":12345678901234567890}'],
    ['a lone surrogate', '{"a":"\\ud800"}'],
    ['a byte-order mark', '\ufeff{"a":1}'],
    ['not JSON', 'pay alice'],
  ])('a validly signed payload with %s is malformed', async (_, payload) => {
    expect(await client().verifyLocally(await message('payments:v1', payload))).toMatchObject({ valid: false, reason: 'malformed', kid: 'payments:v1' });
  });

  it('maxAgeSeconds: older than the age plus skew, or from the future beyond the skew, is expired', async () => {
    const c = client();
    const old = await message('payments:v1', '{"a":1}', { iat: nowSeconds() - 600 });
    expect(await c.verifyLocally(old, { maxAgeSeconds: 300 })).toMatchObject({ valid: false, reason: 'expired', iat: nowSeconds() - 600 });
    expect((await c.verifyLocally(old, { maxAgeSeconds: 3600 })).valid).toBe(true);
    expect((await c.verifyLocally(old)).valid).toBe(true);
    const future = await message('payments:v1', '{"a":1}', { iat: nowSeconds() + 3600 });
    expect((await c.verifyLocally(future, { maxAgeSeconds: 300 })).reason).toBe('expired');
    const slightlyAhead = await message('payments:v1', '{"a":1}', { iat: nowSeconds() + 5 });
    expect((await c.verifyLocally(slightlyAhead, { maxAgeSeconds: 300 })).valid).toBe(true);
  });

  it('malformed structure: parts, header, kid, iat, jti, b64, detached; no network needed to say so', async () => {
    const c = client();
    const [h, p, s] = (await message('payments:v1')).split('.');
    const withHeader = (header: Record<string, unknown>) => `${b64url(JSON.stringify(header))}.${p}.${s}`;
    const good = { alg: 'ES256', kid: 'payments:v1', iat: nowSeconds(), jti: 'x' };
    const { jti: _jti, ...noJti } = good;
    const cases = ['', 'a.b', `${h}.${p}.${s}.x`, `${h}.${p}!.${s}`, `${b64url('[1]')}.${p}.${s}`, `${b64url('{')}.${p}.${s}`, `${h}..${s}`, withHeader({ ...good, kid: 'payments' }), withHeader({ ...good, kid: 'Pay:v1' }), withHeader({ ...good, kid: 'payments:v0' }), withHeader({ ...good, iat: '1' }), withHeader({ ...good, iat: -1 }), withHeader(noJti), withHeader({ ...good, b64: false, crit: ['b64'] })];
    for (const jws of cases) expect((await c.verifyLocally(jws)).reason, jws).toBe('malformed');
    expect(server.count(JWKS)).toBe(0);
    expect(await c.verifyLocally('garbage')).toEqual({ valid: false, reason: 'malformed', kid: null, key_version: null, iat: null, jti: null });
  });

  it('an unknown critical header is malformed (RFC 7515 §4.1.11)', async () => {
    // jose will not sign an unknown critical header either; node:crypto does (ES256, r‖s).
    const privateKey = KeyObject.from(keys.get('payments:v1')!.privateKey as CryptoKey);
    const jws = nodeMessage('payments:v1', 'ES256', privateKey, '{"a":1}', { crit: ['urn:example:unknown'], 'urn:example:unknown': true });
    expect((await client().verifyLocally(nodeMessage('payments:v1', 'ES256', privateKey, '{"a":1}'))).valid).toBe(true);
    expect((await client().verifyLocally(jws)).reason).toBe('malformed');
  });
});

describe('server fallback', () => {
  it('DS256 (DSA, not in the JWK Set) is verified by messages/verify, without refreshing the set', async () => {
    const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
    server.trust('legacy:v1', 'DS256', dsa.publicKey);
    const c = client({ minRefreshIntervalMs: 0 });
    const jws = nodeMessage('legacy:v1', 'DS256', dsa.privateKey, '{"amount":"5.00"}');
    expect(await c.verifyLocally(jws, { maxAgeSeconds: 60 })).toMatchObject({ valid: true, kid: 'legacy:v1', key_version: 1, message: { amount: '5.00' } });
    const calls = server.requests.filter((r) => r.path === VERIFY);
    expect(calls.map((r) => r.body)).toEqual([{ jws, max_age_seconds: 60 }]);
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${server.token}`);
    expect(server.count(JWKS)).toBe(1);
    const [h, p, s] = jws.split('.');
    expect((await c.verifyLocally(`${h}.${b64url('{"amount":"5000.00"}')}.${s}`)).reason).toBe('bad_signature');
    expect(p).toBeDefined();
  });

  it('ES256K (in the JWK Set, but jose refuses it) is verified by the server', async () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    server.trust('btc:v1', 'ES256K', k1.publicKey);
    server.jwks = { keys: [...server.jwks.keys, { ...k1.publicKey.export({ format: 'jwk' }), kid: 'btc:v1', alg: 'ES256K', use: 'sig' }] };
    const result = await client().verifyLocally(nodeMessage('btc:v1', 'ES256K', k1.privateKey, '{"a":1}'));
    expect(result).toMatchObject({ valid: true, kid: 'btc:v1' });
    expect(server.count(VERIFY)).toBe(1);
  });
});
