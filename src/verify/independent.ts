/**
 * The independent second opinion on a signature: no OpenSSL anywhere on its path (keys parsed by _spki.ts,
 * hashes by @noble/hashes).
 *
 * - ECDSA P-256/384/521, secp256k1 (FIPS 186-5 §6.4.2): @noble/curves, prehash off (we hash with the requested
 *   hash; noble truncates to the order's bit length, §6.4.2 step 3), lowS off (OpenSSL and payseal accept
 *   high-S), DER or compact r‖s as signature_encoding says.
 * - Ed25519 (RFC 8032 §5.1.7): @noble/curves with zip215 off: the strict RFC 8032 / FIPS 186-5 rules (canonical
 *   point and S < L), which are OpenSSL's too.
 * - RSA (RFC 8017): node-forge's modular exponentiation (RSAVP1, §5.2.2, which also refuses s >= n and a
 *   signature not k bytes long), then EMSA-PSS-VERIFY (§9.1.2, node-forge's pss with MGF1 of the same hash and
 *   salt length = digest length) or, for PKCS#1 v1.5, an encode-and-compare of EM (§8.2.2 step 3-4, the method
 *   the RFC recommends: no DigestInfo parser to get wrong). Hashes reach node-forge through a small adapter, so
 *   SHA-3 works too.
 * - DSA: dsa.ts (FIPS 186-4 §4.7), r and s from DER (src/crypto's strict parser) or r‖s.
 * Fails closed like the Verifier contract says: any exception is a false.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256, sha3_384, sha3_512 } from '@noble/hashes/sha3.js';
import forge from 'node-forge';
import { resolveSignOptions } from '../crypto/options.ts';
import { derToP1363 } from '../crypto/signature-encoding.ts';
import type { HashName, KeyTypeSpec, ResolvedSignOptions, SignOptions, Verifier } from '../crypto/types.ts';
import { dsaKeyLooksValid, dsaVerify } from './dsa.ts';
import { parseSpkiIndependently, type IndependentKey } from './_spki.ts';

type NobleHash = typeof sha256;
const HASHES: Readonly<Record<HashName, NobleHash>> = Object.assign(Object.create(null) as Record<HashName, NobleHash>, {
  'sha2-256': sha256,
  'sha2-384': sha384,
  'sha2-512': sha512,
  'sha3-256': sha3_256,
  'sha3-384': sha3_384,
  'sha3-512': sha3_512,
});

const CURVES = Object.assign(Object.create(null) as Record<string, typeof p256>, {
  'ecdsa-p256': p256,
  'ecdsa-p384': p384,
  'ecdsa-p521': p521,
  'ecdsa-secp256k1': secp256k1,
});

/** DigestInfo prefixes, RFC 8017 §9.2 note 1, and for SHA-3 the NIST OIDs 2.16.840.1.101.3.4.2.8-10. */
const DIGEST_INFO: Readonly<Record<HashName, string>> = Object.assign(Object.create(null) as Record<HashName, string>, {
  'sha2-256': '3031300d060960864801650304020105000420',
  'sha2-384': '3041300d060960864801650304020205000430',
  'sha2-512': '3051300d060960864801650304020305000440',
  'sha3-256': '3031300d060960864801650304020805000420',
  'sha3-384': '3041300d060960864801650304020905000430',
  'sha3-512': '3051300d060960864801650304020a05000440',
});

const binary = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('binary');

/** A node-forge message digest backed by @noble/hashes (node-forge has no SHA-3). */
function forgeDigest(name: HashName): forge.md.MessageDigest {
  const fn = HASHES[name];
  let state = fn.create();
  const md = {
    algorithm: name,
    blockLength: fn.blockLen,
    digestLength: fn.outputLen,
    start() {
      state = fn.create();
      return md;
    },
    update(message: string) {
      state.update(Buffer.from(message, 'binary'));
      return md;
    },
    // forge lets a digest be read and the hash go on; a clone keeps the running state.
    digest: () => forge.util.createBuffer(binary(state.clone().digest())),
  };
  return md as unknown as forge.md.MessageDigest;
}

function verifyRsa(key: forge.pki.rsa.PublicKey, spec: KeyTypeSpec, data: Uint8Array, sig: Uint8Array, o: ResolvedSignOptions): boolean {
  const hash = o.hash as HashName;
  const mHash = HASHES[hash](data);
  if (o.rsaPadding === 'pss') {
    const pss = forge.pss.create({ md: forgeDigest(hash), mgf: forge.mgf.mgf1.create(forgeDigest(hash)), saltLength: mHash.length });
    return key.verify(binary(mHash), binary(sig), pss);
  }
  const k = spec.bits / 8;
  const t = Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), mHash]);
  if (k < t.length + 11) return false;
  const expected = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - t.length - 3, 0xff), Buffer.from([0]), t]).toString('binary');
  return key.verify(binary(mHash), binary(sig), { verify: (_digest: string, em: string) => em === expected } as unknown as forge.pki.rsa.SignatureScheme);
}

function verifyDsa(key: IndependentKey & { kind: 'dsa' }, spec: KeyTypeSpec, data: Uint8Array, sig: Uint8Array, o: ResolvedSignOptions): boolean {
  const rs = o.signatureEncoding === 'p1363' ? sig : derToP1363(sig, spec.scalarBytes as number);
  const half = spec.scalarBytes as number;
  if (rs.length !== 2 * half) return false;
  const int = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex')}`);
  return dsaVerify(key.key, HASHES[o.hash as HashName](data), int(rs.subarray(0, half)), int(rs.subarray(half)));
}

function verifyWith(key: IndependentKey, spec: KeyTypeSpec, data: Uint8Array, sig: Uint8Array, o: ResolvedSignOptions): boolean {
  switch (key.kind) {
    case 'ecdsa': {
      const format = o.signatureEncoding === 'p1363' ? 'compact' : 'der';
      return (CURVES[spec.type] as typeof p256).verify(sig, HASHES[o.hash as HashName](data), key.point, { prehash: false, lowS: false, format });
    }
    case 'eddsa':
      return ed25519.verify(sig, data, key.raw, { zip215: false });
    case 'rsa':
      return verifyRsa(key.key, spec, data, sig, o);
    case 'dsa':
      return verifyDsa(key, spec, data, sig, o);
  }
}

/** A Verifier (src/crypto/types.ts contract) that shares no code with OpenSSL. Throws if the key is refused. */
export function createIndependentVerifier(spec: KeyTypeSpec, publicKeyPem: string): Verifier {
  const key = parseSpkiIndependently(spec, publicKeyPem);
  const usable = key.kind !== 'dsa' || dsaKeyLooksValid(key.key);
  return Object.freeze({
    spec,
    async verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
      const resolved = resolveSignOptions(spec, options);
      if (!usable || signature.length === 0) return false;
      try {
        return verifyWith(key, spec, data, signature, resolved) === true;
      } catch {
        return false;
      }
    },
  });
}
