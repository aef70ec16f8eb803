/**
 * Black-box: the conventions every route shares. Authentication (401 + WWW-Authenticate), unknown routes (404),
 * wrong methods (405 + Allow), JSON-only bodies (415), the 1 MiB limit (413), malformed JSON (400), the error
 * shape, request ids and security headers, the per-client rate limit (429 + Retry-After), and the probes
 * (/healthz alive, /readyz 503 when the database is gone).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, request, startApi, type ApiHarness } from './support/api.ts';
import { openTestRuntime } from './support/db.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
  await api.call('POST', '/v1/keys', { body: { name: 'in', type: 'ed25519' } });
});
afterAll(async () => api?.close());

const isErrorShape = (json: unknown, code: string) => {
  expect(json).toEqual({ error: { code, message: expect.any(String) } });
};

/** Sends raw bytes on a socket and returns the status line's code (for requests fetch will not make). */
async function rawStatus(url: string, payload: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(payload));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
  });
}

describe('authentication', () => {
  it.each([
    ['no header', {}],
    ['another scheme', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['an unknown token', { authorization: 'Bearer pst_not-a-real-token' }],
    ['an oversized token', { authorization: `Bearer ${'a'.repeat(5000)}` }],
  ])('%s → 401 unauthorized with WWW-Authenticate: Bearer', async (_label, headers) => {
    const res = await api.call('GET', '/v1/keys', { token: null, headers });
    expect(res.status).toBe(401);
    isErrorShape(res.json, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="payseal"/);
  });

  it('answers 401 before looking at the body or the route', async () => {
    const res = await api.call('POST', '/v1/keys', { token: null, raw: '{not json', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    expect((await api.call('GET', '/v1/no-such-thing', { token: null })).status).toBe(401);
  });

  it('the probes, metrics, JWKS and OpenAPI are open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/.well-known/jwks.json', '/openapi.json']) {
      expect((await request(api.url, 'GET', path)).status, path).toBe(200);
    }
  });
});

describe('routes and methods', () => {
  it('unknown routes → 404 not_found', async () => {
    for (const path of ['/', '/v1', '/v1/nothing', '/v1/keys/a/b/c/d', '/v2/keys', '/healthz/x']) {
      const res = await api.call('GET', path);
      expect(res.status, path).toBe(404);
      isErrorShape(res.json, 'not_found');
    }
  });

  it('a known path with the wrong method → 405 method_not_allowed with Allow', async () => {
    const cases: [string, string, string][] = [
      ['PUT', '/v1/keys', 'GET, HEAD, POST'],
      ['DELETE', '/v1/keys/in', 'GET, HEAD, PATCH'],
      ['GET', '/v1/keys/in/sign', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['PATCH', '/v1/clients/x', 'DELETE'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await api.call(method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      isErrorShape(res.json, 'method_not_allowed');
      expect(res.headers.get('allow')).toBe(allow);
    }
  });

  it('a malformed percent-encoding in the path → 400 invalid_request', async () => {
    const res = await api.call('GET', '/v1/keys/%E0%A4%A');
    expect(res.status).toBe(400);
    isErrorShape(res.json, 'invalid_request');
  });
});

describe('bodies', () => {
  it('non-JSON content types → 415 unsupported_media_type', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const res = await api.call('POST', '/v1/keys', { raw: 'name=x', headers: { 'content-type': type } });
      expect(res.status, type).toBe(415);
      isErrorShape(res.json, 'unsupported_media_type');
    }
    const latin1 = await api.call('POST', '/v1/keys', { raw: '{}', headers: { 'content-type': 'application/json; charset=latin1' } });
    expect(latin1.status).toBe(415);
  });

  it('a body over 1 MiB → 413 payload_too_large (declared or streamed)', async () => {
    const big = JSON.stringify({ input: 'A'.repeat(1024 * 1024) });
    const declared = await api.call('POST', '/v1/keys/in/sign', { raw: big, headers: { 'content-type': 'application/json' } });
    expect(declared.status).toBe(413);
    isErrorShape(declared.json, 'payload_too_large');
    const chunked = await rawStatus(
      api.url,
      `POST /v1/keys/in/sign HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.adminToken}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(2 * 1024 * 1024).toString(16)}\r\n${'{'.padEnd(2 * 1024 * 1024, ' ')}\r\n0\r\n\r\n`,
    );
    expect(chunked).toBe(413);
    const under = await api.call('POST', '/v1/keys/in/sign', { body: { input: b64(Buffer.alloc(700 * 1024)) } });
    expect(under.status).toBe(200);
  });

  it('malformed JSON, non-object JSON and empty bodies where one is needed → 400 invalid_request', async () => {
    for (const raw of ['{', '{"input": }', 'nul', '"string"', '[1,2]', '42', 'null', '{"a":1}x']) {
      const res = await api.call('POST', '/v1/keys/in/sign', { raw, headers: { 'content-type': 'application/json' } });
      expect(res.status, raw).toBe(400);
      isErrorShape(res.json, 'invalid_request');
    }
    const empty = await api.call('POST', '/v1/keys');
    expect(empty.status).toBe(400);
  });

  it('routes without a body accept none or {} and refuse anything else', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'in-rot', type: 'ed25519' } });
    expect((await api.call('POST', '/v1/keys/in-rot/rotate')).status).toBe(200);
    expect((await api.call('POST', '/v1/keys/in-rot/rotate', { body: {} })).status).toBe(200);
    expect((await api.call('POST', '/v1/keys/in-rot/rotate', { body: { force: true } })).status).toBe(400);
  });
});

describe('response conventions', () => {
  it('echoes a safe X-Request-Id, invents one otherwise; sets helmet headers; never x-powered-by', async () => {
    const given = await api.call('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const unsafe = await api.call('GET', '/healthz', { headers: { 'x-request-id': `a/${'b'.repeat(100)}` } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(given.headers.get('x-content-type-options')).toBe('nosniff');
    expect(given.headers.get('x-powered-by')).toBeNull();
    expect(given.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('/metrics counts requests by route pattern (never the raw path) and operations by key type', async () => {
    await api.call('POST', '/v1/keys/in/sign', { body: { input: b64('m') } });
    const text = (await request(api.url, 'GET', '/metrics')).text;
    expect(text).toMatch(/payseal_http_requests_total\{method="POST",route="\/v1\/keys\/:name\/sign",status="200"\} \d+/);
    expect(text).toMatch(/payseal_operations_total\{operation="sign",key_type="ed25519",outcome="ok"\} \d+/);
    expect(text).toContain('payseal_http_request_duration_seconds_bucket');
    expect(text).not.toContain('/v1/keys/in/sign');
  });
});

describe('rate limit', () => {
  it('answers 429 rate_limited with Retry-After once a client exhausts its bucket; other clients are unaffected', async () => {
    const limited = await startApi({ rateLimitRps: 1, rateLimitBurst: 3 });
    try {
      const other = await limited.client('other', ['keys:read']);
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<typeof limited.call>> | null = null;
      for (let i = 0; i < 6; i++) {
        const res = await limited.call('GET', '/v1/keys');
        statuses.push(res.status);
        if (res.status === 429) refused ??= res;
      }
      // 1 token for creating `other`, then the rest of a burst of 3; refills are 1/s, far slower than this loop.
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
      expect(refused).not.toBeNull();
      isErrorShape(refused!.json, 'rate_limited');
      expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await limited.call('GET', '/v1/keys', { token: other })).status).toBe(200);
      expect((await request(limited.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('probes', () => {
  it('/readyz is 503 unavailable when the database is gone, /healthz stays 200', async () => {
    const runtime = await openTestRuntime();
    const down = await startApi({}, { runtime });
    try {
      expect((await request(down.url, 'GET', '/readyz')).status).toBe(200);
      await runtime.close();
      const ready = await request(down.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      isErrorShape(ready.json, 'unavailable');
      expect((await request(down.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await down.close();
      await runtime.cleanup();
    }
  });
});
