/**
 * The key model of API.md as types, and KeyService, which the API, the CLI and the other rooms call: key
 * rings, the hot-path lookups and the operations (operations/). The implementation is key-service.ts;
 * src/api and src/cli depend only on this interface.
 */
import type { KeyObject } from 'node:crypto';
import type { HashName, KeyType, KeyTypeSpec, Purpose } from '../crypto/types.ts';
import type { KeyDecrypter } from './operations/decrypt.ts';
import type { KeyEncrypter } from './operations/encrypt.ts';
import type { KeyRewrapper } from './operations/rewrap.ts';
import type { KeySigner } from './operations/sign.ts';
import type { KeyVerifier } from './operations/verify.ts';

export type VersionState = 'active' | 'retired' | 'revoked' | 'destroyed';

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
  | { readonly ok: false; readonly reason: 'key_version_revoked' | 'below_min_version' | 'unknown_version' | 'key_version_destroyed' };

export interface KeyConfigChange {
  /** null clears scheduled rotation; undefined leaves it as it is. */
  readonly rotation_period?: string | null;
  readonly min_version?: number;
  /** ECDSA keys only (unsupported_algorithm for `true` on another type); may be switched either way. */
  readonly low_s_only?: boolean;
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
  /** New version in one transaction under a row lock: concurrent rotations give consecutive versions. */
  rotate(name: string, actor: Actor): Promise<KeyInfo>;
  /** Rotates every key whose next_rotation_at has passed; one key's failure does not stop the rest. */
  rotateDue(actor: Actor, now?: Date): Promise<RotateDueResult>;
  /** min_version only rises and never above latest_version (invalid_request otherwise). */
  configure(name: string, change: KeyConfigChange, actor: Actor): Promise<KeyInfo>;
  /** The newest version cannot be revoked or destroyed (conflict); key_version_not_found for a missing version. */
  revoke(name: string, version: number, actor: Actor): Promise<KeyInfo>;
  destroy(name: string, version: number, actor: Actor): Promise<KeyInfo>;
  publicKeys(name: string): Promise<PublicKeysInfo>;
  /** Every non-revoked version of every asymmetric key that JWK can express. */
  jwks(): Promise<{ keys: Record<string, unknown>[] }>;

  /**
   * Hot path, served from the cache: the newest version of a signing key. Throws key_not_found,
   * key_type_mismatch. Encryption keys are only handed out through reserveEncryption, so that no AES-GCM
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
  signer(name: string): Promise<KeySigner>;
  verifier(name: string): Promise<KeyVerifier>;
  encrypter(name: string): Promise<KeyEncrypter>;
  decrypter(name: string): Promise<KeyDecrypter>;
  rewrapper(name: string): Promise<KeyRewrapper>;
}

export type { HashName };
