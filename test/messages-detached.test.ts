/**
 * The detached-JWS extension over HTTP (docs/api.md "Detached JWS for partners"): POST /v1/messages/sign with
 * `detached: true` over raw body bytes in the b64-less form (the default, Open Banking v3.1.4+) and RFC 7797's
 * `b64: false`, with Open Banking's critical claims; POST /v1/messages/verify with `payload` (base64) and the
 * caller's `crit`; jose verifies what payseal signed; consume and max_age work as for messages; and payseal's
 * own express middleware (payseal/client, detached mode, `x-jws-signature`) accepts it once and refuses the
 * replay against the real server: the shape the client sends is the shape the route reads. Each detached
 * signature is in the ledger when it is returned.
 */
import express from 'express';
import { flattenedVerify, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaysealClient, paysealMiddleware, type PaysealRequest } from '../src/client/index.ts';
import { listen, startApi, type ApiHarness } from './support/api.ts';
import { ledgerEntries, sha256 } from './support/ledger.ts';

let api: ApiHarness;
const BODY = Buffer.from('{\n  "Data": {"Initiation": {"InstructedAmount": {"Amount": "165.88", "Currency": "GBP"}}},\n  "Risk": {}\n}\n');
const OB = { iat: 'http://openbanking.org.uk/iat', iss: 'http://openbanking.org.uk/iss', tan: 'http://openbanking.org.uk/tan' } as const;
const OB_CLAIMS = { [OB.iat]: 1_750_000_000, [OB.iss]: '0015800001041REAAY/GeS1T0IOH2hCJ0xsT7mKGh', [OB.tan]: 'openbanking.org.uk' };
const headerOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'));
const sign = (body: Record<string, unknown>) => api.call('POST', '/v1/messages/sign', { body: { detached: true, payload: BODY.toString('base64'), ...body } });
const verify = (body: Record<string, unknown>) => api.call('POST', '/v1/messages/verify', { body: { payload: BODY.toString('base64'), ...body } });

beforeAll(async () => {
  api = await startApi();
  for (const [name, type] of [['partner-ps', 'rsa-2048'], ['partner-es', 'ecdsa-p256'], ['partner-ed', 'ed25519']]) {
    expect((await api.call('POST', '/v1/keys', { body: { name, type } })).status).toBe(201);
  }
}, 60_000);
afterAll(async () => api?.close());

describe.each([
  ['partner-ps', 'PS256'],
  ['partner-es', 'ES256'],
  ['partner-ed', 'EdDSA'],
])('%s (%s)', (key, alg) => {
  it('b64-less (default) and b64:false sign header..signature over the exact bytes; payseal and jose verify; other bytes do not', async () => {
    for (const b64 of [undefined, false] as const) {
      const signed = await sign({ key, ...(b64 === undefined ? {} : { b64 }) });
      expect(signed.status, signed.text).toBe(200);
      expect(signed.json).toEqual({ jws: expect.stringMatching(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/), kid: `${key}:v1`, key_version: 1, iat: expect.any(Number), jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
      const base = { alg, kid: `${key}:v1`, iat: signed.json.iat, jti: signed.json.jti };
      expect(headerOf(signed.json.jws)).toEqual(b64 === false ? { ...base, b64: false, crit: ['b64'] } : base);
      const ok = await verify({ jws: signed.json.jws });
      expect(ok.json).toEqual({ valid: true, kid: `${key}:v1`, key_version: 1, iat: signed.json.iat, jti: signed.json.jti, b64: b64 !== false, header: headerOf(signed.json.jws) });
      const changed = await api.call('POST', '/v1/messages/verify', { body: { jws: signed.json.jws, payload: Buffer.from(BODY.toString().replace('165.88', '965.88')).toString('base64') } });
      expect(changed.json).toMatchObject({ valid: false, reason: 'bad_signature' });

      const jwk = ((await api.call('GET', '/.well-known/jwks.json')).json.keys as { kid: string }[]).find((k) => k.kid === `${key}:v1`)!;
      const [protectedB64, , signature] = signed.json.jws.split('.');
      const payload = b64 === false ? BODY : BODY.toString('base64url');
      const r = await flattenedVerify({ protected: protectedB64, payload: payload as never, signature }, await importJWK(jwk as never, alg));
      expect(Buffer.from(r.payload).equals(BODY)).toBe(true);
    }
  });
});

describe('Open Banking claims, crit, consume', () => {
  it('critical claims the verifier does not name are malformed (crit_unknown); named, they verify and come back in header', async () => {
    const crit = [OB.iat, OB.iss, OB.tan];
    const signed = await sign({ key: 'partner-ps', b64: false, header: { typ: 'JOSE', cty: 'application/json', ...OB_CLAIMS }, crit });
    expect(signed.status, signed.text).toBe(200);
    expect(headerOf(signed.json.jws).crit).toEqual([...crit, 'b64']);
    expect((await verify({ jws: signed.json.jws })).json).toMatchObject({ valid: false, reason: 'malformed', detail: 'crit_unknown' });
    expect((await verify({ jws: signed.json.jws, crit: [OB.iat, OB.iss] })).json).toMatchObject({ valid: false, detail: 'crit_unknown' });
    const ok = await verify({ jws: signed.json.jws, crit });
    expect(ok.json).toMatchObject({ valid: true, b64: false, header: { ...OB_CLAIMS, typ: 'JOSE', alg: 'PS256' } });
  });

  it('consume: a second consume is replayed; max_age works from the iat payseal stamped', async () => {
    const signed = (await sign({ key: 'partner-ed' })).json;
    expect((await verify({ jws: signed.jws, consume: true, max_age_seconds: 60 })).json.valid).toBe(true);
    expect((await verify({ jws: signed.jws, consume: true })).json).toMatchObject({ valid: false, reason: 'replayed', jti: signed.jti });
  });

  it('each detached signature is a message.sign ledger entry: input = SHA-256 of the body bytes, output = of the compact JWS', async () => {
    const signed = (await sign({ key: 'partner-es', b64: false })).json;
    const entry = (await ledgerEntries(api.runtime)).find((e) => e.output_sha256 === sha256(Buffer.from(signed.jws, 'ascii')));
    expect(entry).toMatchObject({ op: 'message.sign', key: 'partner-es', key_version: 1, input_sha256: sha256(BODY) });
  });

  it('refuses with 400: payseal-owned header members, crit naming an absent member, payload without detached, bad base64', async () => {
    for (const body of [
      { key: 'partner-ed', header: { iat: 1 } },
      { key: 'partner-ed', header: { jti: 'x' } },
      { key: 'partner-ed', header: { alg: 'none' } },
      { key: 'partner-ed', header: { kid: 'other:v1' } },
      { key: 'partner-ed', crit: [OB.tan] },
      { key: 'partner-ed', crit: [] },
      { key: 'partner-ed', payload: 'not base64!' },
      { key: 'partner-ed', message: { a: 1 } },
    ]) {
      const res = await sign(body);
      expect([res.status, res.json.error?.code], JSON.stringify(body)).toEqual([400, 'invalid_request']);
    }
    const proto = await api.call('POST', '/v1/messages/sign', {
      raw: '{"key": "partner-ed", "detached": true, "payload": "AA==", "header": {"__proto__": {"alg": "none"}}}',
      headers: { 'content-type': 'application/json' },
    });
    expect([proto.status, proto.json.error?.code]).toEqual([400, 'invalid_request']);
    const attachedWithPayload = await api.call('POST', '/v1/messages/sign', { body: { key: 'partner-ed', message: 1, payload: 'AA==' } });
    expect(attachedWithPayload.json.error.code).toBe('invalid_request');
    expect((await verify({ jws: 'a..b', payload: '!!' })).json.error.code).toBe('invalid_request');
  });
});

describe('payseal/client middleware, detached mode, against this server', () => {
  it('accepts the x-jws-signature once, refuses the replay and a changed body (401 with the reason)', async () => {
    const token = await api.client('receiver', ['verify:partner-ps']);
    const client = new PaysealClient({ baseUrl: api.url, token, retries: 0 });
    const app = express();
    app.post('/payments', express.raw({ type: () => true }), paysealMiddleware(client, { mode: 'detached' }), (req, res) => {
      const verified = (req as PaysealRequest).payseal!;
      res.json({ kid: verified.kid, jti: verified.jti, detached: verified.detached, message: verified.message });
    });
    const { server, url } = await listen(app);
    try {
      const signed = (await sign({ key: 'partner-ps', b64: false })).json;
      const post = (body: Buffer | string) => fetch(`${url}/payments`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-jws-signature': signed.jws } });
      const first = await post(BODY);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ kid: 'partner-ps:v1', jti: signed.jti, detached: true, message: JSON.parse(BODY.toString()) });
      const again = await post(BODY);
      expect([again.status, ((await again.json()) as { error: { reason: string } }).error.reason]).toEqual([401, 'replayed']);
      const other = (await sign({ key: 'partner-ps' })).json;
      const changed = await fetch(`${url}/payments`, { method: 'POST', body: '{"Data":{}}', headers: { 'content-type': 'application/json', 'x-jws-signature': other.jws } });
      expect([changed.status, ((await changed.json()) as { error: { reason: string } }).error.reason]).toEqual([401, 'bad_signature']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
