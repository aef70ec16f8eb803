/**
 * Offline raw-signature verification (src/verify/signature.ts) against bundles built from fresh keys: every
 * signing type through both opinions, the options of API.md, revoked and below-minimum versions, unknown keys,
 * a planted disagreement (a fake second opinion injected by parameter), and bundle validation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeyType, SignOptions, Verifier } from '../src/crypto/index.ts';
import { parseBundle, type Bundle } from '../src/verify/bundle.ts';
import { checkSignature, DEFAULT_OPINIONS, INDEPENDENT_OPINION, OPENSSL_OPINION, verifyRawSignature, type Opinion } from '../src/verify/signature.ts';
import { HOSTILE_STRINGS, HOSTILE_VALUES, makeFixture, type Fixture, type FixtureKey } from './support/verify-fixtures.ts';

const TYPES: readonly KeyType[] = ['rsa-2048', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ecdsa-secp256k1', 'dsa-2048', 'ed25519'];
const OPTIONS: Readonly<Record<string, readonly SignOptions[]>> = {
  'rsa-2048': [{}, { rsaPadding: 'pkcs1v15' }, { hash: 'sha2-512' }, { hash: 'sha3-256', rsaPadding: 'pkcs1v15' }],
  'ecdsa-p256': [{}, { signatureEncoding: 'p1363' }, { hash: 'sha3-256' }, { hash: 'sha2-512', signatureEncoding: 'p1363' }],
  'ecdsa-p384': [{}, { signatureEncoding: 'p1363' }],
  'ecdsa-p521': [{}, { signatureEncoding: 'p1363' }],
  'ecdsa-secp256k1': [{}, { hash: 'sha3-256' }],
  'dsa-2048': [{}, { signatureEncoding: 'p1363' }, { hash: 'sha2-384' }],
  ed25519: [{}],
};

let fixture: Fixture;
let bundle: Bundle;
const input = Buffer.from('{"amount":"12.00","currency":"EUR"}');

beforeAll(async () => {
  fixture = await makeFixture([
    ...TYPES.map((type) => ({ name: `k-${type}`, type, states: ['active'] as const })),
    { name: 'rotated', type: 'ecdsa-p256', states: ['revoked', 'retired', 'destroyed', 'retired', 'active'], minVersion: 3 },
    { name: 'sealing', type: 'aes-256-gcm', states: ['active'] },
  ]);
  bundle = parseBundle(fixture.bundle);
}, 120_000);

const key = (name: string) => fixture.keys.get(name) as FixtureKey;

describe('raw signatures: both opinions, every type and option', () => {
  for (const type of TYPES) {
    for (const options of OPTIONS[type] ?? []) {
      it(`${type} ${JSON.stringify(options)}: valid, both agree; a changed input is bad_signature for both`, async () => {
        const signature = await key(`k-${type}`).sign(1, input, options);
        const ok = await verifyRawSignature(bundle, { key: `k-${type}`, input, signature, options });
        expect(ok).toMatchObject({ valid: true, key: `k-${type}`, key_version: 1, type, state: 'active', signature_checks: true });
        expect(ok.opinions.map((o) => o.valid)).toEqual([true, true]);
        const bad = await verifyRawSignature(bundle, { key: `k-${type}`, input: Buffer.concat([input, Buffer.from(' ')]), signature, options });
        expect(bad).toMatchObject({ valid: false, reason: 'bad_signature', signature_checks: false });
        expect(bad.opinions.map((o) => o.valid)).toEqual([false, false]);
      });
    }
  }

  it('a signature checked with other options than it was made with is bad_signature', async () => {
    const signature = await key('k-rsa-2048').sign(1, input, { rsaPadding: 'pkcs1v15' });
    await expect(verifyRawSignature(bundle, { key: 'k-rsa-2048', input, signature })).resolves.toMatchObject({ valid: false, reason: 'bad_signature' });
  });

  it('the key type decides the algorithm: a P-256 signature presented as another key is bad_signature', async () => {
    const signature = await key('k-ecdsa-p256').sign(1, input);
    await expect(verifyRawSignature(bundle, { key: 'k-ecdsa-secp256k1', input, signature })).resolves.toMatchObject({ valid: false, reason: 'bad_signature' });
  });

  it('options the type cannot honour are input errors, not verdicts', async () => {
    const signature = await key('k-ed25519').sign(1, input);
    await expect(verifyRawSignature(bundle, { key: 'k-ed25519', input, signature, options: { hash: 'sha2-256' } })).rejects.toMatchObject({ code: 'unsupported_algorithm' });
    await expect(verifyRawSignature(bundle, { key: 'sealing', input, signature })).rejects.toMatchObject({ code: 'key_type_mismatch' });
    await expect(verifyRawSignature(bundle, { key: 'k-ed25519', input, signature: 'v1:abc' })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('raw signatures: version standing', () => {
  it('a revoked version is reported revoked, with the math still shown', async () => {
    const signature = await key('rotated').sign(1, input);
    const v = await verifyRawSignature(bundle, { key: 'rotated', input, signature });
    expect(v).toMatchObject({ valid: false, reason: 'key_version_revoked', state: 'revoked', revoked_at: '2025-06-01T00:00:00.000Z', signature_checks: true });
  });

  it('a version below min_version is reported below_min_version', async () => {
    const signature = await key('rotated').sign(2, input);
    await expect(verifyRawSignature(bundle, { key: 'rotated', input, signature })).resolves.toMatchObject({
      valid: false,
      reason: 'below_min_version',
      state: 'retired',
      min_version: 3,
      signature_checks: true,
    });
  });

  it('a destroyed version at or above min_version still verifies (its public half remains)', async () => {
    const signature = await key('rotated').sign(3, input);
    await expect(verifyRawSignature(bundle, { key: 'rotated', input, signature })).resolves.toMatchObject({ valid: true, state: 'destroyed' });
  });

  it('a retired version at or above min_version verifies; a version or key not in the bundle is unknown_key', async () => {
    await expect(verifyRawSignature(bundle, { key: 'rotated', input, signature: await key('rotated').sign(4, input) })).resolves.toMatchObject({ valid: true, state: 'retired' });
    const sig = await key('rotated').sign(5, input);
    await expect(verifyRawSignature(bundle, { key: 'rotated', input, signature: sig.replace('payseal:v5:', 'payseal:v6:') })).resolves.toMatchObject({ valid: false, reason: 'unknown_key', signature_checks: null });
    await expect(verifyRawSignature(bundle, { key: 'nope', input, signature: sig })).resolves.toMatchObject({ valid: false, reason: 'unknown_key' });
  });
});

describe('raw signatures: two opinions', () => {
  /** A planted second opinion that answers the opposite of OpenSSL. */
  const contrarian: Opinion = {
    name: 'planted contrarian',
    create: (spec, pem): Verifier => {
      const real = OPENSSL_OPINION.create(spec, pem);
      return { spec, verify: async (d, s, o) => !(await real.verify(d, s, o)) };
    },
  };

  it('the default opinions are OpenSSL and the independent implementation', () => {
    expect(DEFAULT_OPINIONS).toEqual([OPENSSL_OPINION, INDEPENDENT_OPINION]);
  });

  it('reports a disagreement on a good signature and exits the verdict as not valid', async () => {
    const signature = await key('k-ecdsa-p256').sign(1, input);
    const v = await verifyRawSignature(bundle, { key: 'k-ecdsa-p256', input, signature }, [OPENSSL_OPINION, contrarian]);
    expect(v).toMatchObject({ valid: false, reason: 'disagreement', signature_checks: false });
    expect(v.opinions).toEqual([
      { name: OPENSSL_OPINION.name, valid: true },
      { name: 'planted contrarian', valid: false },
    ]);
  });

  it('reports a disagreement when the second opinion accepts a forgery, even for a revoked version', async () => {
    const signature = await key('rotated').sign(1, input);
    const v = await verifyRawSignature(bundle, { key: 'rotated', input: Buffer.from('forged'), signature }, [OPENSSL_OPINION, contrarian]);
    expect(v).toMatchObject({ valid: false, reason: 'disagreement' });
  });

  it('an implementation that refuses the key counts as not valid, and says why', async () => {
    const refuser: Opinion = {
      name: 'refuser',
      create: () => {
        throw new Error('unsupported key');
      },
    };
    const pem = key('k-ed25519').publicPems[0] as string;
    const signature = Buffer.from((await key('k-ed25519').sign(1, input)).split(':')[2] as string, 'base64');
    const c = await checkSignature(key('k-ed25519').spec, pem, input, signature, {}, [OPENSSL_OPINION, refuser]);
    expect(c).toEqual({ valid: false, disagreement: true, opinions: [{ name: OPENSSL_OPINION.name, valid: true }, { name: 'refuser', valid: false, refused: 'unsupported key' }] });
  });
});

describe('hostile signatures: both opinions say invalid, neither throws, they never disagree', () => {
  const lengths = [0, 1, 31, 32, 63, 64, 65, 66, 96, 97, 132, 139, 255, 256, 257, 512];
  for (const type of TYPES) {
    it(`${type}`, async () => {
      const k = key(`k-${type}`);
      const pem = k.publicPems[0] as string;
      const good = Buffer.from((await k.sign(1, input)).split(':')[2] as string, 'base64');
      const hostile: Buffer[] = [
        ...lengths.flatMap((n) => [Buffer.alloc(n), Buffer.alloc(n, 0xff)]),
        Buffer.from('3006020100020100', 'hex'), // DER r = 0, s = 0
        Buffer.from('300602010102010100', 'hex'), // trailing byte
        Buffer.concat([good, Buffer.from([0])]),
        good.subarray(1),
        Buffer.from(good).reverse(),
      ];
      for (const sig of hostile) {
        for (const options of OPTIONS[type] ?? []) {
          const c = await checkSignature(k.spec, pem, input, sig, options, DEFAULT_OPINIONS);
          expect(c, `${sig.toString('hex').slice(0, 20)} ${JSON.stringify(options)}`).toMatchObject({ valid: false, disagreement: false });
        }
      }
    });
  }
});

describe('bundle validation', () => {
  it('answers every hostile value with invalid_request', () => {
    for (const v of [...HOSTILE_VALUES, ...HOSTILE_STRINGS]) {
      expect(() => parseBundle(v), String(typeof v)).toThrowError(expect.objectContaining({ code: 'invalid_request' }));
    }
  });

  const mutate = (f: (b: any) => void): unknown => {
    const b = structuredClone(fixture.bundle) as any;
    f(b);
    return b;
  };

  it('refuses malformed bundles with invalid_request', () => {
    const cases: [string, unknown][] = [
      ['not an object', []],
      ['wrong format', mutate((b) => (b.format = 'payseal-bundle/2'))],
      ['bad issued_at', mutate((b) => (b.issued_at = 'yesterday'))],
      ['keys not an array', mutate((b) => (b.keys = {}))],
      ['unknown type', mutate((b) => (b.keys[0].type = 'rsa-1024'))],
      ['bad name', mutate((b) => (b.keys[0].name = 'Bad Name'))],
      ['duplicate key', mutate((b) => b.keys.push(b.keys[0]))],
      ['duplicate version', mutate((b) => b.keys[0].versions.push(b.keys[0].versions[0]))],
      ['no versions', mutate((b) => (b.keys[0].versions = []))],
      ['bad state', mutate((b) => (b.keys[0].versions[0].state = 'gone'))],
      ['pem of another type', mutate((b) => (b.keys[1].versions[0].public_key_pem = b.keys[6].versions[0].public_key_pem))],
      ['pem not a key', mutate((b) => (b.keys[0].versions[0].public_key_pem = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'))],
      ['min_version zero', mutate((b) => (b.keys[0].min_version = 0))],
      ['ledger key missing', mutate((b) => delete b.ledger_public_key_pem)],
      ['ledger key not among its versions', mutate((b) => (b.ledger_public_key_pem = b.keys[6].versions[0].public_key_pem))],
      ['AES key with a public half', mutate((b) => (b.keys.find((k: any) => k.name === 'sealing').versions[0].public_key_pem = b.keys[0].versions[0].public_key_pem))],
    ];
    for (const [why, b] of cases) expect(() => parseBundle(b), why).toThrowError(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('reads the ledger key type from the key itself when `keys` does not list it', () => {
    const b = parseBundle(mutate((x) => (x.keys = x.keys.filter((k: any) => k.name !== 'payseal-ledger'))));
    expect(b.ledger?.spec.type).toBe('ed25519');
  });

  it('ignores members it does not know (a later bundle may add some)', () => {
    expect(() => parseBundle(mutate((b) => (b.comment = 'x')))).not.toThrow();
  });
});
