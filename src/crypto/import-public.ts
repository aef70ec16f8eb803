/**
 * A partner's public key, imported for verification only: from an SPKI PEM, a public JWK (RFC 7517) or an
 * X.509 certificate (RFC 5280, through node:crypto's X509Certificate). The key type is derived from the key
 * itself, never from what the caller says it is, and must be a row of the registry: RSA 2048/3072/4096,
 * ECDSA on P-256/P-384/P-521/secp256k1, DSA with (L, N) = (2048, 256) or (3072, 256) (FIPS 186-4 §4.2), Ed25519;
 * anything else is unsupported_algorithm.
 *
 * Private material is refused outright (400 invalid_request): a PEM that holds a private key, a JWK with a
 * private member. payseal must never hold a partner's private half, not even for a moment.
 * An RSASSA-PSS SPKI (RFC 4055 §3.1: id-RSASSA-PSS with parameters) is stored as a plain rsaEncryption SPKI of
 * the same modulus and exponent: the hash and salt are decided by the verification scheme (PS256 in a JWS,
 * rsa-pss-sha512 in RFC 9421), as for any payseal RSA key.
 */
import { X509Certificate, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { PaysealError } from '../errors.ts';
import { isKeyType, resolveKeyType } from './registry.ts';
import type { KeyTypeSpec } from './types.ts';

/** Exactly one of the three, as the API takes it. */
export interface PublicKeyImport {
  readonly public_key_pem?: string | undefined;
  readonly jwk?: Readonly<Record<string, unknown>> | undefined;
  readonly certificate_pem?: string | undefined;
  /** The partner's name for the key (its RFC 9421 keyid); a JWK's own `kid` is used when this is absent. */
  readonly kid?: string | undefined;
}

/** What a certificate says about itself, kept beside the key (its validity bounds verification). */
export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  /** Hex, as X509Certificate.serialNumber. */
  readonly serial: string;
  /** ISO 8601. */
  readonly not_before: string;
  readonly not_after: string;
  readonly fingerprint256: string;
}

export interface ImportedPublicKey {
  readonly spec: KeyTypeSpec;
  readonly key: KeyObject;
  /** SPKI PEM, re-encoded by OpenSSL (one spelling per key). */
  readonly publicPem: string;
  readonly certificatePem: string | null;
  readonly certificate: CertificateInfo | null;
  /** The JWK's `kid`, when it had one: how the partner names the key. */
  readonly externalKid: string | null;
}

const MAX_INPUT = 64 * 1024;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const CURVE_TYPES: Readonly<Record<string, string>> = { prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384', secp521r1: 'ecdsa-p521', secp256k1: 'ecdsa-secp256k1' };

function bad(message: string): PaysealError {
  return new PaysealError('invalid_request', message);
}

function unsupported(what: string): PaysealError {
  return new PaysealError('unsupported_algorithm', `${what} is not a key type payseal supports (rsa-2048/3072/4096, ecdsa-p256/p384/p521/secp256k1, dsa-2048/3072, ed25519)`);
}

/** The registry row for a public key, read from the key (algorithm, size, curve). */
export function keyTypeOfPublicKey(key: KeyObject): KeyTypeSpec {
  const d = key.asymmetricKeyDetails ?? {};
  let type: string | undefined;
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      type = `rsa-${d.modulusLength}`;
      break;
    case 'ec':
      type = CURVE_TYPES[String(d.namedCurve)];
      break;
    case 'dsa':
      type = d.divisorLength === 256 ? `dsa-${d.modulusLength}` : undefined;
      break;
    case 'ed25519':
      type = 'ed25519';
      break;
  }
  if (type === undefined || !isKeyType(type)) {
    const size = d.modulusLength ?? d.namedCurve ?? '';
    throw unsupported(`a ${key.asymmetricKeyType ?? 'unknown'}${size ? ` ${size}` : ''} key`);
  }
  return resolveKeyType(type);
}

/** DER: the header length and content length of the TLV at `at` (definite lengths only). */
function tlv(der: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = der[at] as number;
  let len = der[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3) throw bad('public key DER has an unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  if (start + len > der.length) throw bad('public key DER is truncated');
  return { tag, start, end: start + len };
}

/** id-RSASSA-PSS SPKI → the RSAPublicKey inside it → a plain RSA KeyObject (same n, e). */
function plainRsa(key: KeyObject): KeyObject {
  const der = key.export({ type: 'spki', format: 'der' });
  const outer = tlv(der, 0);
  const algorithm = tlv(der, outer.start);
  const bits = tlv(der, algorithm.end);
  if (outer.tag !== 0x30 || algorithm.tag !== 0x30 || bits.tag !== 0x03 || der[bits.start] !== 0) throw bad('RSASSA-PSS public key is malformed');
  return createPublicKey({ key: der.subarray(bits.start + 1, bits.end), format: 'der', type: 'pkcs1' });
}

function fromPem(pem: string): KeyObject {
  if (/PRIVATE KEY/.test(pem)) throw bad('public_key_pem holds a private key: send only the public half');
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) throw bad('public_key_pem must be a PEM "PUBLIC KEY" (SPKI) or "RSA PUBLIC KEY"');
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw bad('public_key_pem could not be parsed');
  }
}

function fromJwk(jwk: Readonly<Record<string, unknown>>): KeyObject {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw bad('jwk must be a JSON object');
  if (PRIVATE_JWK_MEMBERS.some((m) => Object.hasOwn(jwk, m))) throw bad('jwk holds private or secret members: send only the public key');
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') throw unsupported(`a JWK of kty ${JSON.stringify(String(jwk.kty).slice(0, 16))}`);
  if (jwk.kty === 'OKP' && jwk.crv !== 'Ed25519') throw unsupported(`an OKP JWK on ${JSON.stringify(String(jwk.crv).slice(0, 16))}`);
  try {
    return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw bad('jwk could not be parsed as a public key');
  }
}

function fromCertificate(pem: string): { key: KeyObject; info: CertificateInfo; pem: string } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw bad('certificate_pem could not be parsed as an X.509 certificate');
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw bad('certificate_pem has an unreadable validity period');
  const info: CertificateInfo = {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serialNumber,
    not_before: notBefore.toISOString(),
    not_after: notAfter.toISOString(),
    fingerprint256: cert.fingerprint256,
  };
  return { key: cert.publicKey, info, pem: cert.toString() };
}

/** Parses exactly one of public_key_pem, jwk, certificate_pem; the result is ready to store and verify with. */
export function importPublicKey(input: PublicKeyImport): ImportedPublicKey {
  const given = (['public_key_pem', 'jwk', 'certificate_pem'] as const).filter((f) => input[f] !== undefined);
  if (given.length !== 1) throw bad('import needs exactly one of public_key_pem, jwk, certificate_pem');
  for (const f of ['public_key_pem', 'certificate_pem'] as const) {
    const v = input[f];
    if (v !== undefined && (typeof v !== 'string' || v.length > MAX_INPUT)) throw bad(`${f} must be a PEM string of at most ${MAX_INPUT} characters`);
  }
  let key: KeyObject;
  let certificate: { info: CertificateInfo; pem: string } | null = null;
  const kid = input.kid ?? (input.jwk !== undefined ? input.jwk.kid : undefined);
  if (kid !== undefined && (typeof kid !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(kid))) throw bad('kid must be 1-256 visible ASCII characters');
  const externalKid = kid ?? null;
  if (input.public_key_pem !== undefined) key = fromPem(input.public_key_pem);
  else if (input.jwk !== undefined) key = fromJwk(input.jwk);
  else {
    const c = fromCertificate(input.certificate_pem as string);
    key = c.key;
    certificate = { info: c.info, pem: c.pem };
  }
  if (key.type !== 'public') throw bad('a public key is required');
  const spec = keyTypeOfPublicKey(key);
  if (key.asymmetricKeyType === 'rsa-pss') key = plainRsa(key);
  const publicPem = key.export({ type: 'spki', format: 'pem' }).toString();
  return { spec, key, publicPem, certificatePem: certificate?.pem ?? null, certificate: certificate?.info ?? null, externalKid };
}
