/**
 * The key model of API.md as types, and KeyService, which the API, the CLI and the other rooms call: key
 * rings, the hot-path lookups and the operations (operations/). The implementation is key-service.ts;
 * src/api and src/cli depend only on this interface.
 */
import type { KeyObject } from 'node:crypto';
import type { HashName, KeyType, KeyTypeSpec, Purpose } from '../crypto/types.ts';
import type { PublicKeyImport } from '../crypto/import-public.ts';
import type { KeyDecrypter } from './operations/decrypt.ts';
import type { KeyEncrypter } from './operations/encrypt.ts';
import type { KeyRewrapper } from './operations/rewrap.ts';
import type { KeySigner } from './operations/sign.ts';
import type { KeyVerifier } from './operations/verify.ts';
import type { CertificateInfo } from '../crypto/import-public.ts';

/** `pending` (extension): rotated in with pre-publication, published, not signing until the key's promotes_at. */
export type VersionState = 'active' | 'retired' | 'revoked' | 'destroyed' | 'pending';

/** Extension: what an imported key's X.509 certificate said (verification outside not_before..not_after is `expired`). */
export type VersionCertificate = CertificateInfo;

export interface KeyVersionInfo {
  readonly version: number;
  readonly state: VersionState;
  readonly created_at: string;
  readonly revoked_at?: string;
  readonly destroyed_at?: string;
  /**
   * Extension, AES keys only: encryptions counted against this version's bound of 2^32 (NIST SP 800-38D
   * §8.3). Counted in leased blocks, so it can run ahead of the encryptions actually made by one block
   * (10,000) per process; it never passes the bound.
   */
  readonly encryptions?: number;
  /** Extension, imported keys: the partner's own key id (a JWK kid), accepted as an RFC 9421 keyid. */
  readonly external_kid?: string;
  /** Extension, keys imported from a certificate. */
  readonly certificate?: VersionCertificate;
}

/** KeyInfo exactly as API.md. Timestamps are ISO 8601 UTC strings. */
export interface KeyInfo {
  readonly name: string;
  readonly type: KeyType;
  readonly purpose: Purpose;
  readonly latest_version: number;
  readonly min_version: number;
  /** "90d", "12h", … or null for no scheduled rotation. */
  readonly rotation_period: string | null;
  readonly next_rotation_at: string | null;
  readonly created_at: string;
  /** Extension: DSA types are legacy (FIPS 186-5). */
  readonly legacy?: boolean;
  /** Extension: "imported" for a partner's public key (verify-only); absent for keys payseal generated. */
  readonly origin?: 'imported';
  /** Extension: a version rotated in with publish_first_seconds, published but not signing yet, and when it will. */
  readonly pending_version?: number;
  readonly promotes_at?: string;
  /** Extension: the key's RFC 9421 verification policy (docs/partners.md), when one is set. */
  readonly http_signature_policy?: Readonly<Record<string, unknown>>;
  /**
   * Extension, ECDSA keys only: verify accepts only low-S signatures in the requested encoding (one accepted
   * form per signature). Signing is low-S for every ECDSA key either way.
   */
  readonly low_s_only?: boolean;
  readonly versions: readonly KeyVersionInfo[];
}

export interface PublicKeyVersion {
  readonly version: number;
  readonly state: VersionState;
  readonly public_key_pem: string;
  /** Absent for DSA, which JWK cannot express. Carries kid "<name>:v<N>" and alg. */
  readonly jwk?: Record<string, unknown>;
}

export interface PublicKeysInfo {
  readonly name: string;
  readonly type: KeyType;
  /** Extension: "imported" for a partner's public key. */
  readonly origin?: 'imported';
  readonly versions: readonly PublicKeyVersion[];
}

/**
 * Who made a change: "client:<name>" for API callers, "cli:<os user>" for the command line, "system" for
 * start-up bootstrap, "system:scheduler" for scheduled rotation in the service, "system:usage-limit" for a
 * rotation at the AES-GCM use bound.
 */
export type Actor = string;

/** The newest version of a key, ready to sign or encrypt. `privateKey` is a KeyObject (never serialised). */
export interface UsableKey {
  readonly name: string;
  readonly spec: KeyTypeSpec;
  readonly version: number;
  readonly key: KeyObject;
  /** The key's ECDSA verification policy (KeyInfo.low_s_only); set on public halves handed out to verify. */
  readonly lowSOnly?: boolean;
}

/**
 * The outcome of asking for a version to verify or decrypt with. A version that exists but may not be used
 * is not an error: verify answers `valid: false` with the reason.
 */
export type VersionLookup =
  | { readonly ok: true; readonly key: UsableKey }
  | { readonly ok: false; readonly reason: 'key_version_revoked' | 'below_min_version' | 'unknown_version' | 'key_version_destroyed' | 'expired' };

export interface KeyConfigChange {
  /** null clears scheduled rotation; undefined leaves it as it is. */
  readonly rotation_period?: string | null;
  readonly min_version?: number;
  /** Extension: the key's RFC 9421 verification policy, checked by the caller (src/httpsig); null clears it. */
  readonly http_signature_policy?: Readonly<Record<string, unknown>> | null;
  /** Extension: why (recorded with the key_configure event); the CLI requires it for a min_version raise. */
  readonly reason?: string;
  /** ECDSA keys only (unsupported_algorithm for `true` on another type); may be switched either way. */
  readonly low_s_only?: boolean;
}

export interface RotateOptions {
  /**
   * Pre-publication: the new version is published at once and signs only after this many seconds (0: at once).
   * Signing keys only.
   */
  readonly publishFirstSeconds?: number;
}

export interface RotateDueResult {
  readonly rotated: readonly { readonly name: string; readonly version: number }[];
  readonly failed: readonly { readonly name: string; readonly code: string; readonly message: string }[];
}

export interface KeyService {
  /** Throws key_exists, invalid_request (bad name or period), unsupported_algorithm (bad type). */
  create(name: string, type: string, rotationPeriod: string | null, actor: Actor): Promise<KeyInfo>;
  list(): Promise<KeyInfo[]>;
  /** Throws key_not_found. */
  get(name: string): Promise<KeyInfo>;
  /**
   * Creates a verify-only key from a partner's public key (origin "imported"); the type comes from the key.
   * Throws key_exists, invalid_request (private material, bad input), unsupported_algorithm (a type payseal lacks).
   */
  importKey(name: string, input: PublicKeyImport, actor: Actor): Promise<KeyInfo>;
  /** Rotation of an imported key: its next version from the partner's new public key (same type, else key_type_mismatch). */
  importVersion(name: string, input: PublicKeyImport, actor: Actor): Promise<KeyInfo>;
  /**
   * New version in one transaction under a row lock: concurrent rotations give consecutive versions. With
   * publishFirstSeconds the new version is published at once and signs after that delay. An imported key
   * cannot be rotated (key_verify_only: import its next version).
   */
  rotate(name: string, actor: Actor, options?: RotateOptions): Promise<KeyInfo>;
  /** Rotates every key whose next_rotation_at has passed; one key's failure does not stop the rest. */
  rotateDue(actor: Actor, now?: Date): Promise<RotateDueResult>;
  /** min_version only rises and never above latest_version (invalid_request otherwise). */
  configure(name: string, change: KeyConfigChange, actor: Actor): Promise<KeyInfo>;
  /**
   * The newest version cannot be revoked or destroyed (conflict); key_version_not_found for a missing version.
   * `reason` (extension) is recorded with the event.
   */
  revoke(name: string, version: number, actor: Actor, reason?: string): Promise<KeyInfo>;
  destroy(name: string, version: number, actor: Actor, reason?: string): Promise<KeyInfo>;
  publicKeys(name: string): Promise<PublicKeysInfo>;
  /** Every non-revoked version of every asymmetric key that JWK can express. */
  jwks(): Promise<{ keys: Record<string, unknown>[] }>;
  /**
   * The version of signing key `name` that a foreign key id names: "<name>:v<N>", or, for an imported key, the
   * partner's own kid (newest version holding it). null when it names none. From the cache.
   */
  resolveKeyId(name: string, keyid: string): Promise<number | null>;
  /** The key's stored RFC 9421 verification policy, or null. From the cache. Throws key_not_found. */
  httpSignaturePolicy(name: string): Promise<Readonly<Record<string, unknown>> | null>;

  /**
   * Hot path, served from the cache: the newest version of a signing key. Throws key_not_found,
   * key_type_mismatch, key_reserved (the ledger key, which signs checkpoints only), key_corrupt (its stored
   * private half fails to unwrap). Encryption keys are only handed out through reserveEncryption, so that no AES-GCM
   * encryption escapes the use count.
   */
  latestFor(name: string, purpose: 'sign'): Promise<UsableKey>;
  /** The key's type, for an operation on `purpose` keys; no key material. Throws key_not_found, key_type_mismatch. */
  specFor(name: string, purpose: Purpose): Promise<KeyTypeSpec>;
  /**
   * Hot path for AES-GCM encryption: the newest version of an encryption key with `uses` encryptions (default
   * 1) counted against its bound (NIST SP 800-38D §8.3), served from memory while this process's leased block
   * lasts. Encrypt exactly `uses` messages with the returned key. Throws key_not_found, key_type_mismatch,
   * unavailable, and key_exhausted when the newest version reached its bound and could not be rotated.
   */
  reserveEncryption(name: string, uses?: number): Promise<UsableKey>;
  /** Verification / decryption key for a given version, applying revoke, destroy and min_version. */
  versionFor(name: string, version: number, purpose: Purpose, use: 'verify' | 'decrypt'): Promise<VersionLookup>;

  /**
   * The operations (src/keys/operations/): each opens the key once (key_not_found / key_type_mismatch for the
   * whole request), then runs per message, so a batch pays the lookup once.
   */
  /** Signatures are recorded in the ledger with `actor` before they are returned (operations/sign.ts). */
  signer(name: string, actor: Actor): Promise<KeySigner>;
  verifier(name: string): Promise<KeyVerifier>;
  encrypter(name: string): Promise<KeyEncrypter>;
  decrypter(name: string): Promise<KeyDecrypter>;
  rewrapper(name: string): Promise<KeyRewrapper>;
}

export type { HashName };
