/**
 * The BigInt DSA verifier (src/verify/dsa.ts, FIPS 186-4 §4.7) on its own: every Wycheproof DSA vector, with
 * the key taken from the group's p, q, g, y (not through the SPKI parser) and again through the independent
 * Verifier with the group's PEM; then signatures made by the openssl command line, including SHA-384 and
 * SHA-512 digests that §4.7 truncates to N = 256 bits.
 * Vectors come from PAYSEAL_WYCHEPROOF_DIR (default ../shared/vectors/wycheproof); skipped by name when absent.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { derToP1363, resolveKeyType } from '../src/crypto/index.ts';
import { dsaKeyLooksValid, dsaVerify, type DsaPublicKey } from '../src/verify/dsa.ts';
import { createIndependentVerifier } from '../src/verify/independent.ts';
import { vectorDir } from '../scripts/_wycheproof.ts';
import { writeFiles } from './support/verify-fixtures.ts';

const dir = vectorDir();
const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^dsa_.*_test\.json$/.test(f)) : [];
const big = (hex: string) => BigInt(`0x${hex || '0'}`);
const SHA: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const HASH: Record<string, 'sha2-256' | 'sha2-384' | 'sha2-512'> = { 'SHA-256': 'sha2-256', 'SHA-384': 'sha2-384', 'SHA-512': 'sha2-512' };

/** r and s of a vector's signature, or null when its encoding is not a strict DER / exact-length r‖s. */
function rs(sig: Buffer, p1363: boolean): [bigint, bigint] | null {
  let flat: Buffer;
  try {
    flat = p1363 ? sig : derToP1363(sig, 32);
  } catch {
    return null;
  }
  if (flat.length !== 64) return null;
  return [big(flat.subarray(0, 32).toString('hex')), big(flat.subarray(32).toString('hex'))];
}

if (files.length === 0) {
  describe.skip(`DSA Wycheproof vectors: none in ${dir} (set PAYSEAL_WYCHEPROOF_DIR)`, () => {
    it('runs them', () => {});
  });
}

for (const file of files) {
  describe(`BigInt DSA: wycheproof ${file}`, () => {
    const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { schema: string; testGroups: any[] };
    const p1363 = json.schema.includes('p1363');

    it('every valid vector verifies and every invalid one fails, by key values and by PEM', async () => {
      const counts = { valid: 0, invalid: 0, acceptable: 0 };
      for (const g of json.testGroups) {
        const key: DsaPublicKey = { p: big(g.publicKey.p), q: big(g.publicKey.q), g: big(g.publicKey.g), y: big(g.publicKey.y) };
        expect(dsaKeyLooksValid(key)).toBe(true);
        const spec = resolveKeyType(`dsa-${g.publicKey.keySize as number}`);
        const viaPem = createIndependentVerifier(spec, g.publicKeyPem as string);
        for (const t of g.tests) {
          const msg = Buffer.from(t.msg, 'hex');
          const sig = Buffer.from(t.sig, 'hex');
          const pair = rs(sig, p1363);
          const digest = createHash(SHA[g.sha] as string).update(msg).digest();
          const direct = pair !== null && dsaVerify(key, digest, pair[0], pair[1]);
          const pem = await viaPem.verify(msg, sig, { hash: HASH[g.sha], signatureEncoding: p1363 ? 'p1363' : 'der' });
          counts[t.result as 'valid' | 'invalid' | 'acceptable']++;
          if (t.result === 'acceptable') continue;
          expect(direct, `tcId ${t.tcId} ${t.comment}`).toBe(t.result === 'valid');
          expect(pem, `tcId ${t.tcId} via PEM`).toBe(t.result === 'valid');
        }
      }
      expect(counts.valid + counts.invalid).toBeGreaterThan(100);
    });
  });
}

let openssl = false;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
  openssl = true;
} catch {
  openssl = false;
}

describe.skipIf(!openssl)('BigInt DSA: signatures made by the openssl command line', () => {
  it('verifies openssl dgst -sign signatures (SHA-256, SHA-384, SHA-512 truncated to N = 256) and refuses tampered ones', async () => {
    const paths = writeFiles({ 'msg.bin': Buffer.from('payment 42: 12.00 EUR') });
    const at = (name: string) => join(paths['msg.bin'] as string, '..', name);
    const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    run('genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-pkeyopt', 'dsa_paramgen_q_bits:256', '-out', at('params.pem'));
    run('genpkey', '-paramfile', at('params.pem'), '-out', at('key.pem'));
    run('pkey', '-in', at('key.pem'), '-pubout', '-out', at('pub.pem'));
    const verifier = createIndependentVerifier(resolveKeyType('dsa-2048'), readFileSync(at('pub.pem'), 'utf8'));
    const msg = readFileSync(paths['msg.bin'] as string);
    for (const [digest, hash] of [['-sha256', 'sha2-256'], ['-sha384', 'sha2-384'], ['-sha512', 'sha2-512']] as const) {
      for (let i = 0; i < 3; i++) {
        run('dgst', digest, '-sign', at('key.pem'), '-out', at('sig.der'), paths['msg.bin'] as string);
        const sig = readFileSync(at('sig.der'));
        expect(await verifier.verify(msg, sig, { hash }), `${digest} #${i}`).toBe(true);
        expect(await verifier.verify(Buffer.concat([msg, Buffer.from('!')]), sig, { hash })).toBe(false);
        expect(await verifier.verify(msg, sig, { hash: hash === 'sha2-256' ? 'sha2-512' : 'sha2-256' })).toBe(false);
        const flipped = Buffer.from(sig);
        flipped[flipped.length - 1] = (flipped.at(-1) as number) ^ 1;
        expect(await verifier.verify(msg, flipped, { hash })).toBe(false);
      }
    }
  }, 120_000);
});
