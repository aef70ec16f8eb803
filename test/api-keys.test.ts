/**
 * Black-box: key, client and public-key routes of API.md over real HTTP against the real runtime.
 * Every status a route can answer is exercised here or in api-input / api-scopes.
 */
import { createPublicKey, createVerify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, request, startApi, type ApiHarness } from './support/api.ts';
import { eventually } from './support/poll.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

describe('keys', () => {
  it('POST /v1/keys creates version 1 and answers 201 KeyInfo', async () => {
    const res = await api.call('POST', '/v1/keys', { body: { name: 'k-create', type: 'ecdsa-p256', rotation_period: '90d' } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      name: 'k-create',
      type: 'ecdsa-p256',
      purpose: 'sign',
      latest_version: 1,
      min_version: 1,
      rotation_period: '90d',
      versions: [{ version: 1, state: 'active' }],
    });
    expect(typeof res.json.next_rotation_at).toBe('string');
    expect(typeof res.json.created_at).toBe('string');
  });

  it('POST /v1/keys: 409 key_exists, 400 unsupported_algorithm, 400 invalid_request', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'k-dup', type: 'ed25519' } });
    const dup = await api.call('POST', '/v1/keys', { body: { name: 'k-dup', type: 'ed25519' } });
    expect([dup.status, dup.json.error.code]).toEqual([409, 'key_exists']);
    const badType = await api.call('POST', '/v1/keys', { body: { name: 'k-bad-type', type: 'rsa-1024' } });
    expect([badType.status, badType.json.error.code]).toEqual([400, 'unsupported_algorithm']);
    for (const body of [{ name: 'Upper', type: 'ed25519' }, { name: 'x'.repeat(65), type: 'ed25519' }, { type: 'ed25519' }, { name: 'k-period', type: 'ed25519', rotation_period: 'soon' }, { name: 'k-extra', type: 'ed25519', extra: 1 }]) {
      const res = await api.call('POST', '/v1/keys', { body });
      expect([res.status, res.json.error.code], JSON.stringify(body)).toEqual([400, 'invalid_request']);
    }
    const list = await api.call('GET', '/v1/keys');
    expect(list.json.keys.map((k: { name: string }) => k.name)).not.toContain('k-period');
  });

  it('GET /v1/keys lists keys; GET /v1/keys/{name} reads one; 404 key_not_found', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'k-read', type: 'aes-128-gcm' } });
    const list = await api.call('GET', '/v1/keys');
    expect(list.status).toBe(200);
    expect(list.json.keys.find((k: { name: string }) => k.name === 'k-read')).toMatchObject({ type: 'aes-128-gcm', purpose: 'encrypt' });
    const one = await api.call('GET', '/v1/keys/k-read');
    expect([one.status, one.json.name]).toEqual([200, 'k-read']);
    const missing = await api.call('GET', '/v1/keys/k-missing');
    expect([missing.status, missing.json.error.code]).toEqual([404, 'key_not_found']);
  });

  it('rotate adds a version; PATCH raises min_version only, never above latest', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'k-rot', type: 'ed25519' } });
    const rotated = await api.call('POST', '/v1/keys/k-rot/rotate');
    expect([rotated.status, rotated.json.latest_version]).toEqual([200, 2]);
    expect(rotated.json.versions.map((v: { state: string }) => v.state)).toEqual(['retired', 'active']);
    const raised = await api.call('PATCH', '/v1/keys/k-rot', { body: { min_version: 2, rotation_period: '12h' } });
    expect(raised.status).toBe(200);
    expect(raised.json).toMatchObject({ min_version: 2, rotation_period: '12h' });
    const lower = await api.call('PATCH', '/v1/keys/k-rot', { body: { min_version: 1 } });
    expect([lower.status, lower.json.error.code]).toEqual([400, 'invalid_request']);
    const above = await api.call('PATCH', '/v1/keys/k-rot', { body: { min_version: 3 } });
    expect([above.status, above.json.error.code]).toEqual([400, 'invalid_request']);
    const cleared = await api.call('PATCH', '/v1/keys/k-rot', { body: { rotation_period: null } });
    expect(cleared.json).toMatchObject({ rotation_period: null, next_rotation_at: null, min_version: 2 });
    expect((await api.call('POST', '/v1/keys/k-missing/rotate')).status).toBe(404);
    expect((await api.call('PATCH', '/v1/keys/k-missing', { body: {} })).status).toBe(404);
  });

  it('revoke and destroy: 409 conflict for the newest version, 404 for a missing one, 400 for a bad number', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'k-life', type: 'ecdsa-p256' } });
    const newest = await api.call('POST', '/v1/keys/k-life/versions/1/revoke');
    expect([newest.status, newest.json.error.code]).toEqual([409, 'conflict']);
    const newestDestroy = await api.call('POST', '/v1/keys/k-life/versions/1/destroy');
    expect([newestDestroy.status, newestDestroy.json.error.code]).toEqual([409, 'conflict']);
    await api.call('POST', '/v1/keys/k-life/rotate');
    await api.call('POST', '/v1/keys/k-life/rotate');
    const revoked = await api.call('POST', '/v1/keys/k-life/versions/1/revoke');
    expect(revoked.status).toBe(200);
    expect(revoked.json.versions[0]).toMatchObject({ version: 1, state: 'revoked' });
    const destroyed = await api.call('POST', '/v1/keys/k-life/versions/2/destroy');
    expect(destroyed.status).toBe(200);
    expect(destroyed.json.versions[1]).toMatchObject({ version: 2, state: 'destroyed' });
    const missing = await api.call('POST', '/v1/keys/k-life/versions/9/revoke');
    expect([missing.status, missing.json.error.code]).toEqual([404, 'key_version_not_found']);
    for (const v of ['0', '-1', '01', 'x', '99999999999']) {
      const bad = await api.call('POST', `/v1/keys/k-life/versions/${v}/destroy`);
      expect([bad.status, bad.json.error.code], v).toEqual([400, 'invalid_request']);
    }
    expect((await api.call('POST', '/v1/keys/k-nope/versions/1/revoke')).status).toBe(404);
  });
});

describe('public keys and JWKS', () => {
  it('GET /v1/keys/{name}/public gives PEM and JWK per version; a signature verifies with the PEM', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'k-pub', type: 'ecdsa-p256' } });
    const sig = await api.call('POST', '/v1/keys/k-pub/sign', { body: { input: b64('pub check') } });
    const pub = await api.call('GET', '/v1/keys/k-pub/public');
    expect(pub.status).toBe(200);
    expect(pub.json).toMatchObject({ name: 'k-pub', type: 'ecdsa-p256' });
    const v1 = pub.json.versions[0];
    expect(v1).toMatchObject({ version: 1, state: 'active', jwk: { kid: 'k-pub:v1', alg: 'ES256', kty: 'EC', crv: 'P-256' } });
    expect(v1.jwk.d).toBeUndefined();
    const raw = Buffer.from(sig.json.signature.split(':')[2], 'base64');
    expect(createVerify('sha256').update('pub check').verify(createPublicKey(v1.public_key_pem), raw)).toBe(true);
    expect((await api.call('GET', '/v1/keys/k-none/public')).status).toBe(404);
  });

  it('DSA versions have no jwk; /.well-known/jwks.json is open and lists non-revoked asymmetric versions', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'k-dsa', type: 'dsa-2048' } });
    const dsa = await api.call('GET', '/v1/keys/k-dsa/public');
    expect(dsa.json.versions[0].jwk).toBeUndefined();
    expect(dsa.json.versions[0].public_key_pem).toContain('BEGIN PUBLIC KEY');
    await api.call('POST', '/v1/keys', { body: { name: 'k-jwks', type: 'ed25519' } });
    await api.call('POST', '/v1/keys/k-jwks/rotate');
    await api.call('POST', '/v1/keys/k-jwks/versions/1/revoke');
    const jwks = await request(api.url, 'GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const kids = jwks.json.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toContain('k-jwks:v2');
    expect(kids).not.toContain('k-jwks:v1');
    expect(kids.some((k: string) => k.startsWith('k-dsa:'))).toBe(false);
    expect(jwks.json.keys.every((k: Record<string, unknown>) => k.d === undefined && k.k === undefined)).toBe(true);
  });
});

describe('clients', () => {
  it('POST creates (201, token once), GET lists without tokens, DELETE removes (204) and the token stops at once', async () => {
    const created = await api.call('POST', '/v1/clients', { body: { name: 'c-life', scopes: ['keys:read', 'sign:*'] } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'c-life', scopes: ['keys:read', 'sign:*'] });
    const token = created.json.token as string;
    expect(typeof token).toBe('string');
    const list = await api.call('GET', '/v1/clients');
    expect(list.status).toBe(200);
    const entry = list.json.clients.find((c: { name: string }) => c.name === 'c-life');
    expect(Object.keys(entry).sort()).toEqual(['created_at', 'name', 'scopes']);
    expect(list.text).not.toContain(token);
    expect((await api.call('GET', '/v1/keys', { token })).status).toBe(200);
    const dup = await api.call('POST', '/v1/clients', { body: { name: 'c-life', scopes: ['hash'] } });
    expect([dup.status, dup.json.error.code]).toEqual([409, 'client_exists']);
    const removed = await api.call('DELETE', '/v1/clients/c-life');
    expect([removed.status, removed.text]).toEqual([204, '']);
    expect(await eventually(1000, async () => (await api.call('GET', '/v1/keys', { token })).status === 401, 0)).toBe(true);
    const again = await api.call('DELETE', '/v1/clients/c-life');
    expect([again.status, again.json.error.code]).toEqual([404, 'client_not_found']);
  });

  it('rejects bad client bodies with 400 invalid_request', async () => {
    for (const body of [{ name: 'c-x', scopes: [] }, { name: 'c-x', scopes: ['sign'] }, { name: 'c-x', scopes: ['everything'] }, { name: 'C X', scopes: ['hash'] }, { scopes: ['hash'] }, { name: 'c-x', scopes: 'hash' }]) {
      const res = await api.call('POST', '/v1/clients', { body });
      expect([res.status, res.json.error.code], JSON.stringify(body)).toEqual([400, 'invalid_request']);
    }
  });
});
