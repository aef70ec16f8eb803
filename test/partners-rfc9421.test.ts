/**
 * RFC 9421 Appendix B through payseal: the RFC's public test keys (B.1.2 test-key-rsa-pss, B.1.3
 * test-key-ecc-p256, B.1.4 test-key-ed25519) imported as verify-only keys, and each example signature (B.2.1,
 * B.2.2, B.2.3, B.2.4, B.2.6) verified with payseal's verifier against the test request or response. Each
 * example's signature base is byte-compared with the RFC's (through a tampered copy: changing one covered
 * component makes the same signature fail), and the RFC's keyid (the JWK kid) resolves to the imported version.
 * Needs a store (PGlite, or PostgreSQL with DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyHttpMessage, type VerifyHttpRequest } from '../src/httpsig/index.ts';
import { openTestRuntime, type TestRuntime } from './support/db.ts';
import { ECC_P256_PUBLIC_JWK, ED25519_PUBLIC_PEM, EXAMPLES, RSA_PSS_PUBLIC_PEM, type RfcExample, type RfcMessage } from './support/rfc9421.ts';

let rt: TestRuntime;
/** Key names in payseal for the RFC's key ids. */
const KEY_OF = { 'test-key-rsa-pss': 'rfc-rsa-pss', 'test-key-ecc-p256': 'rfc-ecc-p256', 'test-key-ed25519': 'rfc-ed25519' } as const;
/** 2021-04-20, a minute after the examples' created: freshness is not what these vectors test. */
const NOW = 1_618_884_473 + 60;

beforeAll(async () => {
  rt = await openTestRuntime();
  // PEM with the partner's kid given by a JWK for the P-256 key; the PEM keys answer to "<name>:v1" and to the
  // RFC's keyid through the import's `kid`.
  await rt.keys.importKey(KEY_OF['test-key-rsa-pss'], { public_key_pem: RSA_PSS_PUBLIC_PEM, kid: 'test-key-rsa-pss' }, 'test');
  await rt.keys.importKey(KEY_OF['test-key-ecc-p256'], { jwk: ECC_P256_PUBLIC_JWK }, 'test');
  await rt.keys.importKey(KEY_OF['test-key-ed25519'], { public_key_pem: ED25519_PUBLIC_PEM, kid: 'test-key-ed25519' }, 'test');
});
afterAll(async () => rt?.cleanup());

function withSignature(m: RfcMessage, ex: RfcExample): VerifyHttpRequest['message'] {
  return {
    ...(m.method ? { method: m.method, target_uri: m.target_uri } : { status: m.status }),
    headers: { ...m.headers, 'Signature-Input': ex.signatureInput, Signature: ex.signature },
    body: Buffer.from(m.body),
  };
}

function tampered(message: VerifyHttpRequest['message'], ex: RfcExample): VerifyHttpRequest['message'] {
  const t = ex.tamper!;
  if (t.target_uri) return { ...message, target_uri: t.target_uri };
  if (t.status) return { ...message, status: t.status };
  const headers = { ...message.headers } as Record<string, string>;
  headers[t.header!] = `${headers[t.header!]} `.replace(/.$/, 'x');
  return { ...message, headers };
}

describe('RFC 9421 Appendix B examples verify through payseal with the RFC keys imported', () => {
  it('imports the three test keys as verify-only keys of the right type', async () => {
    const infos = await Promise.all(Object.values(KEY_OF).map((n) => rt.keys.get(n)));
    expect(infos.map((k) => [k.type, k.origin])).toEqual([
      ['rsa-2048', 'imported'],
      ['ecdsa-p256', 'imported'],
      ['ed25519', 'imported'],
    ]);
  });

  for (const ex of EXAMPLES) {
    it(`${ex.section} (${ex.label}, ${ex.keyid}) is valid`, async () => {
      const key = KEY_OF[ex.keyid];
      const answer = await verifyHttpMessage(rt.keys, { key, message: withSignature(ex.message, ex), label: ex.label }, { now: NOW });
      expect(answer).toMatchObject({ valid: true, label: ex.label, keyid: ex.keyid, key_version: 1, created: 1_618_884_473 });
      expect(answer.reason).toBeUndefined();
      // Covering content-digest with the body given: the digest was checked against the body (RFC 9530).
      if (ex.signatureInput.includes('"content-digest"')) expect(answer.content_digest).toBe('valid');
    });

    if (ex.tamper !== null) {
      it(`${ex.section} fails when one covered component changes`, async () => {
        const key = KEY_OF[ex.keyid];
        const message = tampered(withSignature(ex.message, ex), ex);
        const answer = await verifyHttpMessage(rt.keys, { key, message, label: ex.label }, { now: NOW });
        expect([answer.valid, answer.reason]).toEqual([false, 'bad_signature']);
      });
    }
  }

  it('B.2.1 covers no component: a changed body still verifies, a changed nonce does not', async () => {
    const ex = EXAMPLES[0]!;
    const message = { ...withSignature(ex.message, ex), body: Buffer.from('{"hello": "mallory"}') };
    expect((await verifyHttpMessage(rt.keys, { key: 'rfc-rsa-pss', message }, { now: NOW })).valid).toBe(true);
    const noncey = { ...message, headers: { ...message.headers, 'Signature-Input': ex.signatureInput.replace('yemd', 'yeme') } };
    expect((await verifyHttpMessage(rt.keys, { key: 'rfc-rsa-pss', message: noncey }, { now: NOW })).reason).toBe('bad_signature');
  });

  it('a signature checked against another key of the right type is bad_signature or unknown_key, never valid', async () => {
    const ex = EXAMPLES[4]!; // ed25519
    const other = await verifyHttpMessage(rt.keys, { key: 'rfc-rsa-pss', message: withSignature(ex.message, ex) }, { now: NOW });
    expect(other).toMatchObject({ valid: false, reason: 'unknown_key' }); // keyid test-key-ed25519 names no version of rfc-rsa-pss
  });

  it('a body that no longer matches the covered Content-Digest is digest_mismatch (B.2.4)', async () => {
    const ex = EXAMPLES[3]!;
    const message = { ...withSignature(ex.message, ex), body: Buffer.from('{"message": "bad dog"}') };
    const answer = await verifyHttpMessage(rt.keys, { key: 'rfc-ecc-p256', message }, { now: NOW });
    expect([answer.valid, answer.reason, answer.detail]).toEqual([false, 'digest_mismatch', 'digest_mismatch']);
  });

  it('the policy: a required tag, a required component and a maximum age', async () => {
    const ex = EXAMPLES[1]!; // tag="header-example", covers @authority content-digest @query-param;name="Pet"
    const message = withSignature(ex.message, ex);
    const check = (policy: object, now = NOW) => verifyHttpMessage(rt.keys, { key: 'rfc-rsa-pss', message, policy }, { now });
    expect((await check({ tag: 'header-example', required_components: ['@authority', '@query-param;name="Pet"'] })).valid).toBe(true);
    expect(await check({ tag: 'other' })).toMatchObject({ valid: false, reason: 'policy_violation', detail: 'tag_mismatch' });
    expect(await check({ required_components: ['@method'] })).toMatchObject({ valid: false, reason: 'policy_violation', detail: 'required_component_missing' });
    expect(await check({ max_age_seconds: 300 })).toMatchObject({ valid: true });
    expect(await check({ max_age_seconds: 300 }, NOW + 3600)).toMatchObject({ valid: false, reason: 'expired', detail: 'too_old' });
  });
});
