/**
 * Offline verification of a raw signature (`payseal:v<N>:<base64>`, API.md "Raw operations") against a bundle,
 * with TWO OPINIONS: node:crypto (OpenSSL, through src/crypto) and the independent implementation
 * (independent.ts). Valid needs both to say valid; if they differ the verdict is `disagreement`, whatever the
 * key's state, because then at least one implementation is wrong and nothing else in the verdict can be trusted.
 *
 * The version comes from the envelope and the algorithm from the bundle's key type, never from the caller.
 * Reasons, in order: unknown_key (no such key or version), disagreement, key_version_revoked (API.md: a revoked
 * version never verifies), below_min_version, bad_signature. The math is still reported for a revoked or
 * below-minimum version (`signature_checks`), because an auditor may need to know the signature itself is genuine.
 * Options the key's type cannot honour are input errors (unsupported_algorithm), not verdicts.
 */
import { importPublic } from '../crypto/key-material.ts';
import { resolveSignOptions } from '../crypto/options.ts';
import { createVerifier } from '../crypto/sign.ts';
import type { KeyTypeSpec, SignOptions, Verifier } from '../crypto/types.ts';
import { parseVersioned } from '../crypto/versioned.ts';
import type { Bundle, BundleKey, BundleVersion, VersionState } from './bundle.ts';
import { createIndependentVerifier } from './independent.ts';

/** One implementation that can say whether a signature verifies: a factory of src/crypto Verifiers. */
export interface Opinion {
  readonly name: string;
  readonly create: (spec: KeyTypeSpec, publicKeyPem: string) => Verifier;
}

export const OPENSSL_OPINION: Opinion = Object.freeze({
  name: 'node:crypto (OpenSSL)',
  create: (spec: KeyTypeSpec, pem: string) => createVerifier(spec, importPublic(spec, pem)),
});

export const INDEPENDENT_OPINION: Opinion = Object.freeze({
  name: 'independent (@noble/curves, node-forge, BigInt DSA)',
  create: createIndependentVerifier,
});

export const DEFAULT_OPINIONS: readonly Opinion[] = Object.freeze([OPENSSL_OPINION, INDEPENDENT_OPINION]);

export interface OpinionResult {
  readonly name: string;
  readonly valid: boolean;
  /** Set when this implementation refused the key itself (so it could not say valid). */
  readonly refused?: string;
}

export interface SignatureCheck {
  /** Every opinion said valid. */
  readonly valid: boolean;
  /** The opinions did not all say the same. */
  readonly disagreement: boolean;
  readonly opinions: readonly OpinionResult[];
}

/** Runs every opinion on one signature. A key an implementation refuses counts as its "not valid". */
export async function checkSignature(
  spec: KeyTypeSpec,
  pem: string,
  data: Uint8Array,
  signature: Uint8Array,
  options: SignOptions,
  opinions: readonly Opinion[] = DEFAULT_OPINIONS,
): Promise<SignatureCheck> {
  resolveSignOptions(spec, options);
  const results = await Promise.all(
    opinions.map(async (o): Promise<OpinionResult> => {
      let verifier: Verifier;
      try {
        verifier = o.create(spec, pem);
      } catch (e) {
        return { name: o.name, valid: false, refused: e instanceof Error ? e.message : 'key refused' };
      }
      return { name: o.name, valid: await verifier.verify(data, signature, options) };
    }),
  );
  const valid = results.every((r) => r.valid);
  return { valid, disagreement: !valid && results.some((r) => r.valid), opinions: results };
}

export type VerdictReason = 'unknown_key' | 'disagreement' | 'key_version_revoked' | 'below_min_version' | 'bad_signature';

export interface Verdict {
  readonly valid: boolean;
  readonly reason?: VerdictReason;
  readonly key: string;
  readonly key_version: number;
  readonly type?: string;
  readonly state?: VersionState;
  readonly revoked_at?: string | null;
  readonly min_version?: number;
  /** What the math said (both opinions valid); null when there was no key to check with. */
  readonly signature_checks: boolean | null;
  readonly opinions: readonly OpinionResult[];
}

/** The version's standing in the bundle: why it may not verify even with good math, or null. */
export function policyReason(key: BundleKey, version: BundleVersion): 'key_version_revoked' | 'below_min_version' | null {
  if (version.state === 'revoked') return 'key_version_revoked';
  if (version.version < key.min_version) return 'below_min_version';
  return null;
}

/** Verifies `data` against a signature made by `name` version `version` of the bundle. */
export async function verifyWithBundle(
  bundle: Bundle,
  name: string,
  version: number,
  data: Uint8Array,
  signature: Uint8Array,
  options: SignOptions,
  opinions: readonly Opinion[] = DEFAULT_OPINIONS,
): Promise<Verdict> {
  const key = bundle.keys.get(name);
  const v = key?.versions.get(version);
  if (key === undefined || v === undefined) {
    return { valid: false, reason: 'unknown_key', key: name, key_version: version, signature_checks: null, opinions: [] };
  }
  const facts = { key: name, key_version: version, type: key.spec.type, state: v.state, revoked_at: v.revoked_at, min_version: key.min_version };
  if (v.public_key_pem === null) {
    // An encryption key: resolveSignOptions throws key_type_mismatch, an input error.
    resolveSignOptions(key.spec, options);
  }
  const check = await checkSignature(key.spec, v.public_key_pem as string, data, signature, options, opinions);
  const policy = policyReason(key, v);
  const reason: VerdictReason | null = check.disagreement ? 'disagreement' : policy ?? (check.valid ? null : 'bad_signature');
  return reason === null
    ? { valid: true, ...facts, signature_checks: true, opinions: check.opinions }
    : { valid: false, reason, ...facts, signature_checks: check.valid, opinions: check.opinions };
}

export interface RawSignatureRequest {
  readonly key: string;
  readonly input: Uint8Array;
  /** `payseal:v<N>:<base64>` */
  readonly signature: string;
  readonly options?: SignOptions;
}

/** `payseal verify --key NAME --input FILE --signature SIG`: the envelope names the version. */
export async function verifyRawSignature(bundle: Bundle, request: RawSignatureRequest, opinions: readonly Opinion[] = DEFAULT_OPINIONS): Promise<Verdict> {
  const { version, bytes } = parseVersioned(request.signature, 'signature');
  return verifyWithBundle(bundle, request.key, version, request.input, bytes, request.options ?? {}, opinions);
}
