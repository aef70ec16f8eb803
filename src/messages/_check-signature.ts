/**
 * The part of verification that messages/verify and messages/detached share: from a parsed JWS whose kid
 * names (name, version), refuse `none`/HMAC/unknown algs before touching any key, check the key name is
 * acceptable, look the version up, and verify with the key whose type decides the alg (crypto/jws.ts).
 */
import { JwsError, resolveJwsAlgorithm, verifyJwsSignature, type JwsFailure, type KeyTypeSpec, type ParsedJws } from '../crypto/index.ts';
import type { KeyObject } from 'node:crypto';
import { isPaysealError } from '../errors.ts';
import type { Kid } from './kid.ts';

export type SignatureReason = 'bad_signature' | 'malformed' | 'unknown_key' | 'key_version_revoked' | 'below_min_version' | 'expired';
export type SignatureDetail = JwsFailure | 'key_not_accepted' | KeyLookupFailure;

/** A key version resolved for verifying: its public KeyObject (UsableKey of src/keys has this shape). */
export interface MessageVerificationKey {
  readonly spec: KeyTypeSpec;
  readonly key: KeyObject;
  readonly version: number;
}

/** `expired`: a partner's key imported from a certificate, used outside the certificate's validity. */
export type KeyLookupFailure = 'unknown_key' | 'unknown_version' | 'key_type_mismatch' | 'key_version_revoked' | 'below_min_version' | 'key_version_destroyed' | 'expired';
export type KeyLookupResult = { readonly ok: true; readonly key: MessageVerificationKey } | { readonly ok: false; readonly reason: KeyLookupFailure };
/**
 * Finds a key version to verify with (KeyService.versionFor in the service, the key bundle offline). It may
 * also throw PaysealError key_not_found, read as unknown_key; any other error propagates (unavailable → 503).
 */
export type KeyLookup = (name: string, version: number) => Promise<KeyLookupResult>;

const LOOKUP_REASON: Readonly<Record<KeyLookupFailure, SignatureReason>> = {
  unknown_key: 'unknown_key',
  unknown_version: 'unknown_key',
  // A kid naming a key of the other purpose (an AES key in a JWS, a signing key in a JWE): there is no key of
  // that name to do this with. Never a 400: the kid is the message's claim, not the caller's request.
  key_type_mismatch: 'unknown_key',
  // A destroyed signing version keeps its public half; a lookup that still says destroyed has nothing to verify with.
  key_version_destroyed: 'unknown_key',
  key_version_revoked: 'key_version_revoked',
  below_min_version: 'below_min_version',
  expired: 'expired',
};

/** API.md's reason for a version the lookup would not give. */
export function lookupReason(failure: KeyLookupFailure): SignatureReason {
  return LOOKUP_REASON[failure];
}

export type SignatureOutcome =
  | { readonly ok: true; readonly key: MessageVerificationKey }
  | { readonly ok: false; readonly reason: SignatureReason; readonly detail: SignatureDetail };

export async function checkSignature(parsed: ParsedJws, kid: Kid, lookup: KeyLookup, keys?: readonly string[]): Promise<SignatureOutcome> {
  try {
    resolveJwsAlgorithm(parsed.header.alg);
  } catch (e) {
    if (e instanceof JwsError) return { ok: false, reason: e.reason, detail: e.failure };
    throw e;
  }
  if (keys !== undefined && !keys.includes(kid.name)) return { ok: false, reason: 'unknown_key', detail: 'key_not_accepted' };
  let found: KeyLookupResult;
  try {
    found = await lookup(kid.name, kid.version);
  } catch (e) {
    if (isPaysealError(e) && e.code === 'key_not_found') return { ok: false, reason: 'unknown_key', detail: 'unknown_key' };
    throw e;
  }
  if (!found.ok) return { ok: false, reason: lookupReason(found.reason), detail: found.reason };
  const check = await verifyJwsSignature(found.key.spec, found.key.key, parsed);
  return check.valid ? { ok: true, key: found.key } : { ok: false, reason: 'bad_signature', detail: check.failure };
}
