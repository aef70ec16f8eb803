/**
 * The JWS algorithm table (RFC 7518 §3.1; ES256K RFC 8812 §3.2; EdDSA RFC 8037 §3.1; DS256 is payseal's
 * private name for DSA with SHA-256, r‖s each N/8 = 32 bytes). One null-prototype table built by small
 * factories, resolved once: the rest of the code holds a row, never the header's string. `none` and every
 * HMAC alg are refused outright: payseal has no shared secrets, and accepting HS256 is the classic
 * "public key as HMAC secret" forgery.
 */
import { JwsError } from './jws-failure.ts';
import { jwsAlgorithm } from './jose.ts';
import type { Family, HashName, KeyType, KeyTypeSpec, RsaPadding, SignOptions } from './types.ts';

export const JWS_ALGS = ['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA', 'DS256'] as const;
export type JwsAlg = (typeof JWS_ALGS)[number];

/** One row of the JWS algorithm table; everything downstream holds a row, never the header's string. */
export interface JwsAlgorithm {
  readonly alg: JwsAlg;
  readonly family: Exclude<Family, 'aes-gcm'>;
  /** null for EdDSA (pure Ed25519 hashes internally, RFC 8032 §5.1). */
  readonly hash: HashName | null;
  readonly rsaPadding: RsaPadding | null;
  /** ECDSA: the one key type whose curve the alg names (RFC 7518 §3.4: ES256 is P-256 only). */
  readonly keyType: KeyType | null;
}

function rsa(alg: JwsAlg, hash: HashName, rsaPadding: RsaPadding): JwsAlgorithm {
  return Object.freeze({ alg, family: 'rsa', hash, rsaPadding, keyType: null });
}
function ecdsa(alg: JwsAlg, keyType: KeyType, hash: HashName): JwsAlgorithm {
  return Object.freeze({ alg, family: 'ecdsa', hash, rsaPadding: null, keyType });
}

const ALGS: Readonly<Record<JwsAlg, JwsAlgorithm>> = Object.freeze(
  Object.assign(Object.create(null) as Record<JwsAlg, JwsAlgorithm>, {
    PS256: rsa('PS256', 'sha2-256', 'pss'),
    PS384: rsa('PS384', 'sha2-384', 'pss'),
    PS512: rsa('PS512', 'sha2-512', 'pss'),
    RS256: rsa('RS256', 'sha2-256', 'pkcs1v15'),
    RS384: rsa('RS384', 'sha2-384', 'pkcs1v15'),
    RS512: rsa('RS512', 'sha2-512', 'pkcs1v15'),
    ES256: ecdsa('ES256', 'ecdsa-p256', 'sha2-256'),
    ES384: ecdsa('ES384', 'ecdsa-p384', 'sha2-384'),
    ES512: ecdsa('ES512', 'ecdsa-p521', 'sha2-512'),
    ES256K: ecdsa('ES256K', 'ecdsa-secp256k1', 'sha2-256'),
    EdDSA: Object.freeze({ alg: 'EdDSA', family: 'eddsa', hash: null, rsaPadding: null, keyType: null }),
    DS256: Object.freeze({ alg: 'DS256', family: 'dsa', hash: 'sha2-256', rsaPadding: null, keyType: null }),
  }),
);

/** The row for a header's alg. `none` and HMAC (HS*) are refused (alg_refused); any other unknown alg is alg_unsupported. */
export function resolveJwsAlgorithm(alg: unknown): JwsAlgorithm {
  if (typeof alg !== 'string') throw new JwsError('header_member_invalid', 'header alg must be a string');
  const row = ALGS[alg as JwsAlg];
  if (row !== undefined) return row;
  if (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg)) throw new JwsError('alg_refused', 'alg is refused: payseal accepts no unsigned or HMAC JWS');
  throw new JwsError('alg_unsupported', 'alg is not supported');
}

/** The algs a key of this type may verify: RSA every PS/RS by hash; ECDSA exactly its curve's; DSA DS256; Ed25519 EdDSA. */
export function algsForKey(spec: KeyTypeSpec): readonly JwsAlg[] {
  if (spec.purpose !== 'sign') return [];
  return JWS_ALGS.filter((a) => {
    const row = ALGS[a];
    return row.family === spec.family && (row.keyType === null || row.keyType === spec.type);
  });
}

/** The row a key signs with (crypto/jose.ts's jwsAlgorithm: the type's default hash, PSS unless told). */
export function jwsSigningAlgorithm(spec: KeyTypeSpec, rsaPadding: RsaPadding = 'pss'): JwsAlgorithm {
  return ALGS[jwsAlgorithm(spec, rsaPadding) as JwsAlg];
}


/** The sign/verify options of crypto/sign.ts that carry out a row: its hash and padding, r‖s for ECDSA and DSA. */
export function signOptionsOf(row: JwsAlgorithm): SignOptions {
  if (row.family === 'rsa') return { hash: row.hash ?? undefined, rsaPadding: row.rsaPadding ?? undefined };
  if (row.family === 'eddsa') return {};
  return { hash: row.hash ?? undefined, signatureEncoding: 'p1363' };
}
