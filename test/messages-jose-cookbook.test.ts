/**
 * The JWS examples of RFC 7520 (the JOSE Cookbook), RFC 8037 (curve25519/) and RFC 7797 (rfc7797/) from
 * ../shared/vectors/jose-cookbook, run through payseal's compact-JWS codec (src/crypto/jws.ts) with the
 * examples' public keys imported as JWK.
 *
 * Every signature of every example is one case, judged by what payseal does with it:
 * - verified: parsed and verified with the public key; deterministic algs (RS256, EdDSA) are also re-signed
 *   with the private key and must reproduce the example byte for byte; the others are signed → verified.
 * - hmac_refused: payseal has no HMAC. The codec still parses the example and its signing input must be the
 *   one the example's HMAC covers (checked here with node:crypto's HMAC and the example's key); then
 *   verification must refuse the alg (alg_refused).
 * - unprotected_only: the signature has no protected header (JWS JSON serialization only); compact cannot
 *   express it, so it is counted, not run.
 * - strict_rejected: rfc7797/4.2 as stored uses b64:false without listing it in crit (its protected header
 *   is {"alg":"HS256","b64":false}); RFC 7797 §6 requires crit, and payseal rejects it (b64_not_critical).
 * The counts per outcome are asserted. PAYSEAL_JOSE_COOKBOOK_DIR overrides the folder.
 */
import { createHmac, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testKey } from './support/keys.ts';
import { JwsError, parseCompactJws, resolveKeyType, signCompactJws, verifyJwsSignature, type KeyTypeSpec } from '../src/crypto/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = resolve(ROOT, process.env.PAYSEAL_JOSE_COOKBOOK_DIR ?? '../shared/vectors/jose-cookbook');

const FILES = [
  'jws/4_1.rsa_v15_signature.json',
  'jws/4_2.rsa-pss_signature.json',
  'jws/4_3.ecdsa_signature.json',
  'jws/4_4.hmac-sha2_integrity_protection.json',
  'jws/4_5.signature_with_detached_content.json',
  'jws/4_6.protecting_specific_header_fields.json',
  'jws/4_7.protecting_content_only.json',
  'jws/4_8.multiple_signatures.json',
  'curve25519/jws.json',
  'rfc7797/hmac-sha2_b64_false.json',
  'rfc7797/4.2.hmac-sha2_b64_false.json',
];

// verified: 4.1 RS256, 4.2 PS384, 4.3 ES512 (P-521), 4.8 RS256, Ed25519; deterministic: the three RS256/EdDSA of those.
const EXPECTED_COUNTS = { verified: 5, deterministic_matched: 3, hmac_refused: 5, unprotected_only: 2, strict_rejected: 1 };

type Jwk = JsonWebKey & { kty: string; kid?: string };
interface Example {
  readonly input: { readonly payload: string; readonly key: Jwk | Jwk[]; readonly alg: string | string[] };
  readonly output: { readonly compact?: string; readonly json: { payload?: string; signatures: { protected?: string; header?: Record<string, unknown>; signature: string }[] } };
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const publicPart = (jwk: Jwk): Jwk => Object.fromEntries(Object.entries(jwk).filter(([m]) => !PRIVATE_MEMBERS.includes(m))) as Jwk;
const KTY_OF_ALG = (alg: string): string => (alg.startsWith('HS') ? 'oct' : alg.startsWith('ES') ? 'EC' : alg === 'EdDSA' ? 'OKP' : 'RSA');
const CURVE_TYPE: Record<string, string> = { 'P-256': 'ecdsa-p256', 'P-384': 'ecdsa-p384', 'P-521': 'ecdsa-p521', secp256k1: 'ecdsa-secp256k1', Ed25519: 'ed25519' };

/** The payseal key type a public JWK is: RSA by modulus size, EC and OKP by curve. */
function specOf(jwk: Jwk, publicKey: KeyObject): KeyTypeSpec {
  if (jwk.kty === 'RSA') return resolveKeyType(`rsa-${publicKey.asymmetricKeyDetails?.modulusLength}`);
  return resolveKeyType(CURVE_TYPE[jwk.crv as string]);
}

type Outcome = keyof typeof EXPECTED_COUNTS;
const counts: Record<Outcome, number> = { verified: 0, deterministic_matched: 0, hmac_refused: 0, unprotected_only: 0, strict_rejected: 0 };

async function runSignature(ex: Example, index: number): Promise<Outcome[]> {
  const sig = ex.output.json.signatures[index] as { protected?: string; signature: string };
  if (sig.protected === undefined) return ['unprotected_only'];
  const header = JSON.parse(Buffer.from(sig.protected, 'base64url').toString('utf8')) as { alg: string; b64?: boolean };
  const keys = Array.isArray(ex.input.key) ? ex.input.key : [ex.input.key];
  const jwk = keys.find((k) => k.kty === KTY_OF_ALG(header.alg)) as Jwk;
  const payload = Buffer.from(ex.input.payload, 'utf8');
  // Compact where the example has it; else built from the JSON form, detached when the payload is absent or
  // is an unencoded (b64:false) one that compact cannot carry inline ("$.02" holds a dot).
  const detached = ex.output.json.payload === undefined || (header.b64 === false && ex.output.compact === undefined);
  const text = ex.output.compact ?? `${sig.protected}.${detached ? '' : ex.output.json.payload}.${sig.signature}`;
  let parsed;
  try {
    parsed = parseCompactJws(text, { detachedPayload: detached ? payload : undefined, crit: ['b64'] });
  } catch (e) {
    expect(e).toBeInstanceOf(JwsError);
    expect((e as JwsError).failure).toBe('b64_not_critical');
    return ['strict_rejected'];
  }
  expect(parsed.payload.equals(payload)).toBe(true);
  if (jwk.kty === 'oct') {
    const mac = createHmac('sha256', Buffer.from(jwk.k as string, 'base64url')).update(parsed.signingInput).digest();
    expect(mac.equals(parsed.signature)).toBe(true); // the codec built exactly the signing input the example signed
    const anyKey = await testKey('ed25519');
    expect(await verifyJwsSignature(anyKey.spec, anyKey.publicKey!, parsed)).toEqual({ valid: false, failure: 'alg_refused' });
    return ['hmac_refused'];
  }
  const publicKey = createPublicKey({ key: publicPart(jwk), format: 'jwk' });
  const spec = specOf(jwk, publicKey);
  expect(await verifyJwsSignature(spec, publicKey, parsed)).toMatchObject({ valid: true });
  const outcomes: Outcome[] = ['verified'];
  // Our own signature with the example's private key: byte-equal where the alg is deterministic, else it verifies.
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const { alg: _alg, ...rest } = header as Record<string, unknown>;
  const padding = header.alg.startsWith('RS') ? 'pkcs1v15' : 'pss';
  const ours = await signCompactJws(spec, privateKey, rest, payload, { rsaPadding: padding });
  if (header.alg === 'RS256' || header.alg === 'EdDSA') {
    expect(ours).toBe(text);
    outcomes.push('deterministic_matched');
  }
  expect(await verifyJwsSignature(spec, publicKey, parseCompactJws(ours))).toMatchObject({ valid: true });
  return outcomes;
}

if (!existsSync(DIR)) {
  describe.skip(`JOSE cookbook: folder ${DIR} not found (set PAYSEAL_JOSE_COOKBOOK_DIR to run it)`, () => {
    it('RFC 7520 / 7797 / 8037 JWS examples', () => {});
  });
} else {
  describe(`JOSE cookbook JWS examples in ${DIR}`, () => {
    for (const file of FILES) {
      const ex = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Example;
      ex.output.json.signatures.forEach((s, i) => {
        it(`${file} signature ${i} (${s.protected ? Buffer.from(s.protected, 'base64url').toString() : 'unprotected header only'})`, async () => {
          for (const o of await runSignature(ex, i)) counts[o]++;
        });
      });
    }

    it('counts each outcome as expected', () => {
      expect(counts).toEqual(EXPECTED_COUNTS);
    });
  });
}
