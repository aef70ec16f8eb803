/**
 * POST /v1/messages/sign | verify | seal | open through the real app on a real store (test/support/api.ts):
 * the shapes of API.md, every key type signing a JCS message that payseal and jose both verify, the 400s for
 * what JCS cannot carry, the scopes each route reads from the body (verify:<kid name> before any lookup, the
 * inner kid of a sealed message after decryption), a kid naming an AES key, tampered JWEs, consume and the
 * consume window, AES use accounting on seal, the ledger entries of message.sign and seal with the digests
 * src/ledger/format/digests.ts defines, revoked and retired versions, and the hostile-input matrix on every
 * message route (never a 5xx).
 */
import { compactVerify, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageDigests } from '../src/ledger/format/digests.ts';
import { startApi, type ApiHarness } from './support/api.ts';
import { HOSTILE_JWS } from './support/hostile-jws.ts';
import { HOSTILE_VALUES } from './support/hostile.ts';
import { ledgerEntries } from './support/ledger.ts';

let api: ApiHarness;
const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const JTI = 'AAAAAAAAAAAAAAAAAAAAAA';

const SIGNING = [
  ['m-p256', 'ecdsa-p256', 'ES256'],
  ['m-p384', 'ecdsa-p384', 'ES384'],
  ['m-p521', 'ecdsa-p521', 'ES512'],
  ['m-k1', 'ecdsa-secp256k1', 'ES256K'],
  ['m-rsa', 'rsa-2048', 'PS256'],
  ['m-ed', 'ed25519', 'EdDSA'],
  ['m-dsa', 'dsa-2048', 'DS256'],
] as const;

beforeAll(async () => {
  api = await startApi();
  for (const [name, type] of SIGNING) expect((await api.call('POST', '/v1/keys', { body: { name, type } })).status).toBe(201);
  for (const [name, type] of [['m-aes', 'aes-256-gcm'], ['m-aes128', 'aes-128-gcm']]) expect((await api.call('POST', '/v1/keys', { body: { name, type } })).status).toBe(201);
}, 120_000);
afterAll(async () => api?.close());

const sign = (body: unknown, token?: string) => api.call('POST', '/v1/messages/sign', { body, token });
const verify = (body: unknown, token?: string) => api.call('POST', '/v1/messages/verify', { body, token });
const headerOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'));

describe('sign and verify', () => {
  it.each(SIGNING)('%s (%s): a JCS payload under {alg, kid, iat, jti}; payseal verifies it, jose too where it can', async (name, _type, alg) => {
    const message = { to: 'alice', amount: '100.10', currency: 'EUR', meta: { z: 1, a: [true, null] } };
    const signed = await sign({ key: name, message });
    expect(signed.status, signed.text).toBe(200);
    expect(signed.json).toEqual({ jws: expect.any(String), kid: `${name}:v1`, key_version: 1, iat: expect.any(Number), jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
    expect(Math.abs(signed.json.iat - now())).toBeLessThanOrEqual(5);
    const [, payload] = signed.json.jws.split('.');
    expect(Buffer.from(payload, 'base64url').toString('utf8')).toBe('{"amount":"100.10","currency":"EUR","meta":{"a":[true,null],"z":1},"to":"alice"}');
    expect(headerOf(signed.json.jws)).toEqual({ alg, kid: `${name}:v1`, iat: signed.json.iat, jti: signed.json.jti });
    const checked = await verify({ jws: signed.json.jws, max_age_seconds: 60 });
    expect(checked.json).toEqual({ valid: true, kid: `${name}:v1`, key_version: 1, iat: signed.json.iat, jti: signed.json.jti, message });
    if (alg === 'DS256' || alg === 'ES256K') return; // no JWK (DSA) / jose refuses ES256K
    const jwks = (await api.call('GET', '/.well-known/jwks.json')).json.keys as { kid: string }[];
    const jwk = jwks.find((k) => k.kid === `${name}:v1`)!;
    const out = await compactVerify(signed.json.jws, await importJWK(jwk as never, alg), { algorithms: [alg] });
    expect(JSON.parse(Buffer.from(out.payload).toString('utf8'))).toEqual(message);
  });

  it('rsa_padding pkcs1v15 signs RS256; rsa_padding on a non-RSA key is unsupported_algorithm', async () => {
    const rs = await sign({ key: 'm-rsa', message: 1, rsa_padding: 'pkcs1v15' });
    expect(headerOf(rs.json.jws).alg).toBe('RS256');
    expect((await verify({ jws: rs.json.jws })).json.valid).toBe(true);
    const bad = await sign({ key: 'm-p256', message: 1, rsa_padding: 'pss' });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'unsupported_algorithm']);
    expect((await sign({ key: 'm-rsa', message: 1, rsa_padding: 'nope' })).json.error.code).toBe('unsupported_algorithm');
  });

  it('numbers JCS cannot carry exactly are a 400 saying amounts go as strings; other bad bodies are 400 invalid_request', async () => {
    for (const raw of ['{"key":"m-ed","message":{"amount":12345678901234567890}}', '{"key":"m-ed","message":[1e400]}']) {
      const res = await api.call('POST', '/v1/messages/sign', { raw, headers: { 'content-type': 'application/json' } });
      expect([res.status, res.json.error.code], res.text).toEqual([400, 'invalid_request']);
      expect(res.json.error.message).toMatch(/string|JSON/);
    }
    const unsafe = await api.call('POST', '/v1/messages/sign', { raw: '{"key":"m-ed","message":{"amount":9007199254740993}}', headers: { 'content-type': 'application/json' } });
    expect(unsafe.json.error.message).toMatch(/send money amounts as strings/);
    for (const body of [{ key: 'm-ed' }, { key: 'M!', message: 1 }, { key: 'm-ed', message: 1, extra: 1 }, { key: 'm-ed', message: 1, b64: false }, { key: 'm-ed', detached: true }]) {
      expect((await sign(body)).json.error.code, JSON.stringify(body)).toBe('invalid_request');
    }
    for (const body of [{ jws: 1 }, {}, { jws: 'a.b.c', max_age_seconds: -1 }, { jws: 'a.b.c', crit: ['x'] }, { jws: 'a.b.c', consume: 'yes' }]) {
      expect((await verify(body)).json.error.code, JSON.stringify(body)).toBe('invalid_request');
    }
    expect((await sign({ key: 'nope', message: 1 })).json.error.code).toBe('key_not_found');
    expect((await sign({ key: 'm-aes', message: 1 })).json.error.code).toBe('key_type_mismatch');
  });

  it('the rejection reasons: malformed, bad_signature (none, HMAC, another curve, tampered), unknown_key (also for a kid naming an AES key)', async () => {
    const { jws, iat } = (await sign({ key: 'm-p256', message: { a: 1 } })).json;
    const [h, p, s] = jws.split('.');
    const flip = (part: string) => part.slice(0, -2) + (part.at(-2) === 'A' ? 'B' : 'A') + part.at(-1);
    const cases: [string, string, string][] = [
      ['not a jws', 'malformed', 'not_compact'],
      [`${h}.${b64url({ a: 2 })}.${s}`, 'bad_signature', 'signature_invalid'],
      [`${h}.${p}.${flip(s)}`, 'bad_signature', 'signature_invalid'],
      [`${b64url({ alg: 'none', kid: 'm-p256:v1', iat, jti: JTI })}.${p}.`, 'bad_signature', 'alg_refused'],
      [`${b64url({ alg: 'HS256', kid: 'm-p256:v1', iat, jti: JTI })}.${p}.${s}`, 'bad_signature', 'alg_refused'],
      [`${b64url({ alg: 'ES384', kid: 'm-p256:v1', iat, jti: JTI })}.${p}.${s}`, 'bad_signature', 'alg_key_mismatch'],
      [`${b64url({ alg: 'ES256', kid: 'm-p256:v9', iat, jti: JTI })}.${p}.${s}`, 'unknown_key', 'unknown_version'],
      [`${b64url({ alg: 'ES256', kid: 'ghost:v1', iat, jti: JTI })}.${p}.${s}`, 'unknown_key', 'unknown_key'],
      [`${b64url({ alg: 'ES256', kid: 'm-aes:v1', iat, jti: JTI })}.${p}.${s}`, 'unknown_key', 'key_type_mismatch'],
      [`${b64url({ alg: 'ES256', kid: 'm-p256:v1', iat, jti: JTI, crit: ['x'], x: 1 })}.${p}.${s}`, 'malformed', 'crit_unknown'],
    ];
    for (const [text, reason, detail] of cases) {
      const res = await verify({ jws: text });
      expect([res.status, res.json.valid, res.json.reason, res.json.detail], text).toEqual([200, false, reason, detail]);
      expect(res.json.message).toBeUndefined();
    }
    // A message of now is fresh even with max_age_seconds 0 (the 60 s skew allowance, docs/api.md).
    expect((await verify({ jws, max_age_seconds: 0 })).json.valid).toBe(true);
  });
});

describe('scopes named by the body', () => {
  it('sign needs sign:<key>; verify needs verify:<kid name>, before any lookup; an unreadable kid is malformed for anyone', async () => {
    const signer = await api.client('msg-signer', ['sign:m-ed']);
    const verifier = await api.client('msg-verifier', ['verify:m-ed']);
    expect((await sign({ key: 'm-ed', message: 1 }, signer)).status).toBe(200);
    expect((await sign({ key: 'm-p256', message: 1 }, signer)).json.error.code).toBe('forbidden');
    const p256 = (await sign({ key: 'm-p256', message: 1 })).json.jws;
    const ed = (await sign({ key: 'm-ed', message: 1 })).json.jws;
    expect((await verify({ jws: ed }, verifier)).json.valid).toBe(true);
    const refused = await verify({ jws: p256, consume: true }, verifier);
    expect([refused.status, refused.json.error.code]).toEqual([403, 'forbidden']);
    // The refused consume recorded nothing.
    expect((await verify({ jws: p256, consume: true })).json.valid).toBe(true);
    // A kid naming a key that does not exist still needs its scope: a client cannot probe other names.
    const ghost = `${b64url({ alg: 'EdDSA', kid: 'ghost:v1', iat: now(), jti: JTI })}.${b64url(1)}.AA`;
    expect((await verify({ jws: ghost }, verifier)).status).toBe(403);
    expect((await verify({ jws: 'x.y.z' }, verifier)).json).toMatchObject({ valid: false, reason: 'malformed' });
  });
});

describe('seal and open', () => {
  it('seal: dir + A256GCM/A128GCM by key size, kid, cty JWT, around the signed JWS; open verifies it; each seal counts one AES use', async () => {
    for (const [key, enc] of [['m-aes', 'A256GCM'], ['m-aes128', 'A128GCM']] as const) {
      const before = (await api.call('GET', `/v1/keys/${key}`)).json.versions[0].encryptions as number;
      const sealed = await api.call('POST', '/v1/messages/seal', { body: { sign_key: 'm-p256', encrypt_key: key, message: { amount: '5.00' } } });
      expect(sealed.status, sealed.text).toBe(200);
      expect(Object.keys(sealed.json)).toEqual(['sealed']);
      const parts = sealed.json.sealed.split('.');
      expect(parts).toHaveLength(5);
      expect(parts[1]).toBe('');
      expect(headerOf(sealed.json.sealed)).toEqual({ alg: 'dir', enc, kid: `${key}:v1`, cty: 'JWT' });
      const opened = await api.call('POST', '/v1/messages/open', { body: { sealed: sealed.json.sealed, max_age_seconds: 60 } });
      expect(opened.json).toMatchObject({ valid: true, kid: 'm-p256:v1', key_version: 1, message: { amount: '5.00' } });
      const after = (await api.call('GET', `/v1/keys/${key}`)).json.versions[0].encryptions as number;
      expect(after).toBeGreaterThan(before); // counted in leased blocks: at least one more
    }
    const wrong = await api.call('POST', '/v1/messages/seal', { body: { sign_key: 'm-p256', encrypt_key: 'm-ed', message: 1 } });
    expect(wrong.json.error.code).toBe('key_type_mismatch');
    const bad = await api.call('POST', '/v1/messages/seal', { raw: '{"sign_key":"m-p256","encrypt_key":"m-aes","message":[1e400]}', headers: { 'content-type': 'application/json' } });
    expect(bad.json.error.code).toBe('invalid_request');
  });

  it('a tampered or foreign sealed message is valid: false with a reason, never a 5xx', async () => {
    const { sealed } = (await api.call('POST', '/v1/messages/seal', { body: { sign_key: 'm-ed', encrypt_key: 'm-aes', message: 1 } })).json;
    const [h, k, iv, ct, tag] = sealed.split('.');
    const flip = (part: string) => (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
    const cases: [string, string, string][] = [
      [[h, k, iv, flip(ct), tag].join('.'), 'bad_signature', 'decryption_failed'],
      [[h, k, iv, ct, flip(tag)].join('.'), 'bad_signature', 'decryption_failed'],
      [[b64url({ alg: 'dir', enc: 'A128GCM', kid: 'm-aes:v1', cty: 'JWT' }), k, iv, ct, tag].join('.'), 'bad_signature', 'enc_key_mismatch'],
      [[b64url({ alg: 'dir', enc: 'A256GCM', kid: 'm-p256:v1', cty: 'JWT' }), k, iv, ct, tag].join('.'), 'unknown_key', 'key_type_mismatch'],
      [[h, 'AAAA', iv, ct, tag].join('.'), 'malformed', 'jwe_invalid'],
      ['a.b.c', 'malformed', 'jwe_invalid'],
    ];
    for (const [text, reason, detail] of cases) {
      const res = await api.call('POST', '/v1/messages/open', { body: { sealed: text } });
      expect([res.status, res.json.valid, res.json.reason, res.json.detail], text).toEqual([200, false, reason, detail]);
    }
  });

  it('open needs decrypt:<JWE kid> and verify:<inner kid>; lacking the second is 403 and consumes nothing', async () => {
    const { sealed } = (await api.call('POST', '/v1/messages/seal', { body: { sign_key: 'm-ed', encrypt_key: 'm-aes', message: { n: 1 } } })).json;
    const decryptOnly = await api.client('msg-decrypt-only', ['decrypt:m-aes', 'verify:m-p256']);
    const verifyOnly = await api.client('msg-verify-only', ['verify:m-ed']);
    const both = await api.client('msg-both', ['decrypt:m-aes', 'verify:m-ed']);
    const open = (token: string) => api.call('POST', '/v1/messages/open', { body: { sealed, consume: true }, token });
    expect((await open(decryptOnly)).json.error).toEqual({ code: 'forbidden', message: 'this client lacks scope verify:m-ed' });
    expect((await open(verifyOnly)).json.error.code).toBe('forbidden');
    expect((await open(both)).json).toMatchObject({ valid: true, message: { n: 1 } });
    expect((await open(both)).json).toMatchObject({ valid: false, reason: 'replayed' });
  });
});

describe('consume', () => {
  it('a second consume is replayed; without consume it still verifies; the consume window bounds max_age_seconds', async () => {
    const { jws } = (await sign({ key: 'm-ed', message: { pay: 1 } })).json;
    expect((await verify({ jws, consume: true })).json.valid).toBe(true);
    expect((await verify({ jws, consume: true })).json).toMatchObject({ valid: false, reason: 'replayed', detail: 'replayed', kid: 'm-ed:v1' });
    expect((await verify({ jws })).json.valid).toBe(true);
    expect((await verify({ jws, consume: true, max_age_seconds: 86_401 })).json.error.code).toBe('invalid_request');
    // A forged message never burns a real jti: consumed only after the signature checked.
    const real = (await sign({ key: 'm-ed', message: 2 })).json;
    const [h, , s] = real.jws.split('.');
    expect((await verify({ jws: `${h}.${b64url(3)}.${s}`, consume: true })).json.reason).toBe('bad_signature');
    expect((await verify({ jws: real.jws, consume: true })).json.valid).toBe(true);
  });
});

describe('the ledger', () => {
  it('message.sign and seal are recorded before the answer, with the digests of src/ledger/format/digests.ts', async () => {
    const message = { ledger: 'check', amount: '1.00' };
    const signed = (await sign({ key: 'm-p256', message })).json;
    const sealed = (await api.call('POST', '/v1/messages/seal', { body: { sign_key: 'm-ed', encrypt_key: 'm-aes', message } })).json.sealed as string;
    const entries = await ledgerEntries(api.runtime);
    const payload = Buffer.from('{"amount":"1.00","ledger":"check"}');
    const signEntry = entries.find((e) => e.output_sha256 === messageDigests(payload, signed.jws).output_sha256);
    expect(signEntry).toMatchObject({ op: 'message.sign', key: 'm-p256', key_version: 1, ...messageDigests(payload, signed.jws), actor: expect.stringMatching(/^client:admin-/) });
    const inner = (await api.call('POST', '/v1/messages/open', { body: { sealed } })).json;
    expect(inner.valid).toBe(true);
    const sealEntries = entries.filter((e) => e.op === 'seal' && e.input_sha256 === messageDigests(payload, 'x').input_sha256);
    expect(sealEntries).toHaveLength(1);
    expect(sealEntries[0]).toMatchObject({ key: 'm-ed', key_version: 1 });
    // Verification records nothing.
    const count = entries.length;
    await verify({ jws: signed.jws });
    expect((await ledgerEntries(api.runtime)).length).toBe(count);
  });
});

describe('versions and hostile input', () => {
  it('a revoked version is key_version_revoked, one below min_version is below_min_version; the newest signs on', async () => {
    expect((await api.call('POST', '/v1/keys', { body: { name: 'm-life', type: 'ecdsa-p256' } })).status).toBe(201);
    const v1 = (await sign({ key: 'm-life', message: 1 })).json.jws;
    await api.call('POST', '/v1/keys/m-life/rotate');
    const v2 = (await sign({ key: 'm-life', message: 2 })).json;
    expect(v2.kid).toBe('m-life:v2');
    await api.call('POST', '/v1/keys/m-life/rotate');
    expect((await api.call('POST', '/v1/keys/m-life/versions/1/revoke')).status).toBe(200);
    expect((await verify({ jws: v1 })).json).toMatchObject({ valid: false, reason: 'key_version_revoked', kid: 'm-life:v1' });
    expect((await api.call('PATCH', '/v1/keys/m-life', { body: { min_version: 3 } })).status).toBe(200);
    expect((await verify({ jws: v2.jws })).json).toMatchObject({ valid: false, reason: 'below_min_version', key_version: 2 });
    expect((await sign({ key: 'm-life', message: 3 })).json.kid).toBe('m-life:v3');
  });

  it('every message route answers the hostile matrix with a 200 verdict or a 4xx error code, never a 5xx', async () => {
    const { sealed } = (await api.call('POST', '/v1/messages/seal', { body: { sign_key: 'm-ed', encrypt_key: 'm-aes', message: 1 } })).json;
    const [h, , iv, ct, tag] = sealed.split('.');
    // What JSON can carry of the matrices (a bigint or a symbol never reaches a server).
    const jsonable = (v: unknown) => {
      try {
        return JSON.stringify(v) !== undefined;
      } catch {
        return false;
      }
    };
    const compact = [...HOSTILE_JWS.filter(jsonable), `${h}..${iv}.${ct}.${tag}`, `${h}.AAAA.${iv}.${ct}.${tag}`];
    const bodies: [string, unknown][] = [];
    for (const text of compact) {
      bodies.push(['verify', { jws: text }], ['verify', { jws: text, consume: true }], ['verify', { jws: text, payload: 'AA==' }], ['open', { sealed: text, consume: true }]);
    }
    const values = HOSTILE_VALUES.filter(jsonable);
    expect(values.length).toBeGreaterThan(5);
    for (const value of values) {
      bodies.push(['sign', { key: 'm-ed', message: value }], ['sign', { key: 'm-ed', detached: true, payload: 'AA==', header: value }], ['sign', { key: 'm-ed', detached: true, payload: 'AA==', crit: value }]);
      bodies.push(['seal', { sign_key: 'm-ed', encrypt_key: 'm-aes', message: value }], ['verify', { jws: value }], ['open', { sealed: value }], ['verify', { jws: 'a..b', payload: value }]);
    }
    let verdicts = 0;
    for (const [route, body] of bodies) {
      const res = await api.call('POST', `/v1/messages/${route}`, { body });
      const where = `${route} ${JSON.stringify(body)?.slice(0, 120)}: ${res.text.slice(0, 200)}`;
      expect(res.status, where).toBeLessThan(500);
      if (res.status === 200) {
        verdicts++;
        if ('valid' in res.json) expect(res.json.valid === true ? route : res.json.reason, where).toEqual(expect.any(String));
      } else {
        expect(res.json.error.code, where).toMatch(/^[a-z_]+$/);
      }
    }
    expect(verdicts).toBeGreaterThan(compact.length);
  });
});
