/**
 * ECDSA malleability through the API (issue 11): every signature payseal makes is low-S, for every ECDSA type
 * and both encodings; by default (r, n − s) still verifies (the documented default: accept both); a key set
 * `low_s_only` (PATCH /v1/keys/{name} or `payseal keys configure --low-s-only`, shown in KeyInfo) answers
 * `bad_signature` for it and for the other encoding of the same signature, and can be switched back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToP1363, ecdsaOrder, p1363ToDer, resolveKeyType, type KeyType } from '../src/crypto/index.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';
import { envFor, payseal } from './support/cli.ts';
import { eventually } from './support/poll.ts';

const ECDSA: readonly KeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ecdsa-secp256k1'];
const INPUT = b64('invoice 2026-118: 100.00 EUR');

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
  for (const type of ECDSA) await api.call('POST', '/v1/keys', { body: { name: `ls-${type}`, type } });
  await api.call('POST', '/v1/keys', { body: { name: 'ls-ed', type: 'ed25519' } });
});
afterAll(async () => api?.close());

const big = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex')}`);
const bytesOf = (signature: string) => Buffer.from(signature.split(':')[2]!, 'base64');
const envelope = (bytes: Buffer) => `payseal:v1:${bytes.toString('base64')}`;

/** r ‖ s of a payseal signature and the pieces to rebuild one. */
function parts(type: KeyType, signature: string, encoding: 'der' | 'p1363') {
  const spec = resolveKeyType(type);
  const size = spec.scalarBytes as number;
  const pair = encoding === 'der' ? derToP1363(bytesOf(signature), size) : bytesOf(signature);
  const n = ecdsaOrder(spec);
  const s = big(pair.subarray(size));
  const high = Buffer.from(pair);
  high.set(Buffer.from((n - s).toString(16).padStart(2 * size, '0'), 'hex'), size);
  return { n, s, pair, high: encoding === 'der' ? p1363ToDer(high) : high };
}

const sign = async (type: KeyType, encoding: 'der' | 'p1363') =>
  (await api.call('POST', `/v1/keys/ls-${type}/sign`, { body: { input: INPUT, signature_encoding: encoding } })).json.signature as string;
const verify = async (type: KeyType, signature: string, encoding?: 'der' | 'p1363') =>
  (await api.call('POST', `/v1/keys/ls-${type}/verify`, { body: { input: INPUT, signature, ...(encoding ? { signature_encoding: encoding } : {}) } })).json;

describe.each(ECDSA)('%s', (type) => {
  it.each(['der', 'p1363'] as const)('signs low-S only (%s, a batch of 40)', async (encoding) => {
    const res = await api.call('POST', `/v1/keys/ls-${type}/sign`, {
      body: { signature_encoding: encoding, batch_input: Array.from({ length: 40 }, () => ({ input: INPUT })) },
    });
    for (const slot of res.json.batch_results as { signature: string }[]) {
      const { n, s } = parts(type, slot.signature, encoding);
      expect(s <= n >> 1n).toBe(true);
    }
  });

  it('by default (r, n − s) verifies too; low_s_only refuses it and the other encoding; switched back, it verifies again', async () => {
    const sig = await sign(type, 'der');
    const { pair, high } = parts(type, sig, 'der');
    expect(await verify(type, envelope(high))).toEqual({ valid: true, key_version: 1 });

    const strict = await api.call('PATCH', `/v1/keys/ls-${type}`, { body: { low_s_only: true } });
    expect([strict.status, strict.json.low_s_only]).toEqual([200, true]);
    expect(await verify(type, sig)).toEqual({ valid: true, key_version: 1 });
    expect(await verify(type, envelope(high))).toEqual({ valid: false, key_version: 1, reason: 'bad_signature' });
    expect(await verify(type, envelope(pair))).toEqual({ valid: false, key_version: 1, reason: 'bad_signature' });
    expect(await verify(type, sig, 'p1363')).toEqual({ valid: false, key_version: 1, reason: 'bad_signature' });
    expect(await verify(type, envelope(pair), 'p1363')).toEqual({ valid: true, key_version: 1 });

    const lenient = await api.call('PATCH', `/v1/keys/ls-${type}`, { body: { low_s_only: false } });
    expect([lenient.status, lenient.json.low_s_only]).toEqual([200, false]);
    expect(await verify(type, envelope(high))).toEqual({ valid: true, key_version: 1 });
  });
});

describe('low_s_only as a setting', () => {
  it('KeyInfo shows it on ECDSA keys (false by default) and nowhere else; other types refuse true', async () => {
    expect((await api.call('GET', '/v1/keys/ls-ecdsa-p256')).json.low_s_only).toBe(false);
    expect((await api.call('GET', '/v1/keys/ls-ed')).json).not.toHaveProperty('low_s_only');
    const refused = await api.call('PATCH', '/v1/keys/ls-ed', { body: { low_s_only: true } });
    expect([refused.status, refused.json.error.code]).toEqual([400, 'unsupported_algorithm']);
    const malformed = await api.call('PATCH', '/v1/keys/ls-ecdsa-p256', { body: { low_s_only: 'yes' } });
    expect([malformed.status, malformed.json.error.code]).toEqual([400, 'invalid_request']);
  });

  it('payseal keys configure --low-s-only sets it, and the service verifies strictly within a second', async () => {
    const sig = await sign('ecdsa-p384', 'p1363');
    const high = envelope(parts('ecdsa-p384', sig, 'p1363').high);
    const r = await payseal(['keys', 'configure', 'ls-ecdsa-p384', '--low-s-only', '--json'], envFor(api.config));
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout).low_s_only).toBe(true);
    const refused = async () => (await verify('ecdsa-p384', high, 'p1363')).valid === false;
    expect(await eventually(2000, refused, 50)).toBe(true);
    const back = await payseal(['keys', 'configure', 'ls-ecdsa-p384', '--no-low-s-only'], envFor(api.config));
    expect(back.code).toBe(0);
    expect(back.stdout).not.toMatch(/low-S only/);
  });
});
