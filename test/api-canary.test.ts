/**
 * Canary: creates keys of every type, drives the API through its success and error paths, then searches every
 * captured log line, every response body (except the one that legitimately returns a new client's token) and the
 * /metrics page for private material: each version's PKCS#8 DER / raw AES key (base64, base64url, hex, PEM
 * lines), private JWK members, the KEK, client tokens, and the strings "PRIVATE KEY" and "Bearer ".
 */
import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_TYPES } from '../src/crypto/index.ts';
import { b64, request, startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
/** Encodings of secret-only values (private scalars, raw AES keys, KEK, tokens): any 24-character window is a leak. */
const secrets = new Map<string, string>();
/** Whole PKCS#8 encodings: they embed public parameters too (RSA n, DSA p/q/g), so only the whole string counts. */
const wholes = new Map<string, string>();

function remember(label: string, value: Buffer | string, into = secrets): void {
  const forms = typeof value === 'string' ? [value] : [value.toString('base64'), value.toString('base64url'), value.toString('hex')];
  for (const form of forms) if (form.length >= 24) into.set(form, label);
}

function rememberKey(label: string, key: KeyObject): void {
  if (key.type === 'secret') {
    remember(`${label} AES key`, key.export());
    return;
  }
  const der = key.export({ type: 'pkcs8', format: 'der' });
  remember(`${label} PKCS#8`, der, wholes);
  if (key.asymmetricKeyType === 'dsa') {
    // PKCS#8 DSA ends with the private exponent x, an INTEGER of N = 256 bits (RFC 3279 §2.3.2, FIPS 186-4 §4.1).
    remember(`${label} x`, der.subarray(der.length - 32));
    return;
  }
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) if (typeof jwk[member] === 'string') remember(`${label} jwk.${member}`, jwk[member]!);
}

beforeAll(async () => {
  api = await startApi();
  const reader = await api.client('canary-reader', ['keys:read', 'sign:*', 'verify:*', 'encrypt:*', 'decrypt:*', 'hash']);
  remember('admin token', api.adminToken);
  remember('client token', reader);
  remember('KEK', Buffer.from(api.config.kekBase64!, 'base64'));

  await Promise.all(KEY_TYPES.map((type) => api.call('POST', '/v1/keys', { body: { name: `c-${type}`, type } })));
  for (const type of KEY_TYPES) {
    const name = `c-${type}`;
    const purpose = type.startsWith('aes-') ? 'encrypt' : 'sign';
    const newest = () => (purpose === 'encrypt' ? api.runtime.keys.reserveEncryption(name) : api.runtime.keys.latestFor(name, 'sign'));
    rememberKey(`${name} v1`, (await newest()).key);
    await api.call('POST', `/v1/keys/${name}/rotate`);
    rememberKey(`${name} v2`, (await newest()).key);
    if (purpose === 'sign') {
      const sig = await api.call('POST', `/v1/keys/${name}/sign`, { token: reader, body: { input: b64('canary') } });
      await api.call('POST', `/v1/keys/${name}/verify`, { token: reader, body: { input: b64('canary'), signature: sig.json.signature } });
      await api.call('POST', `/v1/keys/${name}/verify`, { token: reader, body: { input: b64('canary'), signature: 'payseal:v1:AAAA' } });
      await api.call('POST', `/v1/keys/${name}/sign`, { token: reader, body: { batch_input: [{ input: b64('a') }, { input: '!' }] } });
      await api.call('POST', `/v1/keys/${name}/sign`, { token: reader, body: { input: b64('x'), hash: 'md5' } });
      await api.call('POST', `/v1/keys/${name}/encrypt`, { token: reader, body: { plaintext: b64('x') } });
      await api.call('GET', `/v1/keys/${name}/public`, { token: reader });
    } else {
      const enc = await api.call('POST', `/v1/keys/${name}/encrypt`, { token: reader, body: { plaintext: b64('canary'), aad: b64('a') } });
      await api.call('POST', `/v1/keys/${name}/decrypt`, { token: reader, body: { ciphertext: enc.json.ciphertext, aad: b64('a') } });
      await api.call('POST', `/v1/keys/${name}/decrypt`, { token: reader, body: { ciphertext: enc.json.ciphertext, aad: b64('b') } });
      await api.call('POST', `/v1/keys/${name}/rewrap`, { body: { ciphertext: enc.json.ciphertext, aad: b64('a') } });
      await api.call('POST', `/v1/keys/${name}/sign`, { token: reader, body: { input: b64('x') } });
      await api.call('GET', `/v1/keys/${name}/public`, { token: reader });
    }
    await api.call('POST', `/v1/keys/${name}/versions/1/destroy`);
    await api.call('GET', `/v1/keys/${name}`, { token: reader });
  }
  await api.call('GET', '/v1/keys', { token: reader });
  await api.call('GET', '/v1/clients');
  await api.call('GET', '/.well-known/jwks.json');
  await api.call('GET', '/v1/keys', { token: `${api.adminToken}x` });
  await api.call('POST', '/v1/keys', { token: reader, body: { name: 'forbidden', type: 'ed25519' } });
  await api.call('POST', '/v1/hash', { token: reader, body: { input: b64('x') } });
  api.responses.push((await request(api.url, 'GET', '/metrics')).text);
});
afterAll(async () => api?.close());

function findLeaks(haystacks: readonly { where: string; text: string }[]): string[] {
  const leaks: string[] = [];
  for (const { where, text } of haystacks) {
    if (/PRIVATE KEY/.test(text)) leaks.push(`${where}: PRIVATE KEY`);
    if (/Bearer /i.test(text) && where === 'log') leaks.push(`${where}: Bearer`);
    for (const [whole, label] of wholes) if (text.includes(whole)) leaks.push(`${where}: ${label}`);
    for (const [secret, label] of secrets) {
      // Any 24-character window of a secret's encoding counts, not only the whole string.
      for (let i = 0; i + 24 <= secret.length; i += 12) {
        if (text.includes(secret.slice(i, i + 24))) {
          leaks.push(`${where}: ${label}`);
          break;
        }
      }
    }
  }
  return leaks;
}

describe('canary: no private material anywhere', () => {
  it('collected the secrets of every key type and produced logs and responses to search', () => {
    expect(wholes.size).toBeGreaterThanOrEqual((KEY_TYPES.length - 2) * 2 * 2);
    expect(secrets.size).toBeGreaterThan(KEY_TYPES.length * 2 * 3);
    expect(api.logs.length).toBeGreaterThan(50);
    expect(api.responses.length).toBeGreaterThan(50);
  });

  it('no secret, PEM private key marker or bearer credential appears in any log line, response or metric', () => {
    // The answer to POST /v1/clients carries the new token by design (API.md: shown once).
    const haystacks = [
      ...api.logs.map((text) => ({ where: 'log', text })),
      ...api.responses.filter((text) => !text.includes('"token"')).map((text) => ({ where: 'response', text })),
    ];
    expect(findLeaks(haystacks)).toEqual([]);
  });

  it('the detector finds a planted window of a private scalar, a whole PKCS#8 and a log with a bearer token', () => {
    const [scalar] = [...secrets.entries()].find(([, label]) => label.includes('jwk.d'))!;
    const [whole] = [...wholes.keys()];
    expect(findLeaks([{ where: 'response', text: `xx${scalar.slice(30, 60)}xx` }])).toHaveLength(1);
    expect(findLeaks([{ where: 'response', text: JSON.stringify({ k: whole }) }]).length).toBeGreaterThanOrEqual(1);
    expect(findLeaks([{ where: 'log', text: '{"h":"Bearer abc"}' }])).toEqual(['log: Bearer']);
  });

  it('the client-creation answer is the only place a token appeared', () => {
    const withToken = api.responses.filter((t) => t.includes(api.adminToken.slice(0, 24)) || [...secrets.entries()].some(([s, l]) => l === 'client token' && t.includes(s)));
    expect(withToken).toHaveLength(1);
    expect(JSON.parse(withToken[0]!)).toMatchObject({ name: 'canary-reader', token: expect.any(String) });
  });
});
