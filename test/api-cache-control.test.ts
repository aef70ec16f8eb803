/**
 * Cache-Control on the public-key answers (issue 11, "Secrets on disk"): the open JWK Set says
 * `public, max-age=60`, a key's public halves (keys:read) say `private, max-age=60`, so local verifiers cache
 * them for a minute; error answers carry no caching instruction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
  await api.call('POST', '/v1/keys', { body: { name: 'cc', type: 'ecdsa-p256' } });
  await api.call('POST', '/v1/keys', { body: { name: 'cc-box', type: 'aes-256-gcm' } });
});
afterAll(async () => api?.close());

describe('Cache-Control on public keys', () => {
  it('the JWK Set is public, max-age=60 (GET and HEAD)', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await request(api.url, method, '/.well-known/jwks.json');
      expect([method, res.status, res.headers.get('cache-control')]).toEqual([method, 200, 'public, max-age=60']);
    }
  });

  it("a key's public halves are private, max-age=60; errors carry no max-age", async () => {
    const res = await api.call('GET', '/v1/keys/cc/public');
    expect([res.status, res.headers.get('cache-control')]).toEqual([200, 'private, max-age=60']);
    for (const path of ['/v1/keys/nope/public', '/v1/keys/cc-box/public']) {
      const error = await api.call('GET', path);
      expect(error.status).toBeGreaterThanOrEqual(400);
      expect(error.headers.get('cache-control') ?? '').not.toMatch(/max-age/);
    }
    expect((await api.call('GET', '/v1/keys/cc/public', { token: null })).headers.get('cache-control') ?? '').not.toMatch(/max-age/);
  });
});
