/**
 * The RFC 9421 routes end to end: sign then verify with payseal's own keys (keyid "<name>:v<N>"); Content-Digest
 * made for a body and checked against it; a key's stored policy (PATCH http_signature_policy) tightened by the
 * request's and never loosened; nonces consumed through the replay store (a second use is `replayed`) and, without
 * one, 503 rather than an unchecked nonce; signatures by a revoked version; key types RFC 9421 has no algorithm
 * for; hostile input is 4xx. Needs a store (PGlite, or PostgreSQL with DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime/types.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';
import { openTestRuntime, type TestRuntime } from './support/db.ts';

let rt: TestRuntime;
let api: ApiHarness;
let noReplay: ApiHarness;

beforeAll(async () => {
  rt = await openTestRuntime();
  // Nonces go to the runtime's replay store (PostgreSQL or PGlite, shared by every replica); a runtime without
  // one must refuse (503) rather than let a replay through.
  api = await startApi({}, { runtime: rt });
  noReplay = await startApi({}, { runtime: Object.assign(Object.create(rt) as Runtime, { replay: undefined }) });
  await api.call('POST', '/v1/keys', { body: { name: 'cb', type: 'ed25519' } });
});
afterAll(async () => {
  await api?.close();
  await noReplay?.close();
  await rt?.cleanup();
});

const message = { method: 'POST', target_uri: 'https://merchant.example/callbacks/7?attempt=1', headers: { 'content-type': 'application/json' }, body: b64('{"status": "paid"}') };

async function sign(extra: object = {}, on = api) {
  const res = await on.call('POST', '/v1/http-signatures/sign', { body: { key: 'cb', message, ...extra } });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

const verify = (headers: Record<string, string>, extra: object = {}, on = api, msg: object = message) =>
  on.call('POST', '/v1/http-signatures/verify', { body: { key: 'cb', message: { ...msg, headers: { ...message.headers, ...headers } }, ...extra } });

describe('sign → verify', () => {
  it('default components, Content-Digest made for the body, keyid name:vN', async () => {
    const s = await sign();
    expect(s).toMatchObject({ label: 'sig1', keyid: 'cb:v1', key_version: 1, alg: 'ed25519', covered_components: ['"@method"', '"@target-uri"', '"content-type"', '"content-digest"'] });
    expect(s.headers['content-digest']).toMatch(/^sha-256=:[A-Za-z0-9+/]{43}=:$/);
    expect(s.signature_input).toMatch(/^sig1=\("@method" "@target-uri" "content-type" "content-digest"\);created=\d+;keyid="cb:v1";alg="ed25519"$/);
    const ok = await verify(s.headers);
    expect(ok.json).toMatchObject({ valid: true, keyid: 'cb:v1', key_version: 1, content_digest: 'valid', nonce_consumed: false });
  });

  it('a changed body is digest_mismatch; a body not given leaves the digest unchecked', async () => {
    const s = await sign();
    expect((await verify(s.headers, {}, api, { ...message, body: b64('{"status": "refunded"}') })).json).toMatchObject({ valid: false, reason: 'digest_mismatch' });
    const { body: _b, ...noBody } = message;
    expect((await verify(s.headers, {}, api, noBody)).json).toMatchObject({ valid: true, content_digest: 'unchecked' });
  });

  it('a signature by a revoked version: key_version_revoked', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'cb-old', type: 'ecdsa-p256' } });
    const s = (await api.call('POST', '/v1/http-signatures/sign', { body: { key: 'cb-old', message } })).json;
    await api.call('POST', '/v1/keys/cb-old/rotate');
    await api.call('POST', '/v1/keys/cb-old/versions/1/revoke');
    const res = await api.call('POST', '/v1/http-signatures/verify', { body: { key: 'cb-old', message: { ...message, headers: { ...message.headers, ...s.headers } } } });
    expect(res.json).toMatchObject({ valid: false, reason: 'key_version_revoked', key_version: 1 });
  });

  it('expires: a signature past it is expired', async () => {
    const s = await sign({ created: Math.floor(Date.now() / 1000) - 7200, expires_in_seconds: 60 });
    expect((await verify(s.headers)).json).toMatchObject({ valid: false, reason: 'expired', detail: 'signature_expired' });
  });
});

describe('policies', () => {
  it("the key's stored policy applies, and a request can tighten it but not loosen it", async () => {
    const set = await api.call('PATCH', '/v1/keys/cb', { body: { http_signature_policy: { tag: 'callbacks', required_components: ['@method', 'content-digest'], max_age_seconds: 300 } } });
    expect(set.status, set.text).toBe(200);
    expect(set.json.http_signature_policy).toMatchObject({ tag: 'callbacks' });
    const untagged = await sign();
    expect((await verify(untagged.headers)).json).toMatchObject({ valid: false, reason: 'policy_violation', detail: 'tag_mismatch' });
    const tagged = await sign({ tag: 'callbacks' });
    expect((await verify(tagged.headers)).json.valid).toBe(true);
    expect((await verify(tagged.headers, { policy: { required_components: ['@query-param;name="attempt"'] } })).json).toMatchObject({ reason: 'policy_violation', detail: 'required_component_missing' });
    const loosen = await verify(tagged.headers, { policy: { tag: 'other' } });
    expect([loosen.status, loosen.json.error.code]).toEqual([400, 'invalid_request']);
    const old = await sign({ tag: 'callbacks', created: Math.floor(Date.now() / 1000) - 3600 });
    expect((await verify(old.headers)).json).toMatchObject({ valid: false, reason: 'expired', detail: 'too_old' });
    const bad = await api.call('PATCH', '/v1/keys/cb', { body: { http_signature_policy: { required_components: ['@bogus'] } } });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'invalid_request']);
    expect((await api.call('PATCH', '/v1/keys/cb', { body: { http_signature_policy: null } })).json.http_signature_policy).toBeUndefined();
  });

  it('require_nonce: the nonce is consumed once, a replay is refused, and without a replay store the answer is 503', async () => {
    const policy = { require_nonce: true, max_age_seconds: 300 };
    const s = await sign({ nonce: true });
    const first = await verify(s.headers, { policy });
    expect(first.json).toMatchObject({ valid: true, nonce_consumed: true });
    expect((await verify(s.headers, { policy })).json).toMatchObject({ valid: false, reason: 'replayed' });
    const none = await sign();
    expect((await verify(none.headers, { policy })).json).toMatchObject({ valid: false, reason: 'policy_violation', detail: 'nonce_missing' });
    const forged = { ...(await sign({ nonce: 'fixed-nonce' })).headers };
    forged['signature'] = forged['signature']!.replace(/=:(.)/, (_m: string, c: string) => `=:${c === 'A' ? 'B' : 'A'}`);
    expect((await verify(forged, { policy })).json).toMatchObject({ valid: false, reason: 'bad_signature', nonce_consumed: false });
    const unavailable = await verify((await sign({ nonce: true })).headers, { policy }, noReplay);
    expect([unavailable.status, unavailable.json.error.code]).toEqual([503, 'unavailable']);
  });
});

describe('refusals', () => {
  it('key types without an RFC 9421 algorithm, AES keys, imported keys asked to sign', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'cb-k1', type: 'ecdsa-secp256k1' } });
    await api.call('POST', '/v1/keys', { body: { name: 'cb-aes', type: 'aes-128-gcm' } });
    const k1 = await api.call('POST', '/v1/http-signatures/sign', { body: { key: 'cb-k1', message } });
    expect([k1.status, k1.json.error.code]).toEqual([400, 'unsupported_algorithm']);
    const aes = await api.call('POST', '/v1/http-signatures/sign', { body: { key: 'cb-aes', message } });
    expect([aes.status, aes.json.error.code]).toEqual([400, 'key_type_mismatch']);
    const pem = (await api.call('GET', '/v1/keys/cb/public')).json.versions[0].public_key_pem;
    await api.call('POST', '/v1/keys', { body: { name: 'cb-partner', import: { public_key_pem: pem } } });
    const imported = await api.call('POST', '/v1/http-signatures/sign', { body: { key: 'cb-partner', message } });
    expect([imported.status, imported.json.error.code]).toEqual([400, 'key_verify_only']);
    // The partner's copy of cb's key verifies cb's signatures under its own name only when keyid names it.
    const s = await sign();
    const other = await api.call('POST', '/v1/http-signatures/verify', { body: { key: 'cb-partner', message: { ...message, headers: { ...message.headers, ...s.headers } } } });
    expect(other.json).toMatchObject({ valid: false, reason: 'unknown_key' });
  });

  it('hostile input is a 4xx with a stable code, never a 5xx', async () => {
    const s = await sign();
    const bodies: object[] = [
      { key: 'cb', message: { ...message, headers: { 'bad header': 'x' } } },
      { key: 'cb', message: { ...message, headers: { a: 'x\r\ny' } } },
      { key: 'cb', message: { ...message, target_uri: 'not a uri' } },
      { key: 'cb', message, components: ['@nope'] },
      { key: 'cb', message, components: ['x-missing'] },
      { key: 'cb', message, components: ['@method', '@method'] },
      { key: 'cb', message, label: 'Not A Key' },
      { key: 'cb', message: { ...message, headers: { ...message.headers, 'content-digest': 'sha-256=:AAAA:' } } },
      { key: 'cb', message: { ...message, body: '***' } },
      { key: 'NOPE', message },
    ];
    for (const body of bodies) {
      const res = await api.call('POST', '/v1/http-signatures/sign', { body });
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(body)).toBeLessThan(500);
    }
    const broken = ['sig1=(', 'sig1=("@method";created=1', 'sig1=:not base64:', 'sig1=("@method");created="x"'];
    for (const value of broken) {
      const res = await verify({ ...s.headers, 'signature-input': value });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ valid: false, reason: 'malformed' });
    }
    expect((await verify({ signature: s.headers.signature })).json).toMatchObject({ valid: false, detail: 'signature_input_missing' });
  });
});
