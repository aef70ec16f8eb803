/**
 * Key generation and import. Generation runs on libuv's thread pool (generateKeyPair's async form), which
 * matters most for DSA: generating 3072-bit domain parameters takes seconds (FIPS 186-4 Appendix A.1).
 * Imports check that the material matches the type's row (algorithm, size, curve), so a row of one type can
 * never be used as another.
 */
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { PaysealError } from '../errors.ts';
import type { KeyMaterial, KeyTypeSpec } from './types.ts';

const ENCODING = { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } } as const;

type PairCallback = (err: Error | null, publicKey: string, privateKey: Buffer) => void;

function startPair(spec: KeyTypeSpec, done: PairCallback): void {
  switch (spec.family) {
    case 'rsa':
      return generateKeyPair('rsa', { modulusLength: spec.bits, publicExponent: 0x10001, ...ENCODING }, done);
    case 'ecdsa':
      return generateKeyPair('ec', { namedCurve: spec.curve as string, ...ENCODING }, done);
    case 'dsa':
      return generateKeyPair('dsa', { modulusLength: spec.bits, divisorLength: 256, ...ENCODING }, done);
    case 'eddsa':
      return generateKeyPair('ed25519', ENCODING, done);
    default:
      throw new PaysealError('key_type_mismatch', `${spec.type} has no key pair`);
  }
}

export function generateKeyMaterial(spec: KeyTypeSpec): Promise<KeyMaterial> {
  return new Promise<KeyMaterial>((resolve, reject) => {
    if (spec.family === 'aes-gcm') {
      randomBytes(spec.bits / 8, (err, secret) => (err ? reject(err) : resolve({ secret, publicPem: null })));
      return;
    }
    startPair(spec, (err, publicPem, secret) => (err ? reject(err) : resolve({ secret, publicPem })));
  });
}

/** Node's name for the key's algorithm and the detail that must match the row. */
function matches(spec: KeyTypeSpec, key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails ?? {};
  switch (spec.family) {
    case 'rsa':
      return key.asymmetricKeyType === 'rsa' && details.modulusLength === spec.bits;
    case 'ecdsa':
      return key.asymmetricKeyType === 'ec' && details.namedCurve === spec.curve;
    case 'dsa':
      return key.asymmetricKeyType === 'dsa' && details.modulusLength === spec.bits && details.divisorLength === 256;
    case 'eddsa':
      return key.asymmetricKeyType === 'ed25519';
    case 'aes-gcm':
      return key.type === 'secret' && key.symmetricKeySize === spec.bits / 8;
  }
}

function checked(spec: KeyTypeSpec, key: KeyObject): KeyObject {
  if (!matches(spec, key)) throw new PaysealError('key_type_mismatch', `key material does not match type ${spec.type}`);
  return key;
}

/** The private KeyObject (PKCS#8 DER) or, for AES, the secret KeyObject. Never echoes the bytes in an error. */
export function importSecret(spec: KeyTypeSpec, secret: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = spec.family === 'aes-gcm' ? createSecretKey(secret) : createPrivateKey({ key: secret, format: 'der', type: 'pkcs8' });
  } catch {
    throw new PaysealError('key_type_mismatch', `stored key material for type ${spec.type} could not be imported`);
  }
  return checked(spec, key);
}

export function importPublic(spec: KeyTypeSpec, pem: string): KeyObject {
  if (spec.purpose !== 'sign') throw new PaysealError('key_type_mismatch', `${spec.type} keys have no public half`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new PaysealError('invalid_request', `public key for type ${spec.type} could not be parsed`);
  }
  return checked(spec, key);
}

export function publicPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}
