/**
 * messages/seal and messages/open: a signed payment message inside a compact JWE (RFC 7516 §7.1) with
 * `alg: dir` (RFC 7518 §4.5: the AES key version is the content key) and `enc: A128GCM | A256GCM` by the
 * key's size (§5.3), `kid: "<encrypt key>:vN"`, `cty: "JWT"` (RFC 7519 §5.2: the plaintext is itself a JOSE
 * object, here the JWS of messages/sign). Sign-then-encrypt: the signature stays verifiable after opening.
 *
 * Seal: a fresh 96-bit IV per message through crypto's Aead; AAD = ASCII(BASE64URL(protected header))
 * (RFC 7516 §5.1 step 14). Open checks the JWE strictly (five parts, empty encrypted key for dir, 12-byte IV,
 * 16-byte tag, no `zip`, no `crit`, enc matching the key's type) before decrypting, then verifies the JWS
 * with messages/verify. Every failure is a verify answer: the JWE layer's reasons mirror the JWS layer's,
 * and a failed GCM tag (a tampered or foreign sealed message) is bad_signature, detail decryption_failed.
 */
import type { KeyObject } from 'node:crypto';
import { GCM_IV_BYTES, GCM_TAG_BYTES, JwsError, createAead, decodeBase64UrlStrict, decodeProtectedHeader, encodeBase64Url, type KeyTypeSpec } from '../crypto/index.ts';
import { isPaysealError } from '../errors.ts';
import { lookupReason, type KeyLookup, type KeyLookupResult } from './_check-signature.ts';
import { formatKid, parseKid } from './kid.ts';
import { signMessage, type MessageSigningKey, type SignMessageOptions, type SignedMessage } from './sign.ts';
import { verifyMessage, type VerifyAnswer, type VerifyMessageOptions, type VerifyReason } from './verify.ts';

/** An AES-GCM key version resolved for encrypting (the newest): its secret KeyObject. */
export interface MessageEncryptionKey {
  readonly name: string;
  readonly version: number;
  readonly spec: KeyTypeSpec;
  readonly key: KeyObject;
}

const ENC = { 'aes-128-gcm': 'A128GCM', 'aes-256-gcm': 'A256GCM' } as const;

function encOf(spec: KeyTypeSpec): string | null {
  return spec.type === 'aes-128-gcm' || spec.type === 'aes-256-gcm' ? ENC[spec.type] : null;
}

/** Wraps a compact JWS in a compact JWE under one AES-GCM key version. */
export function sealJws(key: MessageEncryptionKey, jws: string): string {
  const aead = createAead(key.spec, key.key); // key_type_mismatch for anything but an AES-GCM key of its size
  const header = { alg: 'dir', enc: encOf(key.spec), kid: formatKid(key.name, key.version), cty: 'JWT' };
  const protectedB64 = encodeBase64Url(Buffer.from(JSON.stringify(header), 'utf8'));
  const out = aead.seal(Buffer.from(jws, 'utf8'), Buffer.from(protectedB64, 'ascii'));
  const iv = out.subarray(0, GCM_IV_BYTES);
  const ciphertext = out.subarray(GCM_IV_BYTES, out.length - GCM_TAG_BYTES);
  const tag = out.subarray(out.length - GCM_TAG_BYTES);
  return [protectedB64, '', encodeBase64Url(iv), encodeBase64Url(ciphertext), encodeBase64Url(tag)].join('.');
}

export interface SealedMessage {
  readonly sealed: string;
  /** The inner JWS's facts (kid, key_version, iat, jti) for the ledger entry; `sealed` is the API's answer. */
  readonly signed: SignedMessage;
}

export async function sealMessage(signKey: MessageSigningKey, encryptKey: MessageEncryptionKey, message: unknown, options: SignMessageOptions = {}): Promise<SealedMessage> {
  createAead(encryptKey.spec, encryptKey.key); // key_type_mismatch for a non-AES key, before anything is signed
  const signed = await signMessage(signKey, message, options);
  return { sealed: sealJws(encryptKey, signed.jws), signed };
}

export type OpenDetail = NonNullable<VerifyAnswer['detail']> | 'jwe_invalid' | 'enc_key_mismatch' | 'decryption_failed';
export type OpenAnswer = Omit<VerifyAnswer, 'detail'> & { readonly detail?: OpenDetail };

const NOTHING = { kid: null, key_version: null, iat: null, jti: null } as const;

function refused(reason: VerifyReason, detail: OpenDetail): OpenAnswer {
  return { valid: false, reason, detail, ...NOTHING };
}

interface JweParts {
  readonly protectedB64: string;
  readonly header: Record<string, unknown>;
  readonly body: Buffer;
}

/** RFC 7516 §7.1 with payseal's profile; null when anything is off. */
function parseJwe(sealed: unknown): JweParts | null {
  if (typeof sealed !== 'string') return null;
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[1] !== '') return null;
  const [protectedB64, , ivPart, ciphertextPart, tagPart] = parts as [string, string, string, string, string];
  try {
    const header = decodeProtectedHeader(protectedB64);
    const iv = decodeBase64UrlStrict(ivPart, 'iv');
    const ciphertext = decodeBase64UrlStrict(ciphertextPart, 'ciphertext');
    const tag = decodeBase64UrlStrict(tagPart, 'tag');
    if (iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES) return null;
    if (header.alg !== 'dir' || header.cty !== 'JWT' || Object.hasOwn(header, 'zip') || Object.hasOwn(header, 'crit')) return null;
    return { protectedB64, header, body: Buffer.concat([iv, ciphertext, tag]) };
  } catch (e) {
    if (e instanceof JwsError || isPaysealError(e)) return null;
    throw e;
  }
}

/**
 * Opens a sealed message: `decryptLookup` resolves the AES version named by the JWE kid (secret KeyObject),
 * `verifyLookup` the signing version named by the JWS kid; options as messages/verify (max age, replay).
 */
export async function openMessage(sealed: unknown, decryptLookup: KeyLookup, verifyLookup: KeyLookup, options: VerifyMessageOptions = {}): Promise<OpenAnswer> {
  const jwe = parseJwe(sealed);
  if (jwe === null) return refused('malformed', 'jwe_invalid');
  const kid = parseKid(jwe.header.kid);
  if (kid === null) return refused('malformed', 'kid_invalid');
  let found: KeyLookupResult;
  try {
    found = await decryptLookup(kid.name, kid.version);
  } catch (e) {
    if (isPaysealError(e) && e.code === 'key_not_found') return refused('unknown_key', 'unknown_key');
    throw e;
  }
  if (!found.ok) return refused(lookupReason(found.reason), found.reason);
  if (encOf(found.key.spec) === null || jwe.header.enc !== encOf(found.key.spec)) return refused('bad_signature', 'enc_key_mismatch');
  let plaintext: Buffer;
  try {
    plaintext = createAead(found.key.spec, found.key.key).open(jwe.body, Buffer.from(jwe.protectedB64, 'ascii'));
  } catch (e) {
    if (isPaysealError(e)) return refused('bad_signature', 'decryption_failed');
    throw e;
  }
  return verifyMessage(plaintext.toString('utf8'), verifyLookup, options);
}
