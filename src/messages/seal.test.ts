/**
 * messages/seal and messages/open: the compact JWE (dir, A128GCM/A256GCM by key size, kid, cty JWT) around
 * the message JWS; jose's compactDecrypt opens ours and we open jose's; tampering with any part, a wrong or
 * revoked AES version, a header that breaks the profile (zip, crit, alg, enc), and replay through open.
 */
import { type KeyObject } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_JWS } from '../../test/support/hostile-jws.ts';
import { testKey, type TestKey } from '../../test/support/keys.ts';
import type { KeyType } from '../crypto/index.ts';
import { canonicalMessageBytes, openMessage, sealJws, sealMessage, signMessage, type KeyLookup, type MessageEncryptionKey, type ReplayGuard } from './index.ts';

const MESSAGE = { amount: '99.99', currency: 'EUR', to: 'ledger' };
const keys = new Map<string, TestKey>();
const key = (t: KeyType, slot = 0): TestKey => keys.get(`${t}#${slot}`) as TestKey;
const aes = (t: 'aes-128-gcm' | 'aes-256-gcm', slot = 0, version = 1): MessageEncryptionKey => ({ name: 'vault', version, spec: key(t, slot).spec, key: key(t, slot).privateKey });
const signer = { name: 'payments', version: 1, get spec() { return key('ecdsa-p256').spec; }, get key() { return key('ecdsa-p256').privateKey; } };

const verifyLookup: KeyLookup = async (name, version) =>
  name === 'payments' && version === 1 ? { ok: true, key: { spec: key('ecdsa-p256').spec, key: key('ecdsa-p256').publicKey as KeyObject, version } } : { ok: false, reason: 'unknown_key' };
/** vault:v1 is AES-256 slot 0, vault:v2 AES-128, vault:v3 revoked, vault:v4 AES-256 slot 1 (another key). */
const decryptLookup: KeyLookup = async (name, version) => {
  if (name !== 'vault') return { ok: false, reason: 'unknown_key' };
  if (version === 3) return { ok: false, reason: 'key_version_revoked' };
  const k = version === 1 ? key('aes-256-gcm') : version === 2 ? key('aes-128-gcm') : version === 4 ? key('aes-256-gcm', 1) : undefined;
  return k === undefined ? { ok: false, reason: 'unknown_version' } : { ok: true, key: { spec: k.spec, key: k.privateKey, version } };
};

beforeAll(async () => {
  const wanted = [['ecdsa-p256', 0], ['aes-128-gcm', 0], ['aes-256-gcm', 0], ['aes-256-gcm', 1]] as const;
  const made = await Promise.all(wanted.map(([t, s]) => testKey(t, s)));
  wanted.forEach(([t, s], i) => keys.set(`${t}#${s}`, made[i] as TestKey));
});

const part = (jwe: string, i: number): string => jwe.split('.')[i] as string;
const headerOf = (jwe: string): unknown => JSON.parse(Buffer.from(part(jwe, 0), 'base64url').toString());

describe('seal → open', () => {
  it.each([
    ['aes-256-gcm', 1, 'A256GCM'],
    ['aes-128-gcm', 2, 'A128GCM'],
  ] as const)('%s: a compact JWE {alg: dir, enc: %s} that opens to the verified message', async (type, version, enc) => {
    const { sealed, signed } = await sealMessage(signer, aes(type, 0, version), MESSAGE);
    expect(headerOf(sealed)).toEqual({ alg: 'dir', enc, kid: `vault:v${version}`, cty: 'JWT' });
    expect(part(sealed, 1)).toBe('');
    expect(Buffer.from(part(sealed, 2), 'base64url')).toHaveLength(12);
    expect(Buffer.from(part(sealed, 4), 'base64url')).toHaveLength(16);
    expect(await openMessage(sealed, decryptLookup, verifyLookup)).toEqual({ valid: true, kid: 'payments:v1', key_version: 1, iat: signed.iat, jti: signed.jti, message: MESSAGE });
    // jose opens ours with the raw AES key and finds the JWS inside.
    const jose = await compactDecrypt(sealed, key(type).privateKey);
    expect(Buffer.from(jose.plaintext).toString()).toBe(signed.jws);
    expect(jose.protectedHeader).toMatchObject({ alg: 'dir', enc, cty: 'JWT' });
  });

  it("opens jose's JWE around a payseal JWS", async () => {
    const signed = await signMessage(signer, MESSAGE);
    const jwe = await new CompactEncrypt(Buffer.from(signed.jws))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'vault:v1', cty: 'JWT' })
      .encrypt(key('aes-256-gcm').privateKey as KeyObject);
    expect(await openMessage(jwe, decryptLookup, verifyLookup)).toMatchObject({ valid: true, message: MESSAGE });
  });

  it('consumes through open: a second open of the same sealed message is replayed', async () => {
    const seen = new Set<string>();
    const guard: ReplayGuard = { consume: async (jti) => !seen.has(jti) && seen.add(jti) !== undefined };
    const { sealed } = await sealMessage(signer, aes('aes-256-gcm'), MESSAGE);
    expect((await openMessage(sealed, decryptLookup, verifyLookup, { replay: guard })).valid).toBe(true);
    expect(await openMessage(sealed, decryptLookup, verifyLookup, { replay: guard })).toMatchObject({ valid: false, reason: 'replayed' });
  });

  it('refuses to seal with a signing key or sign with an AES key', async () => {
    const wrong = { name: 'vault', version: 1, spec: key('ecdsa-p256').spec, key: key('ecdsa-p256').privateKey };
    await expect(sealMessage(signer, wrong, MESSAGE)).rejects.toMatchObject({ code: 'key_type_mismatch' });
    expect(() => sealJws(wrong, 'a.b.c')).toThrow(expect.objectContaining({ code: 'key_type_mismatch' }));
  });
});

describe('refusals', () => {
  const open = (s: unknown) => openMessage(s, decryptLookup, verifyLookup);

  it('any flipped bit in header, IV, ciphertext or tag → bad_signature (decryption_failed) or malformed', async () => {
    const { sealed } = await sealMessage(signer, aes('aes-256-gcm'), MESSAGE);
    for (const i of [2, 3, 4]) {
      const parts = sealed.split('.');
      const bytes = Buffer.from(parts[i] as string, 'base64url');
      bytes[0] = (bytes[0] as number) ^ 1;
      parts[i] = bytes.toString('base64url');
      expect(await open(parts.join('.'))).toMatchObject({ valid: false, reason: 'bad_signature', detail: 'decryption_failed' });
    }
    // The header is the AAD: re-encoded with a different (still valid) member order, the tag no longer matches.
    const reordered = Buffer.from(JSON.stringify({ enc: 'A256GCM', alg: 'dir', kid: 'vault:v1', cty: 'JWT' })).toString('base64url');
    expect(await open([reordered, ...sealed.split('.').slice(1)].join('.'))).toMatchObject({ valid: false, detail: 'decryption_failed' });
  });

  it('another AES key, a revoked version, an unknown key, enc not matching the key size', async () => {
    const { sealed } = await sealMessage(signer, aes('aes-256-gcm'), MESSAGE);
    const relabel = (kid: string, enc = 'A256GCM'): string =>
      [Buffer.from(JSON.stringify({ alg: 'dir', enc, kid, cty: 'JWT' })).toString('base64url'), ...sealed.split('.').slice(1)].join('.');
    expect(await open(relabel('vault:v4'))).toMatchObject({ valid: false, reason: 'bad_signature', detail: 'decryption_failed' });
    expect(await open(relabel('vault:v3'))).toMatchObject({ valid: false, reason: 'key_version_revoked' });
    expect(await open(relabel('vault:v9'))).toMatchObject({ valid: false, reason: 'unknown_key', detail: 'unknown_version' });
    expect(await open(relabel('other:v1'))).toMatchObject({ valid: false, reason: 'unknown_key' });
    expect(await open(relabel('vault:v2'))).toMatchObject({ valid: false, reason: 'bad_signature', detail: 'enc_key_mismatch' });
    expect(await open(relabel('vault:v1', 'A128GCM'))).toMatchObject({ valid: false, detail: 'enc_key_mismatch' });
    expect(await open(relabel('vault'))).toMatchObject({ valid: false, reason: 'malformed', detail: 'kid_invalid' });
  });

  it('headers outside the profile, wrong part counts or lengths → malformed (jwe_invalid)', async () => {
    const { sealed } = await sealMessage(signer, aes('aes-256-gcm'), MESSAGE);
    const [, , iv, ct, tag] = sealed.split('.') as [string, string, string, string, string];
    const h = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const base = { alg: 'dir', enc: 'A256GCM', kid: 'vault:v1', cty: 'JWT' };
    const cases = [
      [h({ ...base, zip: 'DEF' }), '', iv, ct, tag],
      [h({ ...base, crit: ['x'], x: 1 }), '', iv, ct, tag],
      [h({ ...base, alg: 'A256KW' }), '', iv, ct, tag],
      [h({ ...base, cty: 'json' }), '', iv, ct, tag],
      [Buffer.from('{"alg":"dir","alg":"dir","enc":"A256GCM","kid":"vault:v1","cty":"JWT"}').toString('base64url'), '', iv, ct, tag],
      [h(base), 'AAAA', iv, ct, tag],
      [h(base), '', 'AAAA', ct, tag],
      [h(base), '', iv, ct, `${tag.slice(0, -2)}`],
      [h(base), '', iv, `${ct}=`, tag],
      [h(base), '', iv, ct],
    ];
    for (const c of cases) expect(await open(c.join('.'))).toMatchObject({ valid: false, reason: 'malformed', detail: 'jwe_invalid' });
    for (const input of HOSTILE_JWS) expect((await open(input)).valid).toBe(false);
  });

  it('a JWE whose plaintext is not a canonical message JWS is refused by the verify step', async () => {
    const inner = await signMessage(signer, MESSAGE);
    const tampered = `${inner.jws.split('.')[0]}.${Buffer.from(canonicalMessageBytes({ amount: '9999.99' })).toString('base64url')}.${inner.jws.split('.')[2]}`;
    expect(await open(sealJws(aes('aes-256-gcm'), tampered))).toMatchObject({ valid: false, reason: 'bad_signature', kid: 'payments:v1' });
  });
});
