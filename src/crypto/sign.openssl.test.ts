/**
 * Interoperability with the `openssl` command line, for every signing type × hash × RSA padding × encoding:
 * a signature made by src/crypto verifies with `openssl dgst -verify` (RSA-PSS with salt = digest length and
 * MGF1 of the same hash, spelled out as -sigopt) or `openssl pkeyutl -verify -rawin` (Ed25519), and a signature
 * made by openssl verifies with src/crypto. r‖s signatures go to openssl as DER (openssl has no P1363 input).
 * Skipped, saying so, only when no openssl binary is on PATH.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKey, type TestKey } from '../../test/support/keys.ts';
import { HASHES, createSigner, createVerifier, derToP1363, keyTypeSpecs, p1363ToDer, type HashName, type KeyTypeSpec, type SignOptions } from './index.ts';

const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const OPENSSL = probe.status === 0 ? probe.stdout.trim() : null;
const SIGN_SPECS = keyTypeSpecs().filter((s) => s.purpose === 'sign');
const MESSAGE = Buffer.from('{"amount":"10.00","currency":"EUR","to":"DE89370400440532013000"}');

const OPENSSL_MD: Readonly<Record<HashName, string>> = {
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
};

function allowedOptions(spec: KeyTypeSpec): SignOptions[] {
  if (spec.family === 'rsa') return HASHES.flatMap((hash) => (['pss', 'pkcs1v15'] as const).map((rsaPadding) => ({ hash, rsaPadding })));
  if (spec.family === 'ecdsa' || spec.family === 'dsa') {
    return HASHES.flatMap((hash) => (['der', 'p1363'] as const).map((signatureEncoding) => ({ hash, signatureEncoding })));
  }
  return [{}];
}

function run(args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ ok: err === null, out: `${stdout}${stderr}`.trim() }));
  });
}

/** openssl arguments after the digest/key choice: PSS pinned to payseal's profile (RFC 8017 §9.1). */
function sigopts(options: SignOptions): string[] {
  if (options.rsaPadding === 'pss') {
    const md = OPENSSL_MD[options.hash as HashName];
    return ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest', '-sigopt', `rsa_mgf1_md:${md}`];
  }
  if (options.rsaPadding === 'pkcs1v15') return ['-sigopt', 'rsa_padding_mode:pkcs1'];
  return [];
}

let dir = '';
const keys = new Map<string, TestKey>();

describe.skipIf(OPENSSL === null)(`openssl CLI interop (${OPENSSL ?? 'skipped: no openssl binary on PATH'})`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payseal-openssl-'));
    writeFileSync(join(dir, 'msg.bin'), MESSAGE);
    const made = await Promise.all(SIGN_SPECS.map((s) => testKey(s.type)));
    SIGN_SPECS.forEach((s, i) => {
      const k = made[i] as TestKey;
      keys.set(s.type, k);
      writeFileSync(join(dir, `${s.type}.pub.pem`), k.publicPem as string);
      writeFileSync(join(dir, `${s.type}.key.pem`), k.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    });
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** openssl verifies `sig` (as DER for ECDSA/DSA) over MESSAGE with the type's public key. */
  function opensslVerifies(spec: KeyTypeSpec, options: SignOptions, sig: Buffer, name: string): Promise<{ ok: boolean; out: string }> {
    const sigFile = join(dir, `${name}.sig`);
    writeFileSync(sigFile, options.signatureEncoding === 'p1363' ? p1363ToDer(sig) : sig);
    const pub = join(dir, `${spec.type}.pub.pem`);
    if (spec.family === 'eddsa') {
      return run(['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', join(dir, 'msg.bin'), '-sigfile', sigFile]);
    }
    const md = OPENSSL_MD[options.hash as HashName];
    return run(['dgst', `-${md}`, '-verify', pub, ...sigopts(options), '-signature', sigFile, join(dir, 'msg.bin')]);
  }

  describe.concurrent.each(SIGN_SPECS.map((s) => [s.type, s] as const))('%s', (type, spec) => {
    const cases = allowedOptions(spec).map((o) => [[o.hash, o.rsaPadding, o.signatureEncoding].filter(Boolean).join(' ') || 'pure', o] as const);

    it.each(cases)('%s: payseal signs, openssl verifies', async (name, options) => {
      const k = keys.get(type) as TestKey;
      const sig = await createSigner(spec, k.privateKey).sign(MESSAGE, options);
      const res = await opensslVerifies(spec, options, sig, `${type}-${name.replace(/ /g, '-')}`);
      expect(res.out).toMatch(/Verified OK|Signature Verified Successfully/);
      expect(res.ok).toBe(true);
    });

    it.each(cases)('%s: openssl signs, payseal verifies', async (name, options) => {
      const k = keys.get(type) as TestKey;
      const sigFile = join(dir, `${type}-${name.replace(/ /g, '-')}.openssl.sig`);
      const key = join(dir, `${type}.key.pem`);
      const res =
        spec.family === 'eddsa'
          ? await run(['pkeyutl', '-sign', '-inkey', key, '-rawin', '-in', join(dir, 'msg.bin'), '-out', sigFile])
          : await run(['dgst', `-${OPENSSL_MD[options.hash as HashName]}`, '-sign', key, ...sigopts(options), '-out', sigFile, join(dir, 'msg.bin')]);
      expect(res.out).toBe('');
      expect(res.ok).toBe(true);
      const der = readFileSync(sigFile);
      const sig = options.signatureEncoding === 'p1363' ? derToP1363(der, spec.scalarBytes as number) : der;
      expect(await createVerifier(spec, k.publicKey!).verify(MESSAGE, sig, options)).toBe(true);
    });

    it('openssl rejects a payseal signature with one flipped bit (the check can fail)', async () => {
      const options = allowedOptions(spec)[0] as SignOptions;
      const sig = await createSigner(spec, (keys.get(type) as TestKey).privateKey).sign(MESSAGE, options);
      sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 1;
      const res = await opensslVerifies(spec, options, sig, `${type}-tampered`);
      expect(res.ok).toBe(false);
      expect(res.out).not.toMatch(/Verified OK|Signature Verified Successfully/);
    });
  });
});
