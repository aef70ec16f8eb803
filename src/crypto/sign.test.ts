/**
 * Signer/Verifier for every signing key type × hash × RSA padding × signature encoding: round trips,
 * tampering (message, signature, length), wrong key, wrong options, options a type does not allow, and the
 * fixed PSS profile (salt = digest length, MGF1 with the same hash, RFC 8017 §9.1).
 */
import { constants, verify as nodeVerify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { testKey, type TestKey } from '../../test/support/keys.ts';
import {
  HASHES,
  createSigner,
  createVerifier,
  derToP1363,
  digestLength,
  keyTypeSpecs,
  p1363ToDer,
  resolveKeyType,
  resolveSignOptions,
  type KeyType,
  type KeyTypeSpec,
  type SignOptions,
} from './index.ts';
import { codeOfAsync as codeOf } from '../../test/support/errors.ts';

const SIGN_SPECS = keyTypeSpecs().filter((s) => s.purpose === 'sign');
const MESSAGE = Buffer.from('payseal: pay 10.00 EUR to account 42\n');

/** Every option combination a type allows, explicitly spelled out. */
function allowedOptions(spec: KeyTypeSpec): SignOptions[] {
  switch (spec.family) {
    case 'rsa':
      return HASHES.flatMap((hash) => (['pss', 'pkcs1v15'] as const).map((rsaPadding) => ({ hash, rsaPadding })));
    case 'ecdsa':
    case 'dsa':
      return HASHES.flatMap((hash) => (['der', 'p1363'] as const).map((signatureEncoding) => ({ hash, signatureEncoding })));
    default:
      return [{}];
  }
}

function label(o: SignOptions): string {
  return [o.hash, o.rsaPadding, o.signatureEncoding].filter(Boolean).join(' ') || 'defaults';
}

function flipBit(b: Uint8Array, byte: number, bit = 0): Buffer {
  const out = Buffer.from(b);
  const i = ((byte % out.length) + out.length) % out.length;
  out[i] = (out[i] as number) ^ (1 << bit);
  return out;
}

/** Runs fn and returns the PaysealError code it throws or rejects with (sync throw or rejected promise alike). */
const keys = new Map<string, TestKey>();
const key = (type: KeyType, slot = 0): TestKey => keys.get(`${type}#${slot}`) as TestKey;

beforeAll(async () => {
  const wanted = SIGN_SPECS.flatMap((s) => [0, 1].map((slot) => [s.type, slot] as const));
  const made = await Promise.all(wanted.map(([t, slot]) => testKey(t, slot)));
  wanted.forEach(([t, slot], i) => keys.set(`${t}#${slot}`, made[i] as TestKey));
});

describe.each(SIGN_SPECS.map((s) => [s.type, s] as const))('%s', (type, spec) => {
  const signer = () => createSigner(spec, key(type).privateKey);
  const verifier = (slot = 0) => createVerifier(spec, key(type, slot).publicKey!);

  describe.each(allowedOptions(spec).map((o) => [label(o), o] as const))('%s', (_name, options) => {
    it('round-trips and has the length the scheme fixes', async () => {
      const sig = await signer().sign(MESSAGE, options);
      expect(await verifier().verify(MESSAGE, sig, options)).toBe(true);
      if (spec.family === 'rsa') expect(sig.length).toBe(spec.bits / 8);
      if (spec.family === 'eddsa') expect(sig.length).toBe(64);
      if (options.signatureEncoding === 'p1363') expect(sig.length).toBe(2 * (spec.scalarBytes as number));
      if (options.signatureEncoding === 'der') expect(sig[0]).toBe(0x30);
    });

    it('is deterministic exactly where the scheme is (PKCS#1 v1.5, Ed25519) and randomised elsewhere', async () => {
      const [a, b] = await Promise.all([signer().sign(MESSAGE, options), signer().sign(MESSAGE, options)]);
      const deterministic = options.rsaPadding === 'pkcs1v15' || spec.family === 'eddsa';
      expect(a.equals(b)).toBe(deterministic);
    });

    it('rejects a flipped bit in the message, in the signature, and a truncated or extended signature', async () => {
      const sig = await signer().sign(MESSAGE, options);
      const v = verifier();
      expect(await v.verify(flipBit(MESSAGE, 0), sig, options)).toBe(false);
      expect(await v.verify(flipBit(MESSAGE, -1, 7), sig, options)).toBe(false);
      expect(await v.verify(MESSAGE.subarray(1), sig, options)).toBe(false);
      for (const at of [0, sig.length >> 1, -1]) {
        for (const bit of [0, 7]) expect(await v.verify(MESSAGE, flipBit(sig, at, bit), options)).toBe(false);
      }
      expect(await v.verify(MESSAGE, sig.subarray(0, sig.length - 1), options)).toBe(false);
      expect(await v.verify(MESSAGE, Buffer.concat([sig, Buffer.from([0])]), options)).toBe(false);
      expect(await v.verify(MESSAGE, Buffer.alloc(0), options)).toBe(false);
    });

    it('does not verify under another key of the same type', async () => {
      const sig = await signer().sign(MESSAGE, options);
      expect(await verifier(1).verify(MESSAGE, sig, options)).toBe(false);
    });

    it('does not verify under other options', async () => {
      const sig = await signer().sign(MESSAGE, options);
      const v = verifier();
      if (options.hash !== undefined) {
        for (const hash of HASHES.filter((h) => h !== options.hash)) {
          expect(await v.verify(MESSAGE, sig, { ...options, hash })).toBe(false);
        }
      }
      if (options.rsaPadding !== undefined) {
        const rsaPadding = options.rsaPadding === 'pss' ? 'pkcs1v15' : 'pss';
        expect(await v.verify(MESSAGE, sig, { ...options, rsaPadding })).toBe(false);
      }
      if (options.signatureEncoding !== undefined) {
        const signatureEncoding = options.signatureEncoding === 'der' ? 'p1363' : 'der';
        expect(await v.verify(MESSAGE, sig, { ...options, signatureEncoding })).toBe(false);
      }
    });

    if (options.signatureEncoding !== undefined) {
      it('converts between DER and r‖s without breaking the signature', async () => {
        const sig = await signer().sign(MESSAGE, options);
        const n = spec.scalarBytes as number;
        const other = options.signatureEncoding === 'der' ? derToP1363(sig, n) : p1363ToDer(sig);
        const otherEncoding = options.signatureEncoding === 'der' ? 'p1363' : 'der';
        expect(await verifier().verify(MESSAGE, other, { ...options, signatureEncoding: otherEncoding })).toBe(true);
      });
    }
  });

  it('uses the type defaults when no options are given (hash, pss, der)', async () => {
    const defaults = resolveSignOptions(spec);
    expect(defaults.hash).toBe(spec.defaultHash);
    const explicit: SignOptions = {
      hash: defaults.hash ?? undefined,
      rsaPadding: defaults.rsaPadding ?? undefined,
      signatureEncoding: defaults.signatureEncoding ?? undefined,
    };
    const sig = await signer().sign(MESSAGE);
    expect(await verifier().verify(MESSAGE, sig, explicit)).toBe(true);
    expect(await verifier().verify(MESSAGE, await signer().sign(MESSAGE, explicit))).toBe(true);
    if (spec.family === 'rsa') expect(defaults.rsaPadding).toBe('pss');
    if (spec.family === 'ecdsa' || spec.family === 'dsa') expect(defaults.signatureEncoding).toBe('der');
  });

  it('refuses options the type does not allow, for sign and verify alike (unsupported_algorithm)', async () => {
    const refused: SignOptions[] =
      spec.family === 'rsa'
        ? [{ signatureEncoding: 'p1363' }]
        : spec.family === 'eddsa'
          ? [{ hash: 'sha2-512' }, { hash: 'sha2-256' }, { rsaPadding: 'pss' }, { signatureEncoding: 'p1363' }]
          : [{ rsaPadding: 'pss' }, { rsaPadding: 'pkcs1v15' }];
    const sig = await signer().sign(MESSAGE);
    for (const options of refused) {
      expect(await codeOf(() => signer().sign(MESSAGE, options))).toBe('unsupported_algorithm');
      expect(await codeOf(() => verifier().verify(MESSAGE, sig, options))).toBe('unsupported_algorithm');
    }
  });

  it('never throws for garbage signatures; it answers false', async () => {
    const v = verifier();
    const lengths = [1, 2, 8, 64, 2 * (spec.scalarBytes ?? 32), spec.family === 'rsa' ? spec.bits / 8 : 72, 10_000];
    for (const n of lengths) {
      for (const fill of [0x00, 0xff, 0x30]) {
        expect(await v.verify(MESSAGE, Buffer.alloc(n, fill))).toBe(false);
      }
    }
  });

  it('needs a private key to sign and a public key to verify (key_type_mismatch)', async () => {
    expect(await codeOf(() => createSigner(spec, key(type).publicKey!))).toBe('key_type_mismatch');
    expect(await codeOf(() => createVerifier(spec, key(type).privateKey))).toBe('key_type_mismatch');
  });
});

describe('RSA-PSS profile', () => {
  it.each(HASHES.map((h) => [h]))('%s: salt length is the digest length and MGF1 uses the same hash', async (hash) => {
    const k = key('rsa-2048');
    const sig = await createSigner(k.spec, k.privateKey).sign(MESSAGE, { hash, rsaPadding: 'pss' });
    const algorithm = hash.replace('sha2-', 'sha');
    const check = (saltLength: number) =>
      new Promise<boolean>((resolve, reject) =>
        nodeVerify(algorithm, MESSAGE, { key: k.publicKey!, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, sig, (e, ok) =>
          e ? reject(e) : resolve(ok),
        ),
      );
    expect(await check(digestLength(hash))).toBe(true);
    expect(await check(digestLength(hash) + 1)).toBe(false);
    expect(await check(0)).toBe(false);
  });
});

describe('encryption keys do not sign', () => {
  it.each([['aes-128-gcm'], ['aes-256-gcm']] as const)('%s: key_type_mismatch from the signer, verifier and options', async (type) => {
    const k = await testKey(type);
    expect(await codeOf(() => createSigner(k.spec, k.privateKey))).toBe('key_type_mismatch');
    expect(await codeOf(() => createVerifier(k.spec, k.privateKey))).toBe('key_type_mismatch');
    expect(await codeOf(() => resolveSignOptions(k.spec))).toBe('key_type_mismatch');
    expect(await codeOf(() => resolveSignOptions(resolveKeyType(type), { hash: 'sha2-256' }))).toBe('key_type_mismatch');
  });
});
