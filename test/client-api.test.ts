/**
 * The client against the real payseal service (real runtime on an isolated store, real app over HTTP): raw
 * operations, batches with per-slot errors, key reads, the JWK Set, errors with stable codes, a real 429 with
 * Retry-After retried, and verifyLocally over JWSs assembled from payseal's own p1363 signatures and its JWK
 * Set, and the payment-message round trip against /v1/messages/* (sign, verifyLocally against messages/verify,
 * consume, seal/open, and the algorithms left to the server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaysealClient, PaysealClientError, isBatchItemError, type PaysealClientOptions } from '../src/client/index.ts';
import { startApi } from './support/api.ts';

/** The one place this suite touches the service's test harness (it may move): a payseal, an admin token, more replicas, tokens. */
async function startPayseal() {
  const api = await startApi();
  const replicas: { close(): Promise<void> }[] = [];
  return {
    url: api.url,
    adminToken: api.adminToken,
    token: (name: string, scopes: readonly string[]) => api.client(name, scopes),
    /** A second app on the same store, with its own settings (a rate limit). */
    async replica(overrides: { rateLimitRps: number; rateLimitBurst: number }): Promise<string> {
      const replica = await startApi(overrides, { runtime: api.runtime });
      replicas.push(replica);
      return replica.url;
    },
    async close() {
      for (const r of replicas) await r.close();
      await api.close();
    },
  };
}

let payseal: Awaited<ReturnType<typeof startPayseal>>;
let admin: PaysealClient;
const connect = (options: Partial<PaysealClientOptions> = {}) => new PaysealClient({ baseUrl: payseal.url, token: payseal.adminToken, retries: 0, ...options });
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

async function failure(promise: Promise<unknown>): Promise<PaysealClientError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PaysealClientError);
  return e as PaysealClientError;
}

beforeAll(async () => {
  payseal = await startPayseal();
  admin = connect();
  for (const [name, type] of [['payments', 'ecdsa-p256'], ['ed', 'ed25519'], ['rsa', 'rsa-2048'], ['cards', 'aes-256-gcm'], ['k1', 'ecdsa-secp256k1']] as const) {
    await admin.keys.create({ name, type });
  }
});
afterAll(async () => payseal?.close());

describe('raw operations', () => {
  it.each(['payments', 'ed', 'rsa'])('%s: sign bytes, verify them; other bytes are bad_signature', async (key) => {
    const signed = await admin.sign(key, { input: Buffer.from('pay 100 EUR to alice') });
    expect(signed).toEqual({ signature: expect.stringMatching(/^payseal:v1:/), key_version: 1 });
    expect(await admin.verify(key, { input: 'pay 100 EUR to alice', signature: signed.signature })).toEqual({ valid: true, key_version: 1 });
    expect(await admin.verify(key, { input: new TextEncoder().encode('pay 999 EUR to mallory'), signature: signed.signature })).toEqual({ valid: false, key_version: 1, reason: 'bad_signature' });
  });

  it('encrypt, decrypt (bytes back), rewrap; a wrong aad is decryption_failed with status 400', async () => {
    const sealed = await admin.encrypt('cards', { plaintext: '4111 1111 1111 1111', aad: 'order-42' });
    expect(sealed.ciphertext).toMatch(/^payseal:v1:/);
    const opened = await admin.decrypt('cards', { ciphertext: sealed.ciphertext, aad: Buffer.from('order-42') });
    expect([Buffer.isBuffer(opened.plaintext), opened.plaintext.toString(), opened.key_version]).toEqual([true, '4111 1111 1111 1111', 1]);
    const rewrapped = await admin.rewrap('cards', { ciphertext: sealed.ciphertext, aad: 'order-42' });
    expect(rewrapped.ciphertext).not.toBe(sealed.ciphertext);
    expect((await admin.decrypt('cards', { ciphertext: rewrapped.ciphertext, aad: 'order-42' })).plaintext.toString()).toBe('4111 1111 1111 1111');
    const e = await failure(admin.decrypt('cards', { ciphertext: sealed.ciphertext, aad: 'order-43' }));
    expect([e.code, e.status, e.attempts]).toEqual(['decryption_failed', 400, 1]);
    expect(e.requestId).toEqual(expect.any(String));
  });

  it('hash', async () => {
    expect(await admin.hash({ input: 'hello' })).toEqual({ digest: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' });
    expect((await admin.hash({ input: 'hello', algorithm: 'sha3-256', format: 'base64' })).digest).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('batches: results in order, a failing item has its own typed error', async () => {
    const signed = await admin.signBatch('payments', [{ input: 'one' }, { input: 'two', hash: 'md5' as never }, { input: 'three' }], { signature_encoding: 'p1363' });
    expect(signed.map((s) => (isBatchItemError(s) ? s.error.code : s.key_version))).toEqual([1, 'unsupported_algorithm', 1]);
    const first = signed[0]!;
    if (isBatchItemError(first)) throw new Error('expected a signature');
    const verified = await admin.verifyBatch('payments', [{ input: 'one', signature: first.signature }, { input: 'two', signature: first.signature }, { input: 'x', signature: 'garbage' }], { signature_encoding: 'p1363' });
    expect(verified).toEqual([{ valid: true, key_version: 1 }, { valid: false, key_version: 1, reason: 'bad_signature' }, { error: { code: 'invalid_request', message: expect.any(String) } }]);
    const sealed = await admin.encryptBatch('cards', [{ plaintext: 'a' }, { plaintext: new Uint8Array([0, 255]), aad: 'ctx' }]);
    const cts = sealed.map((s) => (isBatchItemError(s) ? '' : s.ciphertext));
    const opened = await admin.decryptBatch('cards', [{ ciphertext: cts[1]!, aad: 'ctx' }, { ciphertext: cts[0]!, aad: 'wrong' }, { ciphertext: cts[0]! }]);
    expect(opened.map((s) => (isBatchItemError(s) ? s.error.code : [...s.plaintext]))).toEqual([[0, 255], 'decryption_failed', [97]]);
    const rewrapped = await admin.rewrapBatch('cards', [{ ciphertext: cts[0]! }]);
    expect(rewrapped[0]).toEqual({ ciphertext: expect.stringMatching(/^payseal:v1:/), key_version: 1 });
  });
});

describe('keys and the JWK Set', () => {
  it('get, list, public, jwks; create of an existing name is key_exists (409), not retried', async () => {
    expect(await admin.keys.get('payments')).toMatchObject({ name: 'payments', type: 'ecdsa-p256', purpose: 'sign', latest_version: 1 });
    // payseal-ledger is the ledger key, made on first start; it is not in the JWK Set (it never signs messages).
    expect((await admin.keys.list()).map((k) => k.name).sort()).toEqual(['cards', 'ed', 'k1', 'payments', 'payseal-ledger', 'rsa']);
    const pub = await admin.keys.public('payments');
    expect(pub.versions[0]!.jwk).toMatchObject({ kid: 'payments:v1', alg: 'ES256', kty: 'EC' });
    // The set holds an ES256K key that jose cannot import: verifyLocally of the others must not mind (below).
    expect((await admin.jwks()).keys.map((k) => `${k.kid} ${k.alg}`).sort()).toEqual(['ed:v1 EdDSA', 'k1:v1 ES256K', 'payments:v1 ES256', 'rsa:v1 PS256']);
    const e = await failure(connect({ retries: 3 }).keys.create({ name: 'payments', type: 'ecdsa-p256' }));
    expect([e.code, e.status, e.attempts]).toEqual(['key_exists', 409, 1]);
    expect((await failure(admin.keys.get('nope'))).code).toBe('key_not_found');
  });

  it('a token without the scope: 403 forbidden; an unknown token: 401; neither token appears in the error', async () => {
    const token = await payseal.token('refunds', ['verify:payments']);
    const e = await failure(connect({ token }).sign('payments', { input: 'x' }));
    expect([e.code, e.status]).toEqual(['forbidden', 403]);
    const bogus = 'pst_this_token_payseal_never_issued';
    const u = await failure(connect({ token: bogus }).hash({ input: 'x' }));
    expect([u.code, u.status]).toEqual(['unauthorized', 401]);
    for (const [err, secret] of [[e, token], [u, bogus]] as const) expect(`${err.message} ${err.stack} ${JSON.stringify(err)}`).not.toContain(secret);
  });

  it("a real 429 from payseal's rate limit is retried after its Retry-After and succeeds", async () => {
    const url = await payseal.replica({ rateLimitRps: 1, rateLimitBurst: 1 });
    const delays: number[] = [];
    const limited = new PaysealClient({ baseUrl: url, token: payseal.adminToken, retries: 2, onRetry: (i) => delays.push(i.delayMs) });
    await limited.hash({ input: 'one' });
    expect(await limited.hash({ input: 'hello' })).toEqual({ digest: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' });
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(1000);
  });
});

/** A payment-message JWS made with payseal's raw sign (p1363: r‖s as JWS needs), so it can be checked today. */
async function jwsFromRawSign(key: string, alg: string, version: number, payload: string): Promise<string> {
  const header = b64url(JSON.stringify({ alg, kid: `${key}:v${version}`, iat: Math.floor(Date.now() / 1000), jti: b64url('0123456789abcdef') }));
  const signingInput = `${header}.${b64url(payload)}`;
  const { signature } = await admin.sign(key, { input: signingInput, ...(alg.startsWith('ES') ? { signature_encoding: 'p1363' } : {}) });
  return `${signingInput}.${b64url(Buffer.from(signature.split(':')[2]!, 'base64'))}`;
}

describe('verifyLocally with the real JWK Set', () => {
  it.each([
    ['payments', 'ES256'],
    ['ed', 'EdDSA'],
    ['rsa', 'PS256'],
  ])('%s (%s): valid; a tampered payload is bad_signature; after a rotation the new kid verifies', async (key, alg) => {
    const c = connect({ jwks: { minRefreshIntervalMs: 0 } });
    const jws = await jwsFromRawSign(key, alg, 1, '{"amount":"100.10","currency":"EUR"}');
    expect(await c.verifyLocally(jws, { maxAgeSeconds: 60 })).toMatchObject({ valid: true, kid: `${key}:v1`, key_version: 1, message: { amount: '100.10', currency: 'EUR' } });
    const [h, , s] = jws.split('.');
    expect((await c.verifyLocally(`${h}.${b64url('{"amount":"999.00","currency":"EUR"}')}.${s}`)).reason).toBe('bad_signature');
    const rotated = await fetch(`${payseal.url}/v1/keys/${key}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${payseal.adminToken}` } });
    expect(rotated.status).toBe(200);
    const v2 = await jwsFromRawSign(key, alg, 2, '{"n":2}');
    expect(await c.verifyLocally(v2)).toMatchObject({ valid: true, kid: `${key}:v2`, key_version: 2 });
  });
});

describe('payment messages on the real service', () => {
  it('sign → verifyLocally and messages.verify agree; consume twice is replayed; seal → open', async () => {
    const c = connect();
    const signed = await c.messages.sign({ key: 'payments', message: { amount: '12.50', currency: 'EUR' } });
    expect(signed).toMatchObject({ kid: expect.stringMatching(/^payments:v\d+$/), jti: expect.any(String), iat: expect.any(Number) });
    const local = await c.verifyLocally(signed.jws, { maxAgeSeconds: 60 });
    const remote = await c.messages.verify({ jws: signed.jws, max_age_seconds: 60 });
    expect(local).toEqual(remote);
    expect(local).toMatchObject({ valid: true, message: { amount: '12.50', currency: 'EUR' } });
    expect((await c.messages.verify({ jws: signed.jws, consume: true })).valid).toBe(true);
    expect(await c.messages.verify({ jws: signed.jws, consume: true })).toMatchObject({ valid: false, reason: 'replayed' });
    const { sealed } = await c.messages.seal({ sign_key: 'payments', encrypt_key: 'cards', message: { amount: '1.00' } });
    expect(sealed.split('.')).toHaveLength(5);
    expect(await c.messages.open({ sealed })).toMatchObject({ valid: true, message: { amount: '1.00' } });
  });

  it('verifyLocally leaves ES256K and DS256 messages to messages/verify, and agrees with it', async () => {
    const c = connect();
    const k1 = await c.messages.sign({ key: 'k1', message: { a: 1 } });
    await c.keys.create({ name: 'legacy', type: 'dsa-2048' });
    const dsa = await c.messages.sign({ key: 'legacy', message: { a: 2 } });
    for (const { jws } of [k1, dsa]) {
      const local = await c.verifyLocally(jws);
      expect(local.valid).toBe(true);
      expect(local).toEqual(await c.messages.verify({ jws }));
    }
  });
});
