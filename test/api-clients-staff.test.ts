/**
 * /v1/clients with the staff extensions of issue 11: an optional token lifetime (`expires_in` → `expires_at`),
 * an expired token answered 401 unauthorized with a message saying it expired (and error="invalid_token"),
 * `unknown_keys` flagging scopes whose key does not exist, rotate-token, and the last admin kept (409). Also
 * the Cache-Control of public-key answers (issue 11, "Secrets on disk").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from './support/api.ts';
import { until } from './support/poll.ts';

describe('client administration over HTTP', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ cacheRefreshMs: 200 });
    await api.call('POST', '/v1/keys', { body: { name: 'payments', type: 'ecdsa-p256' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('expires_in sets expires_at; unknown_keys flags scopes naming keys that do not exist; list shows expires_at', async () => {
    const r = await api.call('POST', '/v1/clients', { body: { name: 'checkout', scopes: ['sign:payments', 'decrypt:cards', 'verify:*'], expires_in: '12h' } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name: 'checkout', unknown_keys: ['cards'], token: expect.stringMatching(/^pst_/) });
    const hours = (Date.parse(r.json.expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThan(12.1);
    const plain = await api.call('POST', '/v1/clients', { body: { name: 'plain', scopes: ['hash'] } });
    expect(plain.json).toMatchObject({ expires_at: null, unknown_keys: [] });
    const list = await api.call('GET', '/v1/clients');
    const byName = Object.fromEntries((list.json.clients as { name: string; expires_at: string | null }[]).map((c) => [c.name, c.expires_at]));
    expect(byName.checkout).toBe(r.json.expires_at);
    expect(byName.plain).toBeNull();
    for (const expires_in of ['soon', '0d', '3651d', 12]) {
      const bad = await api.call('POST', '/v1/clients', { body: { name: 'x', scopes: ['hash'], expires_in } });
      expect(bad.status, String(expires_in)).toBe(400);
      expect(bad.json.error.code).toBe('invalid_request');
    }
  });

  it('an expired token is 401 unauthorized, invalid_token, with a message saying it expired; rotate-token issues a working one', async () => {
    const c = await api.call('POST', '/v1/clients', { body: { name: 'batch', scopes: ['hash'], expires_in: '30m' } });
    const token = c.json.token as string;
    const hash = (t: string) => api.call('POST', '/v1/hash', { token: t, body: { input: 'aGVsbG8=' } });
    expect((await hash(token)).status).toBe(200);
    await api.runtime.db.query("UPDATE clients SET expires_at = now() - interval '1 second' WHERE name = 'batch'");
    await api.runtime.db.query('UPDATE change_counter SET value = value + 1');
    await until('the expiry to be seen', async () => (await hash(token)).status === 401);
    const expired = await hash(token);
    expect(expired.json.error.code).toBe('unauthorized');
    expect(expired.json.error.message).toMatch(/^the token expired at \d{4}-\d\d-\d\dT/);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="payseal", error="invalid_token"');
    const unknown = await hash('pst_' + 'A'.repeat(43));
    expect(unknown.json.error.message).toBe('the token is not valid');

    const rotated = await api.call('POST', '/v1/clients/batch/rotate-token');
    expect(rotated.status).toBe(200);
    expect(rotated.json).toMatchObject({ name: 'batch', scopes: ['hash'], unknown_keys: [] });
    expect(Date.parse(rotated.json.expires_at)).toBeGreaterThan(Date.now());
    expect((await hash(rotated.json.token)).status).toBe(200);
    expect((await hash(token)).status).toBe(401);
    const forever = await api.call('POST', '/v1/clients/batch/rotate-token', { body: { expires_in: null } });
    expect(forever.json.expires_at).toBeNull();
    expect((await api.call('POST', '/v1/clients/ghost/rotate-token')).json.error.code).toBe('client_not_found');
  });

  it('a bad scope names no file outside the project', async () => {
    const bad = await api.call('POST', '/v1/clients', { body: { name: 'x', scopes: ['sign:Payments'] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).not.toMatch(/API\.md|\.\.\/shared/);
    expect(bad.json.error.message).toMatch(/docs\/api\.md/);
  });
  it('the last client with scope admin cannot be deleted (409 conflict); with another admin it can', async () => {
    const self = (await api.call('GET', '/v1/clients')).json.clients.find((c: { scopes: string[] }) => c.scopes.includes('admin')).name as string;
    const refused = await api.call('DELETE', `/v1/clients/${self}`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('conflict');
    expect((await api.call('GET', '/v1/clients')).status).toBe(200);
    const second = await api.call('POST', '/v1/clients', { body: { name: 'ops', scopes: ['admin'] } });
    expect((await api.call('DELETE', '/v1/clients/ops')).status).toBe(204);
    const again = await api.call('POST', '/v1/clients', { body: { name: 'ops', scopes: ['admin'] } });
    expect((await api.call('DELETE', `/v1/clients/${self}`, { token: again.json.token })).status).toBe(204);
    expect(second.status).toBe(201);
    expect((await api.call('DELETE', '/v1/clients/ops', { token: again.json.token })).status).toBe(409);
  });

});

describe('public keys carry Cache-Control (issue 11)', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
    await api.call('POST', '/v1/keys', { body: { name: 'payments', type: 'ecdsa-p256' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('the JWK Set is public for 60 s, a key\'s public halves private for 60 s; errors are not cacheable', async () => {
    const jwks = await api.call('GET', '/.well-known/jwks.json', { token: null });
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=60');
    const pub = await api.call('GET', '/v1/keys/payments/public');
    expect(pub.headers.get('cache-control')).toBe('private, max-age=60');
    const missing = await api.call('GET', '/v1/keys/ghost/public');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBeNull();
  });
});
