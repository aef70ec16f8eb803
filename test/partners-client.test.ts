/**
 * The client's RFC 9421 helpers against a real payseal: a service signs an outgoing request with
 * `signOutgoingRequest` (the key stays in payseal), sends it with fetch to a real express app whose
 * `httpSignatureMiddleware` verifies it through payseal against the key configured for the route; a request
 * changed on the way (body, a covered header, the path) is 401 `invalid_http_signature`; a signature covering
 * content-digest reaching a route without the raw body is reported as a setup fault, not accepted.
 * Needs a store (PGlite, or PostgreSQL with DATABASE_URL).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaysealClient, httpSignatureMiddleware, signOutgoingRequest, type HttpSignatureRequest } from '../src/client/index.ts';
import { startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
let sender: PaysealClient;
let receiver: PaysealClient;
let server: Server;
let url = '';

beforeAll(async () => {
  api = await startApi();
  await api.call('POST', '/v1/keys', { body: { name: 'merchant-callbacks', type: 'ecdsa-p256' } });
  sender = new PaysealClient({ baseUrl: api.url, token: await api.client('sender', ['sign:merchant-callbacks']) });
  receiver = new PaysealClient({ baseUrl: api.url, token: await api.client('receiver', ['verify:merchant-callbacks']) });
  const app = express();
  const check = httpSignatureMiddleware(receiver, { key: 'merchant-callbacks', publicUrl: 'https://merchant.example', policy: { required_components: ['@method', '@target-uri', 'content-digest'], max_age_seconds: 60 } });
  app.post('/callbacks', express.raw({ type: () => true }), check, (req, res) => {
    const r = req as unknown as HttpSignatureRequest;
    res.json({ ok: true, keyid: r.httpSignature?.keyid, digest: r.httpSignature?.content_digest });
  });
  app.post('/parsed', express.json(), check, (_req, res) => res.json({ ok: true }));
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.status(500).json({ setup_fault: err.message }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await api?.close();
});

const body = '{"order": "o-77", "status": "captured"}';
const headers = { 'content-type': 'application/json' };

async function signedFor(path: string) {
  return signOutgoingRequest(sender, 'merchant-callbacks', { method: 'post', url: `https://merchant.example${path}`, headers, body });
}

describe('signOutgoingRequest → httpSignatureMiddleware', () => {
  it('a signed request is accepted and its verification is on req.httpSignature', async () => {
    const extra = await signedFor('/callbacks');
    expect(Object.keys(extra).sort()).toEqual(['content-digest', 'signature', 'signature-input']);
    const res = await fetch(`${url}/callbacks`, { method: 'POST', headers: { ...headers, ...extra }, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, keyid: 'merchant-callbacks:v1', digest: 'valid' });
  });

  it('changed on the way: the body, a covered header, the path → 401 invalid_http_signature', async () => {
    const extra = await signedFor('/callbacks');
    const attempts = [
      { path: '/callbacks', headers: { ...headers, ...extra }, body: body.replace('captured', 'refunded'), reason: 'digest_mismatch' },
      { path: '/callbacks', headers: { 'content-type': 'text/plain', ...extra }, body, reason: 'bad_signature' },
      { path: '/callbacks?x=1', headers: { ...headers, ...extra }, body, reason: 'bad_signature' },
      { path: '/callbacks', headers, body, reason: 'malformed' },
    ];
    for (const a of attempts) {
      const res = await fetch(`${url}${a.path}`, { method: 'POST', headers: a.headers, body: a.body });
      expect(res.status, a.reason).toBe(401);
      expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'invalid_http_signature', reason: a.reason });
    }
  });

  it('a route that parsed the body cannot check content-digest: a setup fault, never an acceptance', async () => {
    const extra = await signedFor('/parsed');
    const res = await fetch(`${url}/parsed`, { method: 'POST', headers: { ...headers, ...extra }, body });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { setup_fault: string }).setup_fault).toMatch(/raw body/);
  });
});
