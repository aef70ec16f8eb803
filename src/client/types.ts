/**
 * The wire shapes of payseal's API (API.md, version 1, and docs/api.md's extensions) as the client's callers
 * see them. Field names are the API's own (snake_case), so a request written from the docs type-checks as is.
 * Binary inputs (`input`, `plaintext`, `aad`, a detached `payload`) take bytes or text (`Binary`); the client
 * base64-encodes them (RFC 4648 §4, padded), which is what the API expects.
 */

/** Bytes, or text sent as its UTF-8 bytes. */
export type Binary = Uint8Array | string;

export type HashAlgorithm = 'sha2-256' | 'sha2-384' | 'sha2-512' | 'sha3-256' | 'sha3-384' | 'sha3-512';
export type RsaPadding = 'pss' | 'pkcs1v15';
export type SignatureEncoding = 'der' | 'p1363';
export type KeyType =
  | 'rsa-2048'
  | 'rsa-3072'
  | 'rsa-4096'
  | 'ecdsa-p256'
  | 'ecdsa-p384'
  | 'ecdsa-p521'
  | 'ecdsa-secp256k1'
  | 'dsa-2048'
  | 'dsa-3072'
  | 'ed25519'
  | 'aes-128-gcm'
  | 'aes-256-gcm';

/** `{"error": {"code", "message"}}`: a whole failed request, or one failed slot of a batch. */
export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
}

/** One slot of `batch_results` that failed; the other slots are unaffected. */
export interface BatchItemError {
  readonly error: ApiErrorBody;
}

/** One slot of `batch_results`: the operation's answer, or the error of that item alone. */
export type BatchSlot<T> = T | BatchItemError;

export function isBatchItemError<T>(slot: BatchSlot<T>): slot is BatchItemError {
  return typeof slot === 'object' && slot !== null && 'error' in slot && typeof (slot as BatchItemError).error === 'object';
}

// ---- raw operations ------------------------------------------------------------------------------------

export interface SignOptions {
  readonly hash?: HashAlgorithm;
  readonly rsa_padding?: RsaPadding;
  readonly signature_encoding?: SignatureEncoding;
}
export interface SignRequest extends SignOptions {
  readonly input: Binary;
}
export interface SignResult {
  /** `payseal:v<N>:<base64>` */
  readonly signature: string;
  readonly key_version: number;
}

export interface VerifyRequest extends SignOptions {
  readonly input: Binary;
  readonly signature: string;
}
export type VerifyReason = 'bad_signature' | 'key_version_revoked' | 'below_min_version' | 'unknown_version' | (string & {});
export interface VerifyResult {
  readonly valid: boolean;
  readonly key_version: number;
  readonly reason?: VerifyReason;
}

export interface EncryptRequest {
  readonly plaintext: Binary;
  readonly aad?: Binary;
}
export interface CiphertextResult {
  /** `payseal:v<N>:<base64 of iv ‖ ciphertext ‖ tag>` */
  readonly ciphertext: string;
  readonly key_version: number;
}
export interface DecryptRequest {
  readonly ciphertext: string;
  readonly aad?: Binary;
}
/** Decrypt's answer with `plaintext` already decoded from base64. */
export interface DecryptResult {
  readonly plaintext: Buffer;
  readonly key_version: number;
}
export type RewrapRequest = DecryptRequest;

export interface HashRequest {
  readonly input: Binary;
  readonly algorithm?: HashAlgorithm;
  readonly format?: 'hex' | 'base64';
}
export interface HashResult {
  readonly digest: string;
}

// ---- keys ----------------------------------------------------------------------------------------------

export interface KeyVersionInfo {
  readonly version: number;
  /** `pending` (extension): pre-published, signing from the key's `promotes_at`. */
  readonly state: 'active' | 'retired' | 'revoked' | 'destroyed' | 'pending';
  readonly created_at: string;
  readonly revoked_at?: string;
  readonly destroyed_at?: string;
  readonly encryptions?: number;
  /** Extension, imported keys: the partner's own key id; the certificate it came in. */
  readonly external_kid?: string;
  readonly certificate?: { readonly subject: string; readonly issuer: string; readonly serial: string; readonly not_before: string; readonly not_after: string; readonly fingerprint256: string };
}
export interface KeyInfo {
  readonly name: string;
  readonly type: KeyType;
  readonly purpose: 'sign' | 'encrypt';
  readonly latest_version: number;
  readonly min_version: number;
  readonly rotation_period: string | null;
  readonly next_rotation_at: string | null;
  readonly created_at: string;
  readonly legacy?: boolean;
  /** Extensions: a partner's imported key; a pre-published version and when it takes over; an RFC 9421 policy. */
  readonly origin?: 'imported';
  readonly pending_version?: number;
  readonly promotes_at?: string;
  readonly http_signature_policy?: Readonly<Record<string, unknown>>;
  /** ECDSA keys: verify accepts only low-S signatures in the requested encoding. */
  readonly low_s_only?: boolean;
  readonly versions: readonly KeyVersionInfo[];
}
export interface CreateKeyRequest {
  readonly name: string;
  readonly type: KeyType;
  readonly rotation_period?: string | null;
}

/** A public JWK as payseal serves it: RFC 7517 members plus `kid` "<name>:v<N>", `alg` and `use`. */
export interface PaysealJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg?: string;
  readonly use?: string;
  readonly [member: string]: unknown;
}
export interface JsonWebKeySet {
  readonly keys: readonly PaysealJwk[];
}
export interface PublicKeys {
  readonly name: string;
  readonly type: KeyType;
  readonly versions: readonly { version: number; state: KeyVersionInfo['state']; public_key_pem: string; jwk?: PaysealJwk }[];
}

// ---- payment messages ----------------------------------------------------------------------------------

/** A JSON value. Send money amounts as strings: JCS (RFC 8785) keeps numbers only as IEEE 754 doubles. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [member: string]: JsonValue };

export interface MessageSignRequest {
  readonly key: string;
  /**
   * Any value JSON can carry (typed `unknown` so that interfaces without an index signature are accepted);
   * NaN, ±Infinity, bigints and integers beyond 2^53 are refused before sending.
   */
  readonly message: unknown;
  readonly rsa_padding?: RsaPadding;
}
export interface MessageSignResult {
  /** Compact JWS; its payload is the JCS form of `message`. */
  readonly jws: string;
  /** `<name>:v<N>` */
  readonly kid: string;
  readonly key_version: number;
  /** Unix seconds. */
  readonly iat: number;
  readonly jti: string;
}

export interface MessageVerifyRequest {
  /** Compact JWS; for a detached JWS (`<header>..<signature>`) give the signed bytes as `payload`. */
  readonly jws: string;
  /**
   * Planned extension (RFC 7797 detached JWS): the bytes the detached JWS signs, sent as base64 in `payload`.
   * The server route is being aligned with it; API.md version 1 has no such field.
   */
  readonly payload?: Binary;
  readonly max_age_seconds?: number;
  /** Record the `jti` (shared by every replica); a second consume of it answers `replayed`. */
  readonly consume?: boolean;
}
export type MessageReason =
  | 'bad_signature'
  | 'malformed'
  | 'unknown_key'
  | 'key_version_revoked'
  | 'below_min_version'
  | 'expired'
  | 'replayed'
  | (string & {});

/** The messages/verify (and messages/open) answer. `message` is present only when `valid`. */
export interface MessageVerification {
  readonly valid: boolean;
  readonly reason?: MessageReason;
  readonly kid: string | null;
  readonly key_version: number | null;
  readonly iat: number | null;
  readonly jti: string | null;
  readonly message?: JsonValue;
}

export interface MessageSealRequest {
  readonly sign_key: string;
  readonly encrypt_key: string;
  /** As in MessageSignRequest. */
  readonly message: unknown;
}
export interface MessageSealResult {
  /** Compact JWE (`dir`, A128GCM/A256GCM) around the JWS of messages/sign. */
  readonly sealed: string;
}
export interface MessageOpenRequest {
  readonly sealed: string;
  readonly max_age_seconds?: number;
  readonly consume?: boolean;
}
