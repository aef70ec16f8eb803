/**
 * Black-box: raw operations (sign, verify, encrypt, decrypt, rewrap, hash) and batches, for every key type,
 * over real HTTP against the real runtime.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_TYPES } from '../src/crypto/index.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
const SIGN_TYPES = KEY_TYPES.filter((t) => !t.startsWith('aes-'));
const input = b64('pay 100 EUR to alice');

beforeAll(async () => {
  api = await startApi();
  await Promise.all(
    [...KEY_TYPES.map((t) => ({ name: `t-${t}`, type: t })), { name: 'box', type: 'aes-256-gcm' }, { name: 'signer', type: 'ecdsa-p256' }].map(async (body) => {
      const res = await api.call('POST', '/v1/keys', { body });
      if (res.status !== 201) throw new Error(res.text);
    }),
  );
});
afterAll(async () => api?.close());

describe('sign and verify', () => {
  it.each(SIGN_TYPES)('%s: sign → payseal:v1:…, verify true; other input → bad_signature', async (type) => {
    const sig = await api.call('POST', `/v1/keys/t-${type}/sign`, { body: { input } });
    expect(sig.status).toBe(200);
    expect(sig.json.key_version).toBe(1);
    expect(sig.json.signature).toMatch(/^payseal:v1:[A-Za-z0-9+/]+=*$/);
    const ok = await api.call('POST', `/v1/keys/t-${type}/verify`, { body: { input, signature: sig.json.signature } });
    expect([ok.status, ok.json]).toEqual([200, { valid: true, key_version: 1 }]);
    const bad = await api.call('POST', `/v1/keys/t-${type}/verify`, { body: { input: b64('pay 999 EUR to mallory'), signature: sig.json.signature } });
    expect([bad.status, bad.json]).toEqual([200, { valid: false, key_version: 1, reason: 'bad_signature' }]);
  });

  it('honours options: RSA pkcs1v15 and sha2-512, ECDSA p1363; a mismatched option does not verify', async () => {
    const rsa = await api.call('POST', '/v1/keys/t-rsa-2048/sign', { body: { input, rsa_padding: 'pkcs1v15', hash: 'sha2-512' } });
    expect(rsa.status).toBe(200);
    const same = await api.call('POST', '/v1/keys/t-rsa-2048/verify', { body: { input, signature: rsa.json.signature, rsa_padding: 'pkcs1v15', hash: 'sha2-512' } });
    expect(same.json.valid).toBe(true);
    const pss = await api.call('POST', '/v1/keys/t-rsa-2048/verify', { body: { input, signature: rsa.json.signature } });
    expect(pss.json).toMatchObject({ valid: false, reason: 'bad_signature' });
    const p1363 = await api.call('POST', '/v1/keys/t-ecdsa-p384/sign', { body: { input, signature_encoding: 'p1363' } });
    expect(Buffer.from(p1363.json.signature.split(':')[2], 'base64')).toHaveLength(96);
    const ok = await api.call('POST', '/v1/keys/t-ecdsa-p384/verify', { body: { input, signature: p1363.json.signature, signature_encoding: 'p1363' } });
    expect(ok.json.valid).toBe(true);
  });

  it('400 unsupported_algorithm for options the type does not allow; 400 key_type_mismatch for an AES key; 404 key_not_found', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['t-ed25519', { hash: 'sha2-256' }],
      ['t-ecdsa-p256', { rsa_padding: 'pss' }],
      ['t-rsa-2048', { signature_encoding: 'p1363' }],
      ['t-ecdsa-p256', { hash: 'md5' }],
      ['t-rsa-2048', { rsa_padding: 'oaep' }],
    ];
    for (const [key, options] of cases) {
      const res = await api.call('POST', `/v1/keys/${key}/sign`, { body: { input, ...options } });
      expect([res.status, res.json.error.code], `${key} ${JSON.stringify(options)}`).toEqual([400, 'unsupported_algorithm']);
    }
    const aes = await api.call('POST', '/v1/keys/box/sign', { body: { input } });
    expect([aes.status, aes.json.error.code]).toEqual([400, 'key_type_mismatch']);
    const aesVerify = await api.call('POST', '/v1/keys/box/verify', { body: { input, signature: 'payseal:v1:AAAA' } });
    expect([aesVerify.status, aesVerify.json.error.code]).toEqual([400, 'key_type_mismatch']);
    const missing = await api.call('POST', '/v1/keys/nope/sign', { body: { input } });
    expect([missing.status, missing.json.error.code]).toEqual([404, 'key_not_found']);
  });

  it('verify reasons: key_version_revoked, below_min_version, unknown_version; destroyed versions still verify', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'life', type: 'ed25519' } });
    const sigs: string[] = [];
    for (let v = 1; v <= 3; v++) {
      sigs.push((await api.call('POST', '/v1/keys/life/sign', { body: { input } })).json.signature);
      await api.call('POST', '/v1/keys/life/rotate');
    }
    expect(sigs.map((s) => s.split(':')[1])).toEqual(['v1', 'v2', 'v3']);
    await api.call('POST', '/v1/keys/life/versions/2/revoke');
    await api.call('POST', '/v1/keys/life/versions/3/destroy');
    await api.call('PATCH', '/v1/keys/life', { body: { min_version: 2 } });
    const verify = (signature: string) => api.call('POST', '/v1/keys/life/verify', { body: { input, signature } });
    expect((await verify(sigs[0]!)).json).toEqual({ valid: false, key_version: 1, reason: 'below_min_version' });
    expect((await verify(sigs[1]!)).json).toEqual({ valid: false, key_version: 2, reason: 'key_version_revoked' });
    expect((await verify(sigs[2]!)).json).toEqual({ valid: true, key_version: 3 });
    const unknown = sigs[2]!.replace('payseal:v3:', 'payseal:v77:');
    expect((await verify(unknown)).json).toEqual({ valid: false, key_version: 77, reason: 'unknown_version' });
  });

  it('a malformed signature string is 400 invalid_request', async () => {
    for (const signature of ['', 'payseal:v1', 'payseal:v0:AAAA', 'payseal:v01:AAAA', 'vault:v1:AAAA', 'payseal:v1:AAA', 'payseal:v1:AA AA', 42, null]) {
      const res = await api.call('POST', '/v1/keys/signer/verify', { body: { input, signature } });
      expect([res.status, res.json.error.code], String(signature)).toEqual([400, 'invalid_request']);
    }
  });
});

describe('batches', () => {
  it('sign batch answers in order; a bad item fails alone; top-level options are defaults', async () => {
    const items = [{ input }, { input: 'not base64!' }, { input: b64('second'), signature_encoding: 'der' }, { nope: 1 }];
    const res = await api.call('POST', '/v1/keys/signer/sign', { body: { batch_input: items, signature_encoding: 'p1363' } });
    expect(res.status).toBe(200);
    const [a, b, c, d] = res.json.batch_results;
    expect(a.signature).toMatch(/^payseal:v1:/);
    expect(Buffer.from(a.signature.split(':')[2], 'base64')).toHaveLength(64);
    expect(b.error.code).toBe('invalid_request');
    expect(b.error.message).toContain('batch_input.1.input');
    expect(Buffer.from(c.signature.split(':')[2], 'base64')[0]).toBe(0x30);
    expect(d.error.code).toBe('invalid_request');
    const verify = await api.call('POST', '/v1/keys/signer/verify', {
      body: {
        batch_input: [
          { input, signature: a.signature, signature_encoding: 'p1363' },
          { input: b64('second'), signature: c.signature },
          { input, signature: 'garbage' },
          { input: b64('other'), signature: c.signature },
        ],
      },
    });
    expect(verify.json.batch_results).toEqual([
      { valid: true, key_version: 1 },
      { valid: true, key_version: 1 },
      { error: { code: 'invalid_request', message: expect.any(String) } },
      { valid: false, key_version: 1, reason: 'bad_signature' },
    ]);
  });

  it('1000 items are accepted; 1001 or 0 items are 400 invalid_request; both input and batch_input is 400', async () => {
    const thousand = Array.from({ length: 1000 }, (_, i) => ({ input: b64(`m${i}`) }));
    const ok = await api.call('POST', '/v1/keys/signer/sign', { body: { batch_input: thousand } });
    expect(ok.status).toBe(200);
    expect(ok.json.batch_results).toHaveLength(1000);
    expect(ok.json.batch_results.every((r: { signature?: string }) => r.signature?.startsWith('payseal:v1:'))).toBe(true);
    const over = await api.call('POST', '/v1/keys/signer/sign', { body: { batch_input: [...thousand, { input }] } });
    expect([over.status, over.json.error.code]).toEqual([400, 'invalid_request']);
    const empty = await api.call('POST', '/v1/keys/signer/sign', { body: { batch_input: [] } });
    expect([empty.status, empty.json.error.code]).toEqual([400, 'invalid_request']);
    const both = await api.call('POST', '/v1/keys/signer/sign', { body: { input, batch_input: [{ input }] } });
    expect([both.status, both.json.error.code]).toEqual([400, 'invalid_request']);
  });

  it('encrypt and decrypt batches; a tampered item fails alone with decryption_failed', async () => {
    const enc = await api.call('POST', '/v1/keys/box/encrypt', { body: { batch_input: [{ plaintext: b64('one') }, { plaintext: b64('two'), aad: b64('ctx') }, { plaintext: 5 }] } });
    const [one, two, bad] = enc.json.batch_results;
    expect(bad.error.code).toBe('invalid_request');
    const raw = Buffer.from(one.ciphertext.split(':')[2], 'base64');
    raw[raw.length - 1]! ^= 1;
    const dec = await api.call('POST', '/v1/keys/box/decrypt', {
      body: { batch_input: [{ ciphertext: two.ciphertext, aad: b64('ctx') }, { ciphertext: `payseal:v1:${raw.toString('base64')}` }, { ciphertext: one.ciphertext }] },
    });
    expect(dec.json.batch_results).toEqual([
      { plaintext: b64('two'), key_version: 1 },
      { error: { code: 'decryption_failed', message: expect.any(String) } },
      { plaintext: b64('one'), key_version: 1 },
    ]);
  });
});

describe('encrypt, decrypt, rewrap', () => {
  it.each(['aes-128-gcm', 'aes-256-gcm'])('%s: round trip with aad; wrong aad or tampering → 400 decryption_failed', async (type) => {
    const enc = await api.call('POST', `/v1/keys/t-${type}/encrypt`, { body: { plaintext: b64('card 4111'), aad: b64('order-7') } });
    expect(enc.status).toBe(200);
    expect(enc.json.key_version).toBe(1);
    const blob = Buffer.from(enc.json.ciphertext.split(':')[2], 'base64');
    expect(blob.length).toBe(12 + 'card 4111'.length + 16);
    const dec = await api.call('POST', `/v1/keys/t-${type}/decrypt`, { body: { ciphertext: enc.json.ciphertext, aad: b64('order-7') } });
    expect([dec.status, dec.json]).toEqual([200, { plaintext: b64('card 4111'), key_version: 1 }]);
    const wrongAad = await api.call('POST', `/v1/keys/t-${type}/decrypt`, { body: { ciphertext: enc.json.ciphertext, aad: b64('order-8') } });
    expect([wrongAad.status, wrongAad.json.error.code]).toEqual([400, 'decryption_failed']);
    const short = await api.call('POST', `/v1/keys/t-${type}/decrypt`, { body: { ciphertext: 'payseal:v1:AAAA' } });
    expect([short.status, short.json.error.code]).toEqual([400, 'decryption_failed']);
  });

  it('rewrap moves a ciphertext to the newest version; revoked, destroyed and unknown versions cannot decrypt', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'vault', type: 'aes-256-gcm' } });
    const v1 = (await api.call('POST', '/v1/keys/vault/encrypt', { body: { plaintext: b64('secret'), aad: b64('a') } })).json.ciphertext;
    await api.call('POST', '/v1/keys/vault/rotate');
    const rewrapped = await api.call('POST', '/v1/keys/vault/rewrap', { body: { ciphertext: v1, aad: b64('a') } });
    expect(rewrapped.status).toBe(200);
    expect(rewrapped.json.key_version).toBe(2);
    expect(rewrapped.json.ciphertext).toMatch(/^payseal:v2:/);
    const dec = await api.call('POST', '/v1/keys/vault/decrypt', { body: { ciphertext: rewrapped.json.ciphertext, aad: b64('a') } });
    expect(dec.json).toEqual({ plaintext: b64('secret'), key_version: 2 });
    const batch = await api.call('POST', '/v1/keys/vault/rewrap', { body: { batch_input: [{ ciphertext: v1, aad: b64('a') }, { ciphertext: v1 }] } });
    expect(batch.json.batch_results[0].key_version).toBe(2);
    expect(batch.json.batch_results[1].error.code).toBe('decryption_failed');
    await api.call('POST', '/v1/keys/vault/rotate');
    await api.call('POST', '/v1/keys/vault/versions/1/destroy');
    const destroyed = await api.call('POST', '/v1/keys/vault/decrypt', { body: { ciphertext: v1, aad: b64('a') } });
    expect([destroyed.status, destroyed.json.error.code]).toEqual([400, 'decryption_failed']);
    await api.call('POST', '/v1/keys/vault/versions/2/revoke');
    const revoked = await api.call('POST', '/v1/keys/vault/decrypt', { body: { ciphertext: rewrapped.json.ciphertext, aad: b64('a') } });
    expect([revoked.status, revoked.json.error.code]).toEqual([400, 'decryption_failed']);
    const unknown = await api.call('POST', '/v1/keys/vault/decrypt', { body: { ciphertext: v1.replace('payseal:v1:', 'payseal:v9:') } });
    expect([unknown.status, unknown.json.error.code]).toEqual([400, 'decryption_failed']);
    const signKey = await api.call('POST', '/v1/keys/signer/encrypt', { body: { plaintext: b64('x') } });
    expect([signKey.status, signKey.json.error.code]).toEqual([400, 'key_type_mismatch']);
  });
});

describe('hash', () => {
  it('digests with every hash in hex (default) or base64; unknown algorithm → unsupported_algorithm', async () => {
    const data = Buffer.from('hash me');
    const openssl: Record<string, string> = { 'sha2-256': 'sha256', 'sha2-384': 'sha384', 'sha2-512': 'sha512', 'sha3-256': 'sha3-256', 'sha3-384': 'sha3-384', 'sha3-512': 'sha3-512' };
    for (const [name, node] of Object.entries(openssl)) {
      const hex = await api.call('POST', '/v1/hash', { body: { input: data.toString('base64'), algorithm: name } });
      expect([hex.status, hex.json.digest]).toEqual([200, createHash(node).update(data).digest('hex')]);
      const base64 = await api.call('POST', '/v1/hash', { body: { input: data.toString('base64'), algorithm: name, format: 'base64' } });
      expect(base64.json.digest).toBe(createHash(node).update(data).digest('base64'));
    }
    const dflt = await api.call('POST', '/v1/hash', { body: { input: '' } });
    expect(dflt.json.digest).toBe(createHash('sha256').digest('hex'));
    const md5 = await api.call('POST', '/v1/hash', { body: { input: '', algorithm: 'md5' } });
    expect([md5.status, md5.json.error.code]).toEqual([400, 'unsupported_algorithm']);
    const fmt = await api.call('POST', '/v1/hash', { body: { input: '', format: 'binary' } });
    expect([fmt.status, fmt.json.error.code]).toEqual([400, 'invalid_request']);
  });
});
