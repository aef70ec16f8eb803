/**
 * messages/sign + messages/verify: the round trip for every signing type, and every rejection reason of
 * API.md produced by a concrete forgery or mistake (alg none, HMAC with the public key, another key's kid,
 * alg/key mismatch, duplicate and unknown crit, b64 without crit, non-canonical payload, bad base64url,
 * key states, expiry both ways, replay), the hostile matrix, and a fast-check property.
 */
import { createHmac, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_JWS } from '../../test/support/hostile-jws.ts';
import { testKey, type TestKey } from '../../test/support/keys.ts';
import { memoryGuard } from '../../test/support/replay.ts';
import { keyTypeSpecs, signCompactJws, type KeyType } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import {
  CLOCK_SKEW_SECONDS,
  CONSUME_WINDOW_SECONDS,
  canonicalMessageBytes,
  signMessage,
  verifyMessage,
  type KeyLookup,
  type MessageSigningKey,
} from './index.ts';

const SIGN_TYPES = keyTypeSpecs().filter((s) => s.purpose === 'sign').map((s) => s.type);
const NOW = 1_750_000_000;
const MESSAGE = { amount: '10.00', currency: 'EUR', creditor: { iban: 'DE89370400440532013000' }, ref: 'inv-42' };
const b64u = (v: string | Uint8Array): string => Buffer.from(v).toString('base64url');

const keys = new Map<string, TestKey>();
const k = (type: KeyType, slot = 0): TestKey => keys.get(`${type}#${slot}`) as TestKey;
const signer = (name: string, type: KeyType, version = 1, slot = 0): MessageSigningKey => ({ name, version, spec: k(type, slot).spec, key: k(type, slot).privateKey });

/** The registry the lookup answers from: name → versions (public key, state) and min_version. */
interface Entry {
  readonly type: KeyType;
  readonly min: number;
  readonly versions: Record<number, { slot: number; revoked?: boolean }>;
}
const REGISTRY: Record<string, Entry> = {
  ...Object.fromEntries(SIGN_TYPES.map((t) => [t, { type: t, min: 1, versions: { 1: { slot: 0 } } }])),
  alpha: { type: 'ed25519', min: 1, versions: { 1: { slot: 0 } } },
  beta: { type: 'ed25519', min: 1, versions: { 1: { slot: 1 } } },
  rotated: { type: 'ed25519', min: 2, versions: { 1: { slot: 0 }, 2: { slot: 1, revoked: true }, 3: { slot: 0 } } },
};

const lookup: KeyLookup = async (name, version) => {
  if (name === 'gone') throw new PaysealError('key_not_found', 'no such key');
  const e = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (e === undefined) return { ok: false, reason: 'unknown_key' };
  const v = Object.hasOwn(e.versions, version) ? e.versions[version] : undefined;
  if (v === undefined) return { ok: false, reason: 'unknown_version' };
  if (v.revoked) return { ok: false, reason: 'key_version_revoked' };
  if (version < e.min) return { ok: false, reason: 'below_min_version' };
  return { ok: true, key: { spec: k(e.type, v.slot).spec, key: k(e.type, v.slot).publicKey as KeyObject, version } };
};

/** A JWS with a hand-made header over `payload`, signed by `type`'s key (slot 0) with its own alg machinery. */
async function craft(type: KeyType, header: Record<string, unknown>, payload: string | Buffer = canonicalMessageBytes(MESSAGE)): Promise<string> {
  return signCompactJws(k(type).spec, k(type).privateKey, header, Buffer.from(payload));
}
const JTI = b64u(Buffer.alloc(16, 7));

/** Re-encodes `jws` with the header text replaced and re-signed by `type`'s key, so only the header differs. */
async function withHeaderText(type: KeyType, headerText: string, payload = canonicalMessageBytes(MESSAGE)): Promise<string> {
  const { createSigner, jwsSigningAlgorithm } = await import('../crypto/index.ts');
  const { signOptionsOf } = await import('../crypto/jws-algorithms.ts');
  const input = `${b64u(headerText)}.${b64u(payload)}`;
  const sig = await createSigner(k(type).spec, k(type).privateKey).sign(Buffer.from(input), signOptionsOf(jwsSigningAlgorithm(k(type).spec)));
  return `${input}.${b64u(sig)}`;
}

beforeAll(async () => {
  const wanted = [...SIGN_TYPES.map((t) => [t, 0] as const), ['ed25519', 1] as const];
  const made = await Promise.all(wanted.map(([t, slot]) => testKey(t, slot)));
  wanted.forEach(([t, slot], i) => keys.set(`${t}#${slot}`, made[i] as TestKey));
});

describe.each(SIGN_TYPES.map((t) => [t]))('%s', (type) => {
  it('signs {alg, kid, iat, jti} over the JCS payload and verifies', async () => {
    const signed = await signMessage(signer(type, type), { z: 1, a: [true, null, 'x'] }, { now: NOW });
    const [h, p] = signed.jws.split('.') as [string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['alg', 'kid', 'iat', 'jti']);
    expect(header).toMatchObject({ kid: `${type}:v1`, iat: NOW, jti: signed.jti });
    expect(signed.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(p, 'base64url').toString()).toBe('{"a":[true,null,"x"],"z":1}');
    const answer = await verifyMessage(signed.jws, lookup, { now: NOW });
    expect(answer).toEqual({ valid: true, kid: `${type}:v1`, key_version: 1, iat: NOW, jti: signed.jti, message: { a: [true, null, 'x'], z: 1 } });
  });
});

describe('rejection reasons', () => {
  const header = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ kid: 'alpha:v1', iat: NOW, jti: JTI, ...over });
  const expectFail = async (jws: string, reason: string, detail: string, options = {}): Promise<void> => {
    const a = await verifyMessage(jws, lookup, { now: NOW, ...options });
    expect({ valid: a.valid, reason: a.reason, detail: a.detail, message: a.message }).toEqual({ valid: false, reason, detail, message: undefined });
  };

  it('alg none → bad_signature', async () => {
    await expectFail(`${b64u(JSON.stringify({ alg: 'none', ...header() }))}.${b64u(canonicalMessageBytes(MESSAGE))}.`, 'bad_signature', 'alg_refused');
  });

  it('HS256 keyed with the public key (PEM and DER) → bad_signature', async () => {
    for (const type of ['rsa-2048', 'ecdsa-p256', 'ed25519'] as const) {
      const pub = k(type).publicKey as KeyObject;
      for (const secret of [Buffer.from(k(type).publicPem as string), pub.export({ format: 'der', type: 'spki' })]) {
        const input = `${b64u(JSON.stringify({ alg: 'HS256', ...header({ kid: `${type}:v1` }) }))}.${b64u(canonicalMessageBytes(MESSAGE))}`;
        await expectFail(`${input}.${b64u(createHmac('sha256', secret).update(input).digest())}`, 'bad_signature', 'alg_refused');
      }
    }
  });

  it("another key's kid → bad_signature; a key the caller does not accept → unknown_key", async () => {
    // beta (same type) signs but claims to be alpha.
    const claimed = await signCompactJws(k('ed25519', 1).spec, k('ed25519', 1).privateKey, header(), canonicalMessageBytes(MESSAGE));
    await expectFail(claimed, 'bad_signature', 'signature_invalid');
    const honest = await signMessage(signer('beta', 'ed25519', 1, 1), MESSAGE, { now: NOW });
    expect((await verifyMessage(honest.jws, lookup, { now: NOW })).valid).toBe(true);
    await expectFail(honest.jws, 'unknown_key', 'key_not_accepted', { keys: ['alpha'] });
  });

  it('header alg not allowed by the key type → bad_signature (alg_key_mismatch), before any crypto', async () => {
    // A P-384 key signs ES384 but names the P-256 key; an Ed25519 key names an RSA key.
    await expectFail(await craft('ecdsa-p384', header({ kid: 'ecdsa-p256:v1' })), 'bad_signature', 'alg_key_mismatch');
    await expectFail(await craft('ed25519', header({ kid: 'rsa-2048:v1' })), 'bad_signature', 'alg_key_mismatch');
  });

  it('duplicate header members → malformed', async () => {
    const text = `{"alg":"EdDSA","kid":"alpha:v1","iat":${NOW},"jti":"${JTI}","kid":"beta:v1"}`;
    await expectFail(await withHeaderText('ed25519', text), 'malformed', 'duplicate_header_member');
  });

  it('duplicate crit, unknown crit, b64 outside crit → malformed', async () => {
    await expectFail(await craft('ed25519', header({ crit: ['x', 'x'], x: 1 })), 'malformed', 'crit_invalid');
    await expectFail(await craft('ed25519', header({ crit: ['x'], x: 1 })), 'malformed', 'crit_unknown');
    await expectFail(await craft('ed25519', header({ crit: ['exp'], exp: NOW + 5 })), 'malformed', 'crit_unknown');
    const b64 = `{"alg":"EdDSA","kid":"alpha:v1","iat":${NOW},"jti":"${JTI}","b64":false}`;
    await expectFail(await withHeaderText('ed25519', b64), 'malformed', 'b64_not_critical');
  });

  it('a non-canonical payload, though correctly signed → malformed', async () => {
    for (const payload of ['{"b":1,"a":2}', '{"a": 2}', '{"a":2,"a":2}', '{"a":1.0}', '{"a":12345678901234567890}', '"\\u0041"', '\uFEFF{}', '{"a":"\\ud800"}', '']) {
      await expectFail(await craft('ed25519', header(), payload), 'malformed', 'non_canonical_payload');
    }
  });

  it('bad base64url in any part → malformed', async () => {
    const good = (await signMessage(signer('alpha', 'ed25519'), MESSAGE, { now: NOW })).jws;
    const [h, p, s] = good.split('.') as [string, string, string];
    for (const bad of [`${h}=.${p}.${s}`, `${h}.${p}=.${s}`, `${h}.${p}.${s}=`, `${h}.+${p.slice(1)}.${s}`, `${h}.${p} .${s}`, `${h}.${p}.${s.slice(0, -1)}/`]) {
      await expectFail(bad, 'malformed', 'bad_base64url');
    }
  });

  it('kid, iat and jti must have their one spelling → malformed', async () => {
    for (const kid of ['alpha', 'alpha:v0', 'alpha:v01', 'Alpha:v1', 'alpha:v2147483648', 'alpha:V1', ' alpha:v1', 7]) await expectFail(await craft('ed25519', header({ kid })), 'malformed', 'kid_invalid');
    for (const iat of [String(NOW), NOW + 0.5, -1, null, 2 ** 53]) await expectFail(await craft('ed25519', header({ iat })), 'malformed', 'iat_invalid');
    for (const jti of ['', 'AAAA', `${JTI}=`, b64u(Buffer.alloc(17)), 42]) await expectFail(await craft('ed25519', header({ jti })), 'malformed', 'jti_invalid');
  });

  it('unknown key or version, revoked version, version below min_version', async () => {
    await expectFail(await craft('ed25519', header({ kid: 'nobody:v1' })), 'unknown_key', 'unknown_key');
    await expectFail(await craft('ed25519', header({ kid: 'gone:v1' })), 'unknown_key', 'unknown_key');
    await expectFail(await craft('ed25519', header({ kid: 'alpha:v9' })), 'unknown_key', 'unknown_version');
    await expectFail(await craft('ed25519', header({ kid: 'rotated:v2' })), 'key_version_revoked', 'key_version_revoked');
    await expectFail(await craft('ed25519', header({ kid: 'rotated:v1' })), 'below_min_version', 'below_min_version');
    expect((await verifyMessage(await craft('ed25519', header({ kid: 'rotated:v3' })), lookup, { now: NOW })).valid).toBe(true);
  });

  it(`expired: older than max_age + ${CLOCK_SKEW_SECONDS} s skew, or iat more than the skew ahead`, async () => {
    const at = async (iat: number): Promise<string> => (await signMessage(signer('alpha', 'ed25519'), MESSAGE, { now: iat })).jws;
    expect((await verifyMessage(await at(NOW - 300 - CLOCK_SKEW_SECONDS), lookup, { now: NOW, maxAgeSeconds: 300 })).valid).toBe(true);
    await expectFail(await at(NOW - 301 - CLOCK_SKEW_SECONDS), 'expired', 'too_old', { maxAgeSeconds: 300 });
    expect((await verifyMessage(await at(NOW - 10 ** 8), lookup, { now: NOW })).valid).toBe(true); // no max age: no bound
    expect((await verifyMessage(await at(NOW + CLOCK_SKEW_SECONDS), lookup, { now: NOW })).valid).toBe(true);
    await expectFail(await at(NOW + CLOCK_SKEW_SECONDS + 1), 'expired', 'iat_in_future');
  });

  it('replayed: a second consume of the same jti; only valid messages consume', async () => {
    const guard = memoryGuard();
    const signed = await signMessage(signer('alpha', 'ed25519'), MESSAGE, { now: NOW });
    const forged = await signCompactJws(k('ed25519', 1).spec, k('ed25519', 1).privateKey, header({ jti: signed.jti }), canonicalMessageBytes(MESSAGE));
    await expectFail(forged, 'bad_signature', 'signature_invalid', { replay: guard });
    expect(guard.seen.size).toBe(0);
    expect((await verifyMessage(signed.jws, lookup, { now: NOW, replay: guard })).valid).toBe(true);
    expect(guard.seen.get(signed.jti)).toBe(NOW + CONSUME_WINDOW_SECONDS + CLOCK_SKEW_SECONDS);
    await expectFail(signed.jws, 'replayed', 'replayed', { replay: guard });
    expect((await verifyMessage(signed.jws, lookup, { now: NOW })).valid).toBe(true); // without consume: still verifies
    // Consuming bounds the age: a message older than the window cannot be consumed, so its record may expire.
    const old = await signMessage(signer('alpha', 'ed25519'), MESSAGE, { now: NOW - CONSUME_WINDOW_SECONDS - CLOCK_SKEW_SECONDS - 1 });
    await expectFail(old.jws, 'expired', 'too_old', { replay: guard });
    await expect(verifyMessage(signed.jws, lookup, { replay: guard, maxAgeSeconds: CONSUME_WINDOW_SECONDS + 1 })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('refuses bad options with invalid_request', async () => {
    for (const maxAgeSeconds of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(verifyMessage('x', lookup, { maxAgeSeconds })).rejects.toMatchObject({ code: 'invalid_request' });
    }
  });
});

describe('hostile input', () => {
  it(`answers each of ${HOSTILE_JWS.length} hostile values with valid:false (malformed or bad_signature), never an exception`, async () => {
    for (const input of HOSTILE_JWS) {
      const a = await verifyMessage(input, lookup, { now: NOW });
      expect(a.valid).toBe(false);
      expect(['malformed', 'bad_signature']).toContain(a.reason);
    }
  });
});

describe('property (fast-check)', () => {
  const safe = (v: unknown): boolean => {
    try {
      canonicalMessageBytes(v);
      return true;
    } catch {
      return false;
    }
  };
  const messages = fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 }).filter(safe);

  it.each([['ed25519'], ['ecdsa-p256'], ['rsa-2048']] as const)('%s: sign → verify round-trips any JSON message; any single changed byte fails', async (type) => {
    await fc.assert(
      fc.asyncProperty(messages, fc.nat(), fc.integer({ min: 1, max: 127 }), async (message, at, delta) => {
        const { jws } = await signMessage(signer(type, type), message, { now: NOW });
        const ok = await verifyMessage(jws, lookup, { now: NOW });
        expect(ok.valid).toBe(true);
        expect(canonicalMessageBytes(ok.message).equals(canonicalMessageBytes(message))).toBe(true);
        const bytes = Buffer.from(jws, 'latin1');
        const i = at % bytes.length;
        bytes[i] = ((bytes[i] as number) + delta) % 128;
        const tampered = await verifyMessage(bytes.toString('latin1'), lookup, { now: NOW });
        expect(tampered.valid).toBe(false);
      }),
      { numRuns: type === 'ed25519' ? 200 : 50 },
    );
  });
});
