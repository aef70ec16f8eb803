/**
 * paysealMiddleware in a real express app, verifying through a local HTTP stand-in of payseal
 * (test/client-standin.ts): attached JWS as the body or a JSON member, detached JWS (RFC 7797, b64 false, the
 * UK Open Banking `x-jws-signature` header) over the raw body bytes, replays refused with consume, the 401
 * shape, 503 while payseal is unavailable, and a missing raw-body parser reported as a setup fault.
 */
import { KeyObject, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { CompactSign, FlattenedSign, generateKeyPair, type GenerateKeyPairResult } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PaysealClient, paysealMiddleware, type PaysealMiddlewareOptions, type PaysealRequest } from '../src/client/index.ts';
import { startStandIn, type StandIn } from './support/client-standin.ts';

const VERIFY = '/v1/messages/verify';
let payseal: StandIn;
let app: { server: Server; url: string };
let es256: GenerateKeyPairResult;
let ps256: GenerateKeyPairResult;
const now = () => Math.floor(Date.now() / 1000);
const jti = () => randomBytes(16).toString('base64url');

async function attached(message: unknown, kid = 'gateway:v1'): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(message))).setProtectedHeader({ alg: 'ES256', kid, iat: now(), jti: jti() } as never).sign(es256.privateKey);
}

/** RFC 7797 detached JWS with b64 false, as UK Open Banking sends it in x-jws-signature: `<header>..<signature>`. */
async function detached(body: string): Promise<string> {
  const jws = await new FlattenedSign(new TextEncoder().encode(body))
    .setProtectedHeader({ alg: 'PS256', kid: 'partner:v1', b64: false, crit: ['b64'], iat: now(), jti: jti() } as never)
    .sign(ps256.privateKey);
  return `${jws.protected}..${jws.signature}`;
}

function mount(target: express.Express, path: string, parser: express.RequestHandler, options: PaysealMiddlewareOptions, retries = 0): void {
  const client = new PaysealClient({ baseUrl: payseal.url, token: payseal.token, retries, backoff: { baseDelayMs: 1 } });
  target.post(path, parser, paysealMiddleware(client, options), (req, res) => {
    const verified = (req as PaysealRequest).payseal!;
    res.json({ ...verified, body: verified.body?.toString('base64') });
  });
}

const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
  const res = await fetch(app.url + path, { method: 'POST', body, headers });
  return { status: res.status, json: (await res.json()) as any, retryAfter: res.headers.get('retry-after') }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

beforeAll(async () => {
  payseal = await startStandIn();
  es256 = await generateKeyPair('ES256');
  ps256 = await generateKeyPair('PS256');
  payseal.trust('gateway:v1', 'ES256', KeyObject.from(es256.publicKey));
  payseal.trust('partner:v1', 'PS256', KeyObject.from(ps256.publicKey));
  const target = express();
  mount(target, '/attached/text', express.text({ type: () => true }), {});
  mount(target, '/attached/json', express.json(), { field: 'payment_jws', maxAgeSeconds: 300 });
  mount(target, '/detached', express.raw({ type: () => true }), { mode: 'detached' });
  mount(target, '/detached/misconfigured', express.json(), { mode: 'detached' });
  const server = target.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  app = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});
afterAll(async () => {
  app?.server.closeAllConnections();
  await new Promise((resolve) => app?.server.close(resolve));
  await payseal?.close();
});
beforeEach(() => {
  payseal.requests.length = 0;
});

describe('attached', () => {
  it('the JWS as the body: verified with consume, the message on req.payseal; the same JWS again is 401 replayed', async () => {
    const jws = await attached({ amount: '10.00', to: 'alice' });
    const ok = await post('/attached/text', jws, { 'content-type': 'application/jose' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ message: { amount: '10.00', to: 'alice' }, kid: 'gateway:v1', key_version: 1, detached: false });
    expect(payseal.requests.find((r) => r.path === VERIFY)!.body).toEqual({ jws, consume: true });
    const again = await post('/attached/text', jws, { 'content-type': 'application/jose' });
    expect([again.status, again.json]).toEqual([401, { error: { code: 'invalid_payment_message', reason: 'replayed', message: expect.any(String) } }]);
  });

  it('the JWS as a JSON member (configurable), with max_age_seconds passed on', async () => {
    const jws = await attached({ amount: '1.00' });
    const ok = await post('/attached/json', JSON.stringify({ payment_jws: jws, note: 'unsigned' }), { 'content-type': 'application/json' });
    expect([ok.status, ok.json.message]).toEqual([200, { amount: '1.00' }]);
    expect(payseal.requests.find((r) => r.path === VERIFY)!.body).toEqual({ jws, consume: true, max_age_seconds: 300 });
  });

  it('missing, tampered, or signed by a key payseal does not know: 401 with the reason', async () => {
    const missing = await post('/attached/json', JSON.stringify({ jws: 'wrong member' }), { 'content-type': 'application/json' });
    expect([missing.status, missing.json.error.code, missing.json.error.reason]).toEqual([401, 'invalid_payment_message', 'missing']);
    const [h, , s] = (await attached({ amount: '1.00' })).split('.');
    const tampered = await post('/attached/text', `${h}.${Buffer.from('{"amount":"1000.00"}').toString('base64url')}.${s}`);
    expect([tampered.status, tampered.json.error.reason]).toEqual([401, 'bad_signature']);
    const unknown = await post('/attached/text', await attached({ a: 1 }, 'stranger:v1'));
    expect([unknown.status, unknown.json.error.reason]).toEqual([401, 'unknown_key']);
    expect((await post('/attached/text', '')).json.error.reason).toBe('missing');
  });
});

describe('detached (x-jws-signature)', () => {
  const body = '{"Data":{"Initiation":{"InstructedAmount":{"Amount":"165.88","Currency":"GBP"}}}}';

  it('verifies the raw body bytes: payload sent to payseal as base64 with consume; a replay is 401', async () => {
    const signature = await detached(body);
    const ok = await post('/detached', body, { 'content-type': 'application/json', 'x-jws-signature': signature });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ kid: 'partner:v1', key_version: 1, detached: true, body: Buffer.from(body).toString('base64') });
    expect(ok.json.message.Data.Initiation.InstructedAmount.Amount).toBe('165.88');
    expect(payseal.requests.find((r) => r.path === VERIFY)!.body).toEqual({ jws: signature, payload: Buffer.from(body).toString('base64'), consume: true });
    const again = await post('/detached', body, { 'content-type': 'application/json', 'x-jws-signature': signature });
    expect([again.status, again.json.error.reason]).toEqual([401, 'replayed']);
  });

  it('a body changed by one byte, or no header at all, is 401', async () => {
    const signature = await detached(body);
    const changed = await post('/detached', body.replace('165.88', '965.88'), { 'content-type': 'application/json', 'x-jws-signature': signature });
    expect([changed.status, changed.json.error.reason]).toEqual([401, 'bad_signature']);
    const none = await post('/detached', body, { 'content-type': 'application/json' });
    expect([none.status, none.json.error.reason]).toEqual([401, 'missing']);
  });

  it('mounted behind express.json() instead of express.raw(): a setup fault (next(error)), payseal is not called', async () => {
    const res = await fetch(`${app.url}/detached/misconfigured`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-jws-signature': await detached(body) } });
    expect(res.status).toBe(500);
    expect(payseal.count(VERIFY)).toBe(0);
  });
});

describe('payseal unavailable', () => {
  it('503 unavailable (with Retry-After) so the sender retries later; the message is not consumed', async () => {
    payseal.script(VERIFY, { status: 503, headers: { 'retry-after': '7' } });
    const jws = await attached({ amount: '3.00' });
    const res = await post('/attached/text', jws);
    expect([res.status, res.json.error.code, res.retryAfter]).toEqual([503, 'unavailable', '7']);
    expect((await post('/attached/text', jws)).status).toBe(200);
  });
});
