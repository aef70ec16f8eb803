/**
 * What `input_sha256` and `output_sha256` of a ledger entry cover, per op: one function per op, so the API, the
 * CLI, the scheduler and the offline verifier can never disagree on which bytes were hashed. All SHA-256, hex.
 *
 * | op | key, key_version | input_sha256 over | output_sha256 over |
 * | --- | --- | --- | --- |
 * | sign | key, version used | the bytes signed (decoded `input`) | the raw signature bytes (the base64 part of `payseal:vN:`) |
 * | message.sign | key, version used | the JWS payload: JCS(message), UTF-8 | the compact JWS, ASCII |
 * | seal | signing key, version | JCS(message), UTF-8 | the compact JWS inside the JWE (what `open` returns a verdict on) |
 * | key.create | key, 1 | JCS({type, rotation_period}) | SPKI DER of version 1's public key (null for AES) |
 * | key.rotate | key, new version | null | SPKI DER of the new version's public key (null for AES) |
 * | key.revoke, key.destroy | key, that version | null | null |
 * | key.configure | key, null | JCS of the change as requested ({min_version?, rotation_period?}) | null |
 * | client.create | client name, null | JCS({name, scopes}) | null (a token or its hash never enters the ledger) |
 * | client.delete | client name, null | null | null |
 *
 * A batch sign is one `sign` entry per item. The output digests are what an auditor holding the artefact can
 * recompute: `payseal ledger verify --message` hashes a compact JWS or a raw signature the same way.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../crypto/canonical-json.ts';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface EntryDigests {
  readonly input_sha256: string | null;
  readonly output_sha256: string | null;
}

/** Raw sign: the signed bytes and the raw signature (not its `payseal:vN:` envelope; key_version says N). */
export function signDigests(input: Uint8Array, signature: Uint8Array): EntryDigests {
  return { input_sha256: sha256Hex(input), output_sha256: sha256Hex(signature) };
}

/** message.sign and seal: the JCS payload and the compact JWS that carries its signature. */
export function messageDigests(payload: Uint8Array, compactJws: string): EntryDigests {
  return { input_sha256: sha256Hex(payload), output_sha256: sha256Hex(Buffer.from(compactJws, 'ascii')) };
}

/** A version's public half: a KeyObject, its SPKI PEM, or null (AES keys have none). */
export type PublicHalf = KeyObject | string | null;

/** The digest of a version's public key (SPKI DER), as key.create and key.rotate record it. */
export function publicKeyDigest(publicKey: PublicHalf): string | null {
  if (publicKey === null) return null;
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return sha256Hex(key.export({ type: 'spki', format: 'der' }));
}

export function keyCreateDigests(type: string, rotationPeriod: string | null, publicKey: PublicHalf): EntryDigests {
  return { input_sha256: sha256Hex(canonicalJson({ type, rotation_period: rotationPeriod })), output_sha256: publicKeyDigest(publicKey) };
}

export function keyRotateDigests(publicKey: PublicHalf): EntryDigests {
  return { input_sha256: null, output_sha256: publicKeyDigest(publicKey) };
}

export function keyConfigureDigests(change: { readonly min_version?: number; readonly rotation_period?: string | null }): EntryDigests {
  return { input_sha256: sha256Hex(canonicalJson(change)), output_sha256: null };
}

export function clientCreateDigests(name: string, scopes: readonly string[]): EntryDigests {
  return { input_sha256: sha256Hex(canonicalJson({ name, scopes })), output_sha256: null };
}
