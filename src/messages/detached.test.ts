/**
 * messages/detached: detached JWS over raw body bytes in both variants (RFC 7797 b64:false with b64 in crit,
 * and the b64-less form of Open Banking v3.1.4+), for every signing type; the Open Banking critical claims
 * named by the caller; interop with jose's flattened JWS both ways; and the refusals (changed body, unknown or
 * unnamed critical members, b64 outside crit, an attached JWS, hostile input); freshness and consume when
 * the header carries iat and jti, and `malformed` when they are asked for and absent.
 */
import type { KeyObject } from 'node:crypto';
import { FlattenedSign, flattenedVerify, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_JWS } from '../../test/support/hostile-jws.ts';
import { memoryGuard } from '../../test/support/replay.ts';
import { testKey, type TestKey } from '../../test/support/keys.ts';
import { keyTypeSpecs, publicJwk, type KeyType } from '../crypto/index.ts';
import { signDetached, verifyDetached, type KeyLookup, type MessageSigningKey } from './index.ts';

const SIGN_TYPES = keyTypeSpecs().filter((s) => s.purpose === 'sign').map((s) => s.type);
const OB = { iat: 'http://openbanking.org.uk/iat', iss: 'http://openbanking.org.uk/iss', tan: 'http://openbanking.org.uk/tan' } as const;
const OB_HEADER = { typ: 'JOSE', cty: 'application/json', [OB.iat]: 1_750_000_000, [OB.iss]: '0015800001041REAAY/GeS1T0IOH2hCJ0xsT7mKGh', [OB.tan]: 'openbanking.org.uk' };
// Exact bytes as a partner sends them: whitespace and member order matter, nothing is canonicalized.
const BODY = Buffer.from('{\n  "Data": {"Initiation": {"InstructedAmount": {"Amount": "165.88", "Currency": "GBP"}}},\n  "Risk": {}\n}\n');

const keys = new Map<KeyType, TestKey>();
const key = (t: KeyType): TestKey => keys.get(t) as TestKey;
const signer = (t: KeyType): MessageSigningKey => ({ name: t, version: 1, spec: key(t).spec, key: key(t).privateKey });
const lookup: KeyLookup = async (name, version) =>
  keys.has(name as KeyType) && version === 1
    ? { ok: true, key: { spec: key(name as KeyType).spec, key: key(name as KeyType).publicKey as KeyObject, version } }
    : { ok: false, reason: 'unknown_key' };

beforeAll(async () => {
  const made = await Promise.all(SIGN_TYPES.map((t) => testKey(t)));
  SIGN_TYPES.forEach((t, i) => keys.set(t, made[i] as TestKey));
});

const headerOf = (jws: string): Record<string, unknown> => JSON.parse(Buffer.from(jws.split('.')[0] as string, 'base64url').toString()) as Record<string, unknown>;

describe.each(SIGN_TYPES.map((t) => [t]))('%s', (type) => {
  it('b64:false (RFC 7797) and b64-less: header..signature that verifies only over the exact body', async () => {
    for (const b64 of [false, true]) {
      const signed = await signDetached(signer(type), BODY, { b64 });
      expect(signed.jws).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
      expect(headerOf(signed.jws)).toEqual(b64 ? { alg: expect.any(String), kid: `${type}:v1` } : { alg: expect.any(String), kid: `${type}:v1`, b64: false, crit: ['b64'] });
      expect(await verifyDetached(signed.jws, BODY, lookup)).toMatchObject({ valid: true, kid: `${type}:v1`, key_version: 1, b64: !b64 ? false : true });
      const reformatted = Buffer.from(JSON.stringify(JSON.parse(BODY.toString())));
      expect(await verifyDetached(signed.jws, reformatted, lookup)).toMatchObject({ valid: false, reason: 'bad_signature', detail: 'signature_invalid' });
    }
  });
});

describe('Open Banking profile', () => {
  it('signs with the OB claims critical; the verifier must name them, and gets the header to check them', async () => {
    const crit = [OB.iat, OB.iss, OB.tan];
    for (const b64 of [false, true]) {
      const signed = await signDetached(signer('rsa-2048'), BODY, { b64, header: OB_HEADER, crit });
      const h = headerOf(signed.jws);
      expect(h.crit).toEqual(b64 ? crit : [...crit, 'b64']);
      expect(h.alg).toBe('PS256');
      const ok = await verifyDetached(signed.jws, BODY, lookup, { crit });
      expect(ok.valid).toBe(true);
      expect(ok.header).toMatchObject(OB_HEADER);
      expect(await verifyDetached(signed.jws, BODY, lookup)).toMatchObject({ valid: false, reason: 'malformed', detail: 'crit_unknown' });
      expect(await verifyDetached(signed.jws, BODY, lookup, { crit: [OB.iat, OB.iss] })).toMatchObject({ valid: false, detail: 'crit_unknown' });
    }
  });

  it('refuses to sign a header that sets alg, kid, b64 or crit itself, or marks an absent member critical', async () => {
    for (const header of [{ alg: 'none' }, { kid: 'other:v1' }, { b64: true }, { crit: ['b64'] }]) {
      await expect(signDetached(signer('ed25519'), BODY, { header })).rejects.toMatchObject({ code: 'invalid_request' });
    }
    await expect(signDetached(signer('ed25519'), BODY, { crit: [OB.tan] })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(signDetached(signer('ed25519'), BODY, { header: { kid2: 1 }, crit: ['alg'] })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('interop with jose (flattened JWS, detached)', () => {
  for (const type of ['rsa-2048', 'ecdsa-p256', 'ed25519'] as const) {
    it(`${type}: payseal's detached JWS verifies with jose, and jose's with payseal (b64:false and b64-less)`, async () => {
      const jwk = publicJwk(key(type).spec, key(type).publicKey as KeyObject, `${type}:v1`) as Record<string, unknown>;
      const publicKey = await importJWK(jwk as never, jwk.alg as string);
      for (const b64 of [false, true]) {
        const signed = await signDetached(signer(type), BODY, { b64, header: OB_HEADER, crit: [OB.iat, OB.iss, OB.tan] });
        const [protectedB64, , signature] = signed.jws.split('.') as [string, string, string];
        const payload = b64 ? BODY.toString('base64url') : BODY;
        const joseCrit = { [OB.iat]: true, [OB.iss]: true, [OB.tan]: true };
        const r = await flattenedVerify({ protected: protectedB64, payload: payload as never, signature }, publicKey, { crit: joseCrit });
        expect(Buffer.from(r.payload).equals(BODY)).toBe(true);

        const header = { alg: jwk.alg as string, kid: `${type}:v1`, ...(b64 ? {} : { b64: false, crit: ['b64'] }) };
        const fromJose = await new FlattenedSign(BODY).setProtectedHeader(header).sign(key(type).privateKey);
        expect(await verifyDetached(`${fromJose.protected}..${fromJose.signature}`, BODY, lookup)).toMatchObject({ valid: true, b64 });
      }
    });
  }
});

describe('refusals', () => {
  it('b64:false outside crit, an attached JWS, a kid that is not name:vN, an unknown key', async () => {
    const fromJose = await new FlattenedSign(BODY).setProtectedHeader({ alg: 'EdDSA', kid: 'ed25519:v1', b64: false, crit: ['b64'] }).sign(key('ed25519').privateKey);
    const noCrit = Buffer.from('{"alg":"EdDSA","kid":"ed25519:v1","b64":false}').toString('base64url');
    expect(await verifyDetached(`${noCrit}..${fromJose.signature}`, BODY, lookup)).toMatchObject({ valid: false, reason: 'malformed', detail: 'b64_not_critical' });
    expect(await verifyDetached(`${fromJose.protected}.${BODY.toString('base64url')}.${fromJose.signature}`, BODY, lookup)).toMatchObject({
      valid: false,
      reason: 'malformed',
      detail: 'payload_not_detached',
    });
    const badKid = await new FlattenedSign(BODY).setProtectedHeader({ alg: 'EdDSA', kid: 'bilbo.baggins@hobbiton.example' }).sign(key('ed25519').privateKey);
    expect(await verifyDetached(`${badKid.protected}..${badKid.signature}`, BODY, lookup)).toMatchObject({ valid: false, reason: 'malformed', detail: 'kid_invalid' });
    const other = await new FlattenedSign(BODY).setProtectedHeader({ alg: 'EdDSA', kid: 'partner:v1' }).sign(key('ed25519').privateKey);
    expect(await verifyDetached(`${other.protected}..${other.signature}`, BODY, lookup)).toMatchObject({ valid: false, reason: 'unknown_key' });
    const signed = await signDetached(signer('ed25519'), BODY);
    expect(await verifyDetached(signed.jws, BODY, lookup, { keys: ['rsa-2048'] })).toMatchObject({ valid: false, reason: 'unknown_key', detail: 'key_not_accepted' });
  });

  it(`answers each of ${HOSTILE_JWS.length} hostile inputs with valid:false, never an exception`, async () => {
    for (const input of HOSTILE_JWS) {
      const a = await verifyDetached(input, BODY, lookup);
      expect(a.valid).toBe(false);
      expect(['malformed', 'bad_signature']).toContain(a.reason);
    }
  });
});

describe('freshness and consume (header iat and jti)', () => {
  const JTI = 'q83vEjRWeJq83vEjRWeJqw';
  it('iat and jti are reported; max_age, an iat in the future and a second consume are refused as for messages', async () => {
    const now = 1_800_000_000;
    const signed = await signDetached(signer('ed25519'), BODY, { header: { iat: now - 100, jti: JTI } });
    expect(await verifyDetached(signed.jws, BODY, lookup, { now })).toMatchObject({ valid: true, iat: now - 100, jti: JTI });
    expect(await verifyDetached(signed.jws, BODY, lookup, { now, maxAgeSeconds: 30 })).toMatchObject({ valid: false, reason: 'expired', detail: 'too_old' });
    expect(await verifyDetached(signed.jws, BODY, lookup, { now: now - 200 })).toMatchObject({ valid: false, reason: 'expired', detail: 'iat_in_future' });
    const guard = memoryGuard();
    expect(await verifyDetached(signed.jws, BODY, lookup, { now, replay: guard })).toMatchObject({ valid: true });
    expect(await verifyDetached(signed.jws, BODY, lookup, { now, replay: guard })).toMatchObject({ valid: false, reason: 'replayed' });
    // A changed body never burns the jti: the signature is checked first.
    const other = await signDetached(signer('ed25519'), BODY, { header: { iat: now, jti: 'AAAAAAAAAAAAAAAAAAAAAA' } });
    expect(await verifyDetached(other.jws, Buffer.from('{}'), lookup, { now, replay: guard })).toMatchObject({ reason: 'bad_signature' });
    expect(guard.seen.has('AAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
  });

  it('max_age or consume of a signature without iat / jti is malformed, never a silent pass', async () => {
    const bare = await signDetached(signer('ed25519'), BODY);
    expect(await verifyDetached(bare.jws, BODY, lookup)).toMatchObject({ valid: true, iat: null, jti: null });
    expect(await verifyDetached(bare.jws, BODY, lookup, { maxAgeSeconds: 60 })).toMatchObject({ valid: false, reason: 'malformed', detail: 'iat_invalid' });
    expect(await verifyDetached(bare.jws, BODY, lookup, { replay: memoryGuard() })).toMatchObject({ valid: false, reason: 'malformed', detail: 'iat_invalid' });
    const iatOnly = await signDetached(signer('ed25519'), BODY, { header: { iat: Math.floor(Date.now() / 1000), jti: 'not-16-bytes' } });
    expect(await verifyDetached(iatOnly.jws, BODY, lookup, { replay: memoryGuard() })).toMatchObject({ valid: false, reason: 'malformed', detail: 'jti_invalid' });
  });
});
