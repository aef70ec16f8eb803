/**
 * The compact-JWS codec: the alg table and algsForKey, sign → parse → verify for every signing type
 * (attached, detached, RFC 7797 b64:false), r‖s lengths, the refusals (alg none, HMAC with the public key as
 * secret, alg/key mismatch, another key), crit and b64 rules, duplicate members, and the hostile matrix.
 */
import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { testKey, type TestKey } from '../../test/support/keys.ts';
import { HOSTILE_JWS } from '../../test/support/hostile-jws.ts';
import { hasNoDuplicateMembers } from './_json-members.ts';
import { signOptionsOf } from './jws-algorithms.ts';
import {
  JWS_ALGS,
  JwsError,
  algsForKey,
  createSigner,
  jwsSigningAlgorithm,
  keyTypeSpecs,
  parseCompactJws,
  resolveJwsAlgorithm,
  resolveKeyType,
  signCompactJws,
  verifyJwsSignature,
  type KeyType,
} from './index.ts';

const SIGN_TYPES = keyTypeSpecs().filter((s) => s.purpose === 'sign').map((s) => s.type);
const b64u = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');
const PAYLOAD = Buffer.from('{"amount":"10.00","currency":"EUR"}');

const keys = new Map<string, TestKey>();
const key = (type: KeyType, slot = 0): TestKey => keys.get(`${type}#${slot}`) as TestKey;

beforeAll(async () => {
  const wanted = SIGN_TYPES.flatMap((t) => [0, 1].map((slot) => [t, slot] as const));
  const made = await Promise.all(wanted.map(([t, slot]) => testKey(t, slot)));
  wanted.forEach(([t, slot], i) => keys.set(`${t}#${slot}`, made[i] as TestKey));
});

function failureOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof JwsError ? e.failure : `not a JwsError: ${String(e)}`;
  }
  return 'accepted';
}

/** Re-signs `header` (any JSON text, may be hostile) over PAYLOAD with the key's own alg machinery. */
async function forge(type: KeyType, headerText: string): Promise<string> {
  const k = key(type);
  const good = parseCompactJws(await signCompactJws(k.spec, k.privateKey, {}, PAYLOAD));
  const protectedB64 = b64u(headerText);
  const sig = await createSigner(k.spec, k.privateKey).sign(Buffer.from(`${protectedB64}.${b64u(good.payload)}`), signOptionsOf(jwsSigningAlgorithm(k.spec)));
  return `${protectedB64}.${b64u(good.payload)}.${b64u(sig)}`;
}

describe('the alg table', () => {
  it('resolves every JWS alg of API.md and refuses none and HMAC by name', () => {
    for (const alg of JWS_ALGS) expect(resolveJwsAlgorithm(alg).alg).toBe(alg);
    for (const alg of ['none', 'None', 'NONE', 'HS256', 'HS384', 'HS512', 'hs256']) expect(failureOf(() => resolveJwsAlgorithm(alg))).toBe('alg_refused');
    for (const alg of ['ES256k', 'RS1', 'PS256 ', '', 'constructor', '__proto__', 'toString', 'A128GCM', 'dir'])
      expect(failureOf(() => resolveJwsAlgorithm(alg))).toBe('alg_unsupported');
    expect(failureOf(() => resolveJwsAlgorithm(undefined))).toBe('header_member_invalid');
  });

  it('lets each key type verify exactly its algs', () => {
    const expected: Record<string, string[]> = {
      'rsa-2048': ['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'],
      'ecdsa-p256': ['ES256'],
      'ecdsa-p384': ['ES384'],
      'ecdsa-p521': ['ES512'],
      'ecdsa-secp256k1': ['ES256K'],
      'dsa-2048': ['DS256'],
      ed25519: ['EdDSA'],
      'aes-256-gcm': [],
    };
    for (const [type, algs] of Object.entries(expected)) expect([...algsForKey(resolveKeyType(type))]).toEqual(algs);
    expect(jwsSigningAlgorithm(resolveKeyType('rsa-4096'), 'pkcs1v15').alg).toBe('RS256');
  });
});

describe.each(SIGN_TYPES.map((t) => [t]))('%s', (type) => {
  it('signs attached, parses and verifies; r‖s has the fixed length', async () => {
    const k = key(type);
    const jws = await signCompactJws(k.spec, k.privateKey, { kid: 'k:v1' }, PAYLOAD);
    const parsed = parseCompactJws(jws);
    expect(parsed.header).toEqual({ alg: jwsSigningAlgorithm(k.spec).alg, kid: 'k:v1' });
    expect(parsed.payload.equals(PAYLOAD)).toBe(true);
    if (k.spec.scalarBytes !== null) expect(parsed.signature.length).toBe(2 * k.spec.scalarBytes);
    expect(await verifyJwsSignature(k.spec, k.publicKey!, parsed)).toMatchObject({ valid: true });
  });

  it('signs detached and b64:false (RFC 7797), each verifying only over its own payload', async () => {
    const k = key(type);
    for (const b64 of [true, false]) {
      const jws = await signCompactJws(k.spec, k.privateKey, {}, PAYLOAD, { detached: true, b64 });
      expect(jws.split('.')[1]).toBe('');
      const crit = b64 ? [] : ['b64'];
      const parsed = parseCompactJws(jws, { detachedPayload: PAYLOAD, crit });
      expect(parsed.b64).toBe(b64);
      expect(await verifyJwsSignature(k.spec, k.publicKey!, parsed)).toMatchObject({ valid: true });
      const other = parseCompactJws(jws, { detachedPayload: Buffer.from('{"amount":"10.01","currency":"EUR"}'), crit });
      expect(await verifyJwsSignature(k.spec, k.publicKey!, other)).toEqual({ valid: false, failure: 'signature_invalid' });
    }
  });

  it('fails closed for another key of the same type and for a flipped signature bit', async () => {
    const k = key(type);
    const parsed = parseCompactJws(await signCompactJws(k.spec, k.privateKey, {}, PAYLOAD));
    expect(await verifyJwsSignature(k.spec, key(type, 1).publicKey!, parsed)).toEqual({ valid: false, failure: 'signature_invalid' });
    const flipped = Buffer.from(parsed.signature);
    flipped.writeUInt8((flipped.at(-1) as number) ^ 1, flipped.length - 1);
    expect(await verifyJwsSignature(k.spec, k.publicKey!, { ...parsed, signature: flipped })).toEqual({ valid: false, failure: 'signature_invalid' });
    // A private KeyObject where a public one belongs is a key_type_mismatch inside createVerifier: still only false.
    expect(await verifyJwsSignature(k.spec, k.privateKey, parsed)).toEqual({ valid: false, failure: 'signature_invalid' });
  });
});

describe('refusals', () => {
  it('refuses alg none with an empty signature', async () => {
    const k = key('ed25519');
    const parsed = parseCompactJws(`${b64u('{"alg":"none"}')}.${b64u(PAYLOAD)}.`);
    expect(await verifyJwsSignature(k.spec, k.publicKey!, parsed)).toEqual({ valid: false, failure: 'alg_refused' });
  });

  it('refuses HS256 whose HMAC secret is the public key bytes (PEM and SPKI DER)', async () => {
    for (const type of ['rsa-2048', 'ecdsa-p256', 'ed25519'] as const) {
      const k = key(type);
      for (const secret of [Buffer.from(k.publicPem!), k.publicKey!.export({ format: 'der', type: 'spki' })]) {
        const input = `${b64u('{"alg":"HS256"}')}.${b64u(PAYLOAD)}`;
        const parsed = parseCompactJws(`${input}.${b64u(createHmac('sha256', secret).update(input).digest())}`);
        expect(await verifyJwsSignature(k.spec, k.publicKey!, parsed)).toEqual({ valid: false, failure: 'alg_refused' });
      }
    }
  });

  it('refuses a header alg the key type does not allow, before any crypto', async () => {
    // ES256 signed by a P-256 key, presented to a P-384 verifier; PS256 presented to an Ed25519 key; ES384 header over an ES256 signature.
    const p256 = key('ecdsa-p256');
    const parsed = parseCompactJws(await signCompactJws(p256.spec, p256.privateKey, {}, PAYLOAD));
    expect(await verifyJwsSignature(key('ecdsa-p384').spec, key('ecdsa-p384').publicKey!, parsed)).toEqual({ valid: false, failure: 'alg_key_mismatch' });
    const rsa = key('rsa-2048');
    const ps = parseCompactJws(await signCompactJws(rsa.spec, rsa.privateKey, {}, PAYLOAD));
    expect(await verifyJwsSignature(key('ed25519').spec, key('ed25519').publicKey!, ps)).toEqual({ valid: false, failure: 'alg_key_mismatch' });
    const lying = parseCompactJws(await forge('ecdsa-p256', '{"alg":"ES384"}'));
    expect(await verifyJwsSignature(p256.spec, p256.publicKey!, lying)).toEqual({ valid: false, failure: 'alg_key_mismatch' });
    // An RSA key verifies RS384 and PS512 when the header says so and the signature matches that hash.
    const rs = parseCompactJws(await forge('rsa-2048', '{"alg":"PS256"}'));
    expect(await verifyJwsSignature(rsa.spec, rsa.publicKey!, { ...rs, header: { alg: 'PS512' } })).toEqual({ valid: false, failure: 'signature_invalid' });
  });

  it('never lets a signer put alg or b64 in the header itself', async () => {
    const k = key('ed25519');
    for (const header of [{ alg: 'none' }, { b64: false }]) {
      await expect(signCompactJws(k.spec, k.privateKey, header, PAYLOAD)).rejects.toMatchObject({ code: 'invalid_request' });
    }
    await expect(signCompactJws(k.spec, k.privateKey, {}, PAYLOAD, { b64: false })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('header rules', () => {
  const hdr = (h: string): string => `${b64u(h)}.${b64u(PAYLOAD)}.AAAA`;

  it('rejects duplicate member names at any depth, however they are spelled', () => {
    expect(failureOf(() => parseCompactJws(hdr('{"alg":"ES256","alg":"ES256"}')))).toBe('duplicate_header_member');
    expect(failureOf(() => parseCompactJws(hdr('{"alg":"ES256","\\u0061lg":"none"}')))).toBe('duplicate_header_member');
    expect(failureOf(() => parseCompactJws(hdr('{"alg":"ES256","jwk":{"x":"1","x":"2"}}')))).toBe('duplicate_header_member');
    expect(hasNoDuplicateMembers('{"a":"}{,\\"a\\"","b":[{"a":1},{"a":2}],"c":{"a":{"a":[1,{"a":0}]}}}')).toBe(true);
    expect(hasNoDuplicateMembers('[{"a":1,"b":{"a":1},"a":2}]')).toBe(false);
  });

  it('applies RFC 7515 §4.1.11 to crit', () => {
    const cases: [string, string, string[]?][] = [
      ['{"alg":"ES256","crit":[]}', 'crit_invalid'],
      ['{"alg":"ES256","crit":"x","x":1}', 'crit_invalid'],
      ['{"alg":"ES256","crit":["x","x"],"x":1}', 'crit_invalid', ['x']],
      ['{"alg":"ES256","crit":["x"]}', 'crit_invalid', ['x']],
      ['{"alg":"ES256","crit":["alg"]}', 'crit_invalid', ['alg']],
      ['{"alg":"ES256","crit":["x"],"x":1}', 'crit_unknown'],
      ['{"alg":"ES256","crit":["x","y"],"x":1,"y":2}', 'crit_unknown', ['x']],
      ['{"alg":"ES256","crit":["x"],"x":1}', 'accepted', ['x']],
    ];
    for (const [h, want, crit] of cases) expect([h, failureOf(() => parseCompactJws(hdr(h), { crit }))]).toEqual([h, want]);
  });

  it('applies RFC 7797: b64 must be boolean, critical, and understood', () => {
    expect(failureOf(() => parseCompactJws(hdr('{"alg":"ES256","b64":false}'), { crit: ['b64'] }))).toBe('b64_not_critical');
    expect(failureOf(() => parseCompactJws(hdr('{"alg":"ES256","b64":true}'), { crit: ['b64'] }))).toBe('b64_not_critical');
    expect(failureOf(() => parseCompactJws(hdr('{"alg":"ES256","b64":"no","crit":["b64"]}'), { crit: ['b64'] }))).toBe('b64_invalid');
    expect(failureOf(() => parseCompactJws(hdr('{"alg":"ES256","b64":false,"crit":["b64"]}')))).toBe('crit_unknown');
    const attached = parseCompactJws(`${b64u('{"alg":"ES256","b64":false,"crit":["b64"]}')}.$02.AAAA`, { crit: ['b64'] });
    expect(attached.payload.toString()).toBe('$02');
    expect(attached.signingInput.toString()).toBe(`${b64u('{"alg":"ES256","b64":false,"crit":["b64"]}')}.$02`);
  });

  it('rejects a payload part when the payload is detached', () => {
    expect(failureOf(() => parseCompactJws(hdr('{"alg":"ES256"}'), { detachedPayload: PAYLOAD }))).toBe('payload_not_detached');
  });
});

describe('the hostile-input matrix', () => {
  it(`answers each of ${HOSTILE_JWS.length} hostile inputs with a JwsError (a 400), never anything else`, () => {
    for (const input of HOSTILE_JWS) {
      let thrown: unknown;
      try {
        parseCompactJws(input);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, typeof input === 'string' ? input.slice(0, 80) : String(typeof input)).toBeInstanceOf(JwsError);
      expect((thrown as JwsError).status).toBe(400);
      expect(['malformed', 'bad_signature']).toContain((thrown as JwsError).reason);
    }
  });
});
