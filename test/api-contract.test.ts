/**
 * Black-box: the route × status pairs of API.md that the other api-* suites (input, keys, operations, scopes)
 * leave out, against the running server, so that together they exercise every route × status of the contract.
 * - every /v1 route answers 401 without a token or with an unknown one, before anything else;
 * - 404 key_not_found and 400 key_type_mismatch / invalid_request on every key route that can give them;
 * - min_version: a version below it verifies as `below_min_version` and cannot decrypt; rewrap first, then raise;
 * - the JWK Set holds exactly the non-revoked versions of every JWK-expressible key (kid name:vN, alg per
 *   API.md's table, no DSA, no AES, no private members), and each JWK verifies its version's signatures locally;
 * - two app instances (replicas) on one store: a client deleted on one is refused by the other, and a version
 *   revoked on one stops verifying on the other, each within a generous deadline (polled, no timing asserts);
 * - the database stopped under a running server: /readyz and /v1 routes that need it answer 503 `unavailable`
 *   with the error shape, nothing answers another 5xx, nothing crashes, /healthz and /metrics keep answering.
 */
import { createPublicKey, verify as cryptoVerify, constants } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../src/api/app.ts';
import { KEY_TYPES } from '../src/crypto/index.ts';
import type { Runtime } from '../src/runtime/types.ts';
import { b64, request, startApi, type ApiHarness, type CallResult } from './support/api.ts';
import { createTestStore, openTestRuntime, testBackends, type TestStore } from './support/db.ts';
import { eventually } from './support/poll.ts';

const input = b64('pay 100 EUR to alice');

function expectError(res: CallResult, status: number, code: string): void {
  expect([res.status, res.json], res.text).toEqual([status, { error: { code, message: expect.any(String) } }]);
}

/** A concrete path for a route pattern (`:name` → a key name, `:version` → 1). */
const concrete = (path: string) => path.replace(':version', '1').replace(/:[a-z]+/g, 'ct-ed');

describe('on one server', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
    for (const [name, type] of [['ct-ed', 'ed25519'], ['ct-box', 'aes-256-gcm'], ['ct-min', 'ecdsa-p256'], ['ct-minbox', 'aes-128-gcm']]) {
      const res = await api.call('POST', '/v1/keys', { body: { name, type } });
      if (res.status !== 201) throw new Error(res.text);
    }
  });
  afterAll(async () => api?.close());

  it('every authenticated route answers 401 unauthorized without a token and with an unknown one', async () => {
    const routes = ROUTES.filter((r) => !r.open);
    expect(routes.length).toBeGreaterThanOrEqual(17);
    for (const route of routes) {
      const path = concrete(route.path);
      for (const token of [null, 'pst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
        const res = await api.call(route.method.toUpperCase(), path, { token, body: route.method === 'get' || route.method === 'delete' ? undefined : {} });
        expectError(res, 401, 'unauthorized');
        expect(res.headers.get('www-authenticate'), `${route.method} ${path}`).toMatch(/^Bearer /);
      }
    }
  });

  it('404 key_not_found on every key route, for a well-formed name that does not exist', async () => {
    const cases: [string, string, unknown][] = [
      ['GET', '/v1/keys/ghost', undefined],
      ['PATCH', '/v1/keys/ghost', { min_version: 1 }],
      ['POST', '/v1/keys/ghost/rotate', undefined],
      ['POST', '/v1/keys/ghost/versions/1/revoke', undefined],
      ['POST', '/v1/keys/ghost/versions/1/destroy', undefined],
      ['GET', '/v1/keys/ghost/public', undefined],
      ['POST', '/v1/keys/ghost/sign', { input }],
      ['POST', '/v1/keys/ghost/verify', { input, signature: 'payseal:v1:AAAA' }],
      ['POST', '/v1/keys/ghost/encrypt', { plaintext: input }],
      ['POST', '/v1/keys/ghost/decrypt', { ciphertext: 'payseal:v1:AAAA' }],
      ['POST', '/v1/keys/ghost/rewrap', { ciphertext: 'payseal:v1:AAAA' }],
    ];
    for (const [method, path, body] of cases) expectError(await api.call(method, path, { body }), 404, 'key_not_found');
  });

  it('400 invalid_request for a key or client name that breaks API.md\'s pattern in the path', async () => {
    for (const [method, path] of [['GET', '/v1/keys/Upper'], ['POST', '/v1/keys/-dash/rotate'], ['GET', `/v1/keys/${'x'.repeat(65)}/public`], ['DELETE', '/v1/clients/Bad%20Name']]) {
      expectError(await api.call(method!, path!), 400, 'invalid_request');
    }
  });

  it('400 key_type_mismatch: public keys of an AES key, encrypt/decrypt/rewrap with a signing key, sign/verify with an AES key', async () => {
    expectError(await api.call('GET', '/v1/keys/ct-box/public'), 400, 'key_type_mismatch');
    expectError(await api.call('POST', '/v1/keys/ct-ed/encrypt', { body: { plaintext: input } }), 400, 'key_type_mismatch');
    expectError(await api.call('POST', '/v1/keys/ct-ed/decrypt', { body: { ciphertext: 'payseal:v1:AAAA' } }), 400, 'key_type_mismatch');
    expectError(await api.call('POST', '/v1/keys/ct-ed/rewrap', { body: { ciphertext: 'payseal:v1:AAAA' } }), 400, 'key_type_mismatch');
    expectError(await api.call('POST', '/v1/keys/ct-box/sign', { body: { batch_input: [{ input }] } }), 400, 'key_type_mismatch');
    expectError(await api.call('POST', '/v1/keys/ct-box/verify', { body: { input, signature: 'payseal:v1:AAAA' } }), 400, 'key_type_mismatch');
  });

  it('PATCH min_version: only whole numbers from 1 that rise and stay ≤ latest_version (400 invalid_request otherwise)', async () => {
    for (const min_version of [0, -1, 1.5, '2', null]) {
      expectError(await api.call('PATCH', '/v1/keys/ct-ed', { body: { min_version } }), 400, 'invalid_request');
    }
    expectError(await api.call('PATCH', '/v1/keys/ct-ed', { body: { min_version: 2 } }), 400, 'invalid_request');
    const same = await api.call('PATCH', '/v1/keys/ct-ed', { body: { min_version: 1 } });
    expect([same.status, same.json.min_version]).toEqual([200, 1]);
  });

  it('below min_version: verify answers valid:false below_min_version, decrypt 400 decryption_failed; rewrap moves data forward first', async () => {
    const oldSig = (await api.call('POST', '/v1/keys/ct-min/sign', { body: { input } })).json.signature as string;
    const oldCt = (await api.call('POST', '/v1/keys/ct-minbox/encrypt', { body: { plaintext: input, aad: b64('row-1') } })).json.ciphertext as string;
    await api.call('POST', '/v1/keys/ct-min/rotate');
    await api.call('POST', '/v1/keys/ct-minbox/rotate');
    // Rewrap before raising min_version: the Vault-transit way to retire a version without losing data.
    const moved = await api.call('POST', '/v1/keys/ct-minbox/rewrap', { body: { ciphertext: oldCt, aad: b64('row-1') } });
    expect([moved.status, moved.json.key_version]).toEqual([200, 2]);
    for (const name of ['ct-min', 'ct-minbox']) {
      const raised = await api.call('PATCH', `/v1/keys/${name}`, { body: { min_version: 2 } });
      expect([raised.status, raised.json.min_version, raised.json.versions[0].state]).toEqual([200, 2, 'retired']);
    }
    const verified = await api.call('POST', '/v1/keys/ct-min/verify', { body: { input, signature: oldSig } });
    expect([verified.status, verified.json]).toEqual([200, { valid: false, key_version: 1, reason: 'below_min_version' }]);
    expectError(await api.call('POST', '/v1/keys/ct-minbox/decrypt', { body: { ciphertext: oldCt, aad: b64('row-1') } }), 400, 'decryption_failed');
    expectError(await api.call('POST', '/v1/keys/ct-minbox/rewrap', { body: { ciphertext: oldCt, aad: b64('row-1') } }), 400, 'decryption_failed');
    const fresh = await api.call('POST', '/v1/keys/ct-minbox/decrypt', { body: { ciphertext: moved.json.ciphertext, aad: b64('row-1') } });
    expect([fresh.status, fresh.json]).toEqual([200, { plaintext: input, key_version: 2 }]);
    // The newest version still signs and verifies.
    const now = (await api.call('POST', '/v1/keys/ct-min/sign', { body: { input } })).json.signature as string;
    expect((await api.call('POST', '/v1/keys/ct-min/verify', { body: { input, signature: now } })).json).toEqual({ valid: true, key_version: 2 });
  });

  it('revoke and destroy answer 409 conflict for the newest version even after older ones changed', async () => {
    await api.call('POST', '/v1/keys/ct-ed/rotate');
    expect((await api.call('POST', '/v1/keys/ct-ed/versions/1/destroy')).status).toBe(200);
    expectError(await api.call('POST', '/v1/keys/ct-ed/versions/2/revoke'), 409, 'conflict');
    expectError(await api.call('POST', '/v1/keys/ct-ed/versions/2/destroy'), 409, 'conflict');
    expectError(await api.call('POST', '/v1/keys/ct-ed/versions/3/revoke'), 404, 'key_version_not_found');
  });
});

describe('JWKS and public keys', () => {
  let api: ApiHarness;
  const ALG: Record<string, string> = {
    'rsa-2048': 'PS256', 'rsa-3072': 'PS256', 'rsa-4096': 'PS256', 'ecdsa-p256': 'ES256', 'ecdsa-p384': 'ES384',
    'ecdsa-p521': 'ES512', 'ecdsa-secp256k1': 'ES256K', ed25519: 'EdDSA',
  };
  /** Three versions per key: v1 revoked, v2 destroyed, v3 active; a signature from each, made before the change. */
  const signatures = new Map<string, string>();
  const types = KEY_TYPES.filter((t) => t !== 'dsa-3072');

  beforeAll(async () => {
    api = await startApi();
    await Promise.all(types.map((type) => api.call('POST', '/v1/keys', { body: { name: `j-${type}`, type } })));
    for (const type of types.filter((t) => !t.startsWith('aes-'))) {
      const name = `j-${type}`;
      for (let v = 1; v <= 3; v++) {
        if (v > 1) await api.call('POST', `/v1/keys/${name}/rotate`);
        const sig = await api.call('POST', `/v1/keys/${name}/sign`, { body: { input } });
        signatures.set(`${name}:v${v}`, sig.json.signature);
      }
      expect((await api.call('POST', `/v1/keys/${name}/versions/1/revoke`)).status).toBe(200);
      expect((await api.call('POST', `/v1/keys/${name}/versions/2/destroy`)).status).toBe(200);
    }
  }, 120_000);
  afterAll(async () => api?.close());

  it('holds exactly every non-revoked version of every JWK-expressible key, with kid name:vN and API.md\'s alg', async () => {
    const jwks = await request(api.url, 'GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const keys = jwks.json.keys as Record<string, unknown>[];
    const expected = Object.keys(ALG).flatMap((type) => [`j-${type}:v2`, `j-${type}:v3`]).sort();
    expect(keys.map((k) => k.kid).sort()).toEqual(expected);
    for (const jwk of keys) {
      const type = (jwk.kid as string).slice(2).split(':')[0]!;
      expect(jwk.alg, String(jwk.kid)).toBe(ALG[type]);
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(jwk[member], `${jwk.kid} ${member}`).toBeUndefined();
    }
  });

  it('each JWK verifies its version\'s signature with node:crypto alone (local verification)', async () => {
    const keys = (await request(api.url, 'GET', '/.well-known/jwks.json')).json.keys as ({ kid: string; alg: string } & Record<string, unknown>)[];
    const message = Buffer.from(input, 'base64');
    for (const jwk of keys) {
      const [, v, raw] = signatures.get(jwk.kid)!.split(':');
      expect(`v${jwk.kid.split(':v')[1]}`).toBe(v);
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      const signature = Buffer.from(raw!, 'base64');
      const ok = jwk.alg === 'EdDSA'
        ? cryptoVerify(null, message, key, signature)
        : jwk.alg === 'PS256'
          ? cryptoVerify('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
          : cryptoVerify(`sha${jwk.alg.slice(2, 5)}`, message, key, signature);
      expect(ok, jwk.kid).toBe(true);
    }
  });

  it('/v1/keys/{name}/public lists every version with its state; DSA versions have a PEM and no jwk', async () => {
    const ec = await api.call('GET', '/v1/keys/j-ecdsa-p256/public');
    expect(ec.json.versions.map((v: { version: number; state: string; jwk?: { kid: string } }) => [v.version, v.state, v.jwk?.kid])).toEqual([
      [1, 'revoked', 'j-ecdsa-p256:v1'],
      [2, 'destroyed', 'j-ecdsa-p256:v2'],
      [3, 'active', 'j-ecdsa-p256:v3'],
    ]);
    const dsa = await api.call('GET', '/v1/keys/j-dsa-2048/public');
    expect(dsa.status).toBe(200);
    expect(dsa.json.versions).toHaveLength(3);
    for (const v of dsa.json.versions) {
      expect(v.jwk).toBeUndefined();
      expect(v.public_key_pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    }
  });

  it('a destroyed signing version still verifies; a revoked one answers valid:false key_version_revoked', async () => {
    for (const type of ['ecdsa-p256', 'dsa-2048', 'rsa-2048']) {
      const name = `j-${type}`;
      const destroyed = await api.call('POST', `/v1/keys/${name}/verify`, { body: { input, signature: signatures.get(`${name}:v2`) } });
      expect([destroyed.status, destroyed.json], type).toEqual([200, { valid: true, key_version: 2 }]);
      const revoked = await api.call('POST', `/v1/keys/${name}/verify`, { body: { input, signature: signatures.get(`${name}:v1`) } });
      expect([revoked.status, revoked.json], type).toEqual([200, { valid: false, key_version: 1, reason: 'key_version_revoked' }]);
    }
  });

  it('a destroyed AES version cannot decrypt: 400 decryption_failed, batch item too', async () => {
    const ct = (await api.call('POST', '/v1/keys/j-aes-128-gcm/encrypt', { body: { plaintext: input } })).json.ciphertext as string;
    await api.call('POST', '/v1/keys/j-aes-128-gcm/rotate');
    expect((await api.call('POST', '/v1/keys/j-aes-128-gcm/versions/1/destroy')).status).toBe(200);
    expectError(await api.call('POST', '/v1/keys/j-aes-128-gcm/decrypt', { body: { ciphertext: ct } }), 400, 'decryption_failed');
    const batch = await api.call('POST', '/v1/keys/j-aes-128-gcm/decrypt', { body: { batch_input: [{ ciphertext: ct }] } });
    expect(batch.json.batch_results).toEqual([{ error: { code: 'decryption_failed', message: expect.any(String) } }]);
  });
});

describe.each(testBackends())('two replicas on one %s store', (backend) => {
  let store: TestStore;
  let a: ApiHarness;
  let b: ApiHarness;
  beforeAll(async () => {
    store = await createTestStore({ backend, cacheRefreshMs: 500 });
    // Embedded: the first runtime owns the data dir and serves it on its socket, the second reaches it there.
    const ra: Runtime = await store.open({ role: 'service' });
    const rb: Runtime = await store.open({ role: 'cli' });
    a = await startApi({}, { runtime: ra });
    b = await startApi({}, { runtime: rb });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await store?.cleanup();
  });

  it('DELETE /v1/clients/{name} on one replica: the other refuses the token (401) within the deadline', async () => {
    const created = await a.call('POST', '/v1/clients', { body: { name: 'replica-client', scopes: ['keys:read'] } });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    expect(await eventually(3000, async () => (await b.call('GET', '/v1/keys', { token })).status === 200)).toBe(true);
    expect((await a.call('DELETE', '/v1/clients/replica-client')).status).toBe(204);
    expect(await eventually(3000, async () => (await b.call('GET', '/v1/keys', { token })).status === 401)).toBe(true);
    expectError(await b.call('GET', '/v1/keys', { token }), 401, 'unauthorized');
    expectError(await a.call('GET', '/v1/keys', { token }), 401, 'unauthorized');
  });

  it('a version revoked on one replica stops verifying on the other within the deadline', async () => {
    expect((await a.call('POST', '/v1/keys', { body: { name: 'replica-key', type: 'ecdsa-p256' } })).status).toBe(201);
    const sig = (await a.call('POST', '/v1/keys/replica-key/sign', { body: { input } })).json.signature as string;
    const verifyOnB = () => b.call('POST', '/v1/keys/replica-key/verify', { body: { input, signature: sig } });
    expect(await eventually(3000, async () => (await verifyOnB()).json?.valid === true)).toBe(true);
    await a.call('POST', '/v1/keys/replica-key/rotate');
    expect((await a.call('POST', '/v1/keys/replica-key/versions/1/revoke')).status).toBe(200);
    expect(await eventually(3000, async () => (await verifyOnB()).json?.reason === 'key_version_revoked')).toBe(true);
    expect((await verifyOnB()).json).toEqual({ valid: false, key_version: 1, reason: 'key_version_revoked' });
    // And the new version signs on B without any restart.
    const onB = await b.call('POST', '/v1/keys/replica-key/sign', { body: { input } });
    expect([onB.status, onB.json.key_version]).toEqual([200, 2]);
  });
});

async function withStoppedDatabase(backend: 'embedded' | 'postgres', body: (api: ApiHarness, signature: string) => Promise<void>): Promise<void> {
  const runtime = await openTestRuntime({ backend });
  const api = await startApi({}, { runtime });
  try {
    expect((await api.call('POST', '/v1/keys', { body: { name: 'down', type: 'ed25519' } })).status).toBe(201);
    const sig = (await api.call('POST', '/v1/keys/down/sign', { body: { input } })).json.signature as string;
    await runtime.close();
    await body(api, sig);
  } finally {
    await api.close();
    await runtime.cleanup();
  }
}

describe.each(testBackends())('the %s database stopped under a running server', (backend) => {
  it('nothing crashes: /readyz 503 unavailable, /healthz and /metrics answer, every answer has the error shape, a real signature still verifies from the cache', async () => {
    await withStoppedDatabase(backend, async (api, sig) => {
      expectError(await request(api.url, 'GET', '/readyz'), 503, 'unavailable');
      const answers = [
        await api.call('GET', '/v1/keys'),
        await api.call('POST', '/v1/keys', { body: { name: 'down-2', type: 'ed25519' } }),
        await api.call('POST', '/v1/keys/down/rotate'),
        await api.call('POST', '/v1/clients', { body: { name: 'down-client', scopes: ['hash'] } }),
        await api.call('POST', '/v1/keys/down/sign', { body: { input } }),
        await api.call('GET', '/v1/keys/down'),
        await api.call('GET', '/v1/clients'),
        await request(api.url, 'GET', '/.well-known/jwks.json'),
      ];
      for (const res of answers) {
        if (res.status >= 400) expect(res.json, res.text).toEqual({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
        expect(res.text).not.toMatch(/PRIVATE KEY|PGlite|pg_|stack/i);
      }
      const verified = await api.call('POST', '/v1/keys/down/verify', { body: { input, signature: sig } });
      expect([verified.status, verified.json]).toEqual([200, { valid: true, key_version: 1 }]);
      expect((await request(api.url, 'GET', '/healthz')).json).toEqual({ status: 'ok' });
      expect((await request(api.url, 'GET', '/metrics')).text).toMatch(/payseal_http_requests_total\{method="GET",route="\/readyz",status="503"\} [1-9]/);
    });
  });

  it(
    '/v1 routes that need the database answer 503 unavailable, never 500; the outage is logged as such',
    async () => {
      await withStoppedDatabase(backend, async (api) => {
        expectError(await api.call('GET', '/v1/keys'), 503, 'unavailable');
        expectError(await api.call('POST', '/v1/keys', { body: { name: 'down-2', type: 'ed25519' } }), 503, 'unavailable');
        expectError(await api.call('POST', '/v1/keys/down/rotate'), 503, 'unavailable');
        expectError(await api.call('POST', '/v1/clients', { body: { name: 'down-client', scopes: ['hash'] } }), 503, 'unavailable');
        // Signing needs its ledger entry written: never from the key cache alone (docs/api.md "Audit").
        expectError(await api.call('POST', '/v1/keys/down/sign', { body: { input } }), 503, 'unavailable');
        // Routes served from the in-memory caches may still answer 200; otherwise 503, never another 5xx.
        for (const res of [
          await api.call('GET', '/v1/keys/down'),
          await api.call('GET', '/v1/clients'),
          await request(api.url, 'GET', '/.well-known/jwks.json'),
          await api.call('POST', '/v1/hash', { body: { input } }),
        ]) {
          expect([200, 503], res.text).toContain(res.status);
          if (res.status === 503) expectError(res, 503, 'unavailable');
        }
        expect(api.logs.filter((line) => line.includes('unexpected error'))).toEqual([]);
        expect(api.logs.some((line) => line.includes('dependency unavailable'))).toBe(true);
      });
    },
  );
});
