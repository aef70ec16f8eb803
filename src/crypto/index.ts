/**
 * src/crypto: payseal's cryptographic core. Pure: no I/O, no environment, no clock beyond what OpenSSL uses.
 * Every export is listed by name.
 */
export { KEY_TYPES, HASHES, RSA_PADDINGS, SIGNATURE_ENCODINGS } from './types.ts';
export type {
  Aead,
  Family,
  HashName,
  Hasher,
  KeyMaterial,
  KeyType,
  KeyTypeSpec,
  Purpose,
  ResolvedSignOptions,
  RsaPadding,
  SignOptions,
  SignatureEncoding,
  Signer,
  Verifier,
} from './types.ts';
export { resolveKeyType, isKeyType, keyTypeSpecs } from './registry.ts';
export { parseHashName, digest, digestLength, createHasher } from './hash.ts';
export { parseSignOptions, resolveSignOptions } from './options.ts';
export { generateKeyMaterial, importSecret, importPublic, publicPemOf } from './key-material.ts';
export { importPublicKey, keyTypeOfPublicKey } from './import-public.ts';
export type { CertificateInfo, ImportedPublicKey, PublicKeyImport } from './import-public.ts';
export { createSigner, createVerifier } from './sign.ts';
export type { VerifyPolicy } from './sign.ts';
export { ecdsaOrder, isStrictLowS, lowS } from './ecdsa-low-s.ts';
export { createAead, GCM_IV_BYTES, GCM_TAG_BYTES } from './aes-gcm.ts';
export { jwsAlgorithm, publicJwk } from './jose.ts';
export { decodeBase64Strict, decodeBase64UrlStrict, encodeBase64, encodeBase64Url } from './base64.ts';
export { derToP1363, p1363ToDer } from './signature-encoding.ts';
export { canonicalJson } from './canonical-json.ts';
export { formatVersioned, parseVersioned } from './versioned.ts';
export { JWS_ALGS, algsForKey, jwsSigningAlgorithm, resolveJwsAlgorithm } from './jws-algorithms.ts';
export type { JwsAlg, JwsAlgorithm } from './jws-algorithms.ts';
export { JwsError, jwsReasonOf } from './jws-failure.ts';
export type { JwsFailure, JwsReason } from './jws-failure.ts';
export { decodeProtectedHeader, parseCompactJws, signCompactJws, verifyJwsSignature } from './jws.ts';
export type { JwsCheck, ParseJwsOptions, ParsedJws, SignJwsOptions } from './jws.ts';
export { HTTP_SIGNATURE_ALGS, httpSignatureAlgorithmFor, httpSignatureAlgsFor, resolveHttpSignatureAlgorithm } from './http-signature-algorithms.ts';
export type { HttpSignatureAlg, HttpSignatureAlgorithm } from './http-signature-algorithms.ts';
