/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) parsed WITHOUT OpenSSL, for the independent second opinion: the PEM
 * is decoded and the DER read with node-forge's asn1, then checked against the key type the bundle names.
 *
 * - RSA (RFC 8017 A.1.1, OID rsaEncryption): n and e, as a node-forge public key.
 * - ECDSA (RFC 5480 §2.1.1, id-ecPublicKey with a namedCurve OID): the encoded point (SEC 1 §2.3.3).
 * - Ed25519 (RFC 8410 §4, OID id-Ed25519): the 32-byte public key.
 * - DSA (RFC 3279 §2.3.2, id-dsa): p, q, g from Dss-Parms and y from the DSAPublicKey INTEGER.
 * Anything else, or a key that does not match the type (curve, modulus size, L and N), is refused.
 */
import forge from 'node-forge';
import type { KeyTypeSpec } from '../crypto/types.ts';
import { PaysealError } from '../errors.ts';
import type { DsaPublicKey } from './dsa.ts';

export type IndependentKey =
  | { readonly kind: 'rsa'; readonly key: forge.pki.rsa.PublicKey }
  | { readonly kind: 'ecdsa'; readonly point: Uint8Array }
  | { readonly kind: 'eddsa'; readonly raw: Uint8Array }
  | { readonly kind: 'dsa'; readonly key: DsaPublicKey };

const OID = {
  rsa: '1.2.840.113549.1.1.1',
  ec: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  dsa: '1.2.840.10040.4.1',
} as const;

/** payseal key type → namedCurve OID (RFC 5480 §2.1.1.1; secp256k1 from SEC 2). */
const CURVE_OID: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  'ecdsa-p256': '1.2.840.10045.3.1.7',
  'ecdsa-p384': '1.3.132.0.34',
  'ecdsa-p521': '1.3.132.0.35',
  'ecdsa-secp256k1': '1.3.132.0.10',
});

function refuse(spec: KeyTypeSpec, why: string): PaysealError {
  return new PaysealError('invalid_request', `public key for type ${spec.type} refused by the independent parser: ${why}`);
}

type Node = forge.asn1.Asn1;

function children(n: Node | undefined, count: number, what: string, spec: KeyTypeSpec): Node[] {
  if (n === undefined || n.tagClass !== forge.asn1.Class.UNIVERSAL || n.type !== forge.asn1.Type.SEQUENCE || !Array.isArray(n.value)) {
    throw refuse(spec, `${what} is not a SEQUENCE`);
  }
  if (n.value.length !== count) throw refuse(spec, `${what} has ${n.value.length} elements, expected ${count}`);
  return n.value as Node[];
}

function primitive(n: Node | undefined, type: number, what: string, spec: KeyTypeSpec): string {
  if (n === undefined || n.tagClass !== forge.asn1.Class.UNIVERSAL || n.type !== type || typeof n.value !== 'string') throw refuse(spec, `${what} has the wrong type`);
  return n.value;
}

/** A DER INTEGER that must be positive (X.690 §8.3: the leading bit is the sign). */
function positive(n: Node | undefined, what: string, spec: KeyTypeSpec): bigint {
  const bytes = Buffer.from(primitive(n, forge.asn1.Type.INTEGER, what, spec), 'binary');
  if (bytes.length === 0 || ((bytes[0] as number) & 0x80) !== 0) throw refuse(spec, `${what} is not a positive INTEGER`);
  return BigInt(`0x${bytes.toString('hex')}`);
}

function der(bytes: Buffer, spec: KeyTypeSpec, what: string): Node {
  try {
    // node-forge takes an options object here (lib/asn1.js), though its type declarations only say `strict`.
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean;
    return forge.asn1.fromDer(bytes.toString('binary'), options);
  } catch {
    throw refuse(spec, `${what} is not DER`);
  }
}

function pemBody(pem: string, spec: KeyTypeSpec): Buffer {
  const m = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END PUBLIC KEY-----\s*$/.exec(pem.trim() + '\n');
  if (m === null) throw refuse(spec, 'not a PEM PUBLIC KEY');
  return Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64');
}

const bitLength = (n: bigint): number => n.toString(2).length;

export function parseSpkiIndependently(spec: KeyTypeSpec, pem: string): IndependentKey {
  const [algorithm, bitString] = children(der(pemBody(pem, spec), spec, 'SubjectPublicKeyInfo'), 2, 'SubjectPublicKeyInfo', spec);
  const alg = algorithm?.value;
  if (!Array.isArray(alg) || alg.length < 1) throw refuse(spec, 'AlgorithmIdentifier is not a SEQUENCE');
  const oid = forge.asn1.derToOid(primitive(alg[0] as Node, forge.asn1.Type.OID, 'algorithm', spec));
  const bits = Buffer.from(primitive(bitString, forge.asn1.Type.BITSTRING, 'subjectPublicKey', spec), 'binary');
  // X.690 §8.6.2: the first octet counts unused bits; keys are whole octets.
  if (bits[0] !== 0) throw refuse(spec, 'subjectPublicKey has unused bits');
  const key = bits.subarray(1);
  switch (spec.family) {
    case 'rsa': {
      if (oid !== OID.rsa || alg.length !== 2 || (alg[1] as Node).type !== forge.asn1.Type.NULL) throw refuse(spec, 'not an rsaEncryption key');
      const [n, e] = children(der(key, spec, 'RSAPublicKey'), 2, 'RSAPublicKey', spec);
      const modulus = positive(n, 'modulus', spec);
      if (bitLength(modulus) !== spec.bits) throw refuse(spec, `modulus has ${bitLength(modulus)} bits`);
      const big = (v: bigint) => new forge.jsbn.BigInteger(v.toString(16), 16);
      return { kind: 'rsa', key: forge.pki.setRsaPublicKey(big(modulus), big(positive(e, 'exponent', spec))) };
    }
    case 'ecdsa': {
      if (oid !== OID.ec || alg.length !== 2) throw refuse(spec, 'not an id-ecPublicKey key');
      const curve = forge.asn1.derToOid(primitive(alg[1] as Node, forge.asn1.Type.OID, 'namedCurve', spec));
      if (curve !== CURVE_OID[spec.type]) throw refuse(spec, `curve ${curve} is not the type's`);
      return { kind: 'ecdsa', point: new Uint8Array(key) };
    }
    case 'eddsa':
      if (oid !== OID.ed25519 || alg.length !== 1 || key.length !== 32) throw refuse(spec, 'not an Ed25519 key');
      return { kind: 'eddsa', raw: new Uint8Array(key) };
    case 'dsa': {
      if (oid !== OID.dsa || alg.length !== 2) throw refuse(spec, 'not a DSA key with domain parameters');
      const [p, q, g] = children(alg[1] as Node, 3, 'Dss-Parms', spec).map((x, i) => positive(x, ['p', 'q', 'g'][i] as string, spec)) as [bigint, bigint, bigint];
      const y = positive(der(key, spec, 'DSAPublicKey'), 'y', spec);
      if (bitLength(p) !== spec.bits || bitLength(q) !== 256) throw refuse(spec, `(L, N) = (${bitLength(p)}, ${bitLength(q)})`);
      return { kind: 'dsa', key: { p, q, g, y } };
    }
    default:
      throw refuse(spec, 'the type has no public key');
  }
}
