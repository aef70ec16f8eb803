/**
 * The versioned envelope of raw signatures and ciphertexts: `payseal:v<N>:<base64>` (Vault transit's
 * `vault:v3:` convention). Every output names the key version that made it, so verification and decryption
 * pick the version from the envelope, never from a guess.
 */
import { PaysealError } from '../errors.ts';
import { MAX_VERSION, VERSION_DIGITS_SOURCE } from '../grammar.ts';
import { decodeBase64Strict, encodeBase64 } from './base64.ts';

/** Versions as grammar.ts spells them: positive 31-bit integers without leading zeros. */
const ENVELOPE = new RegExp(`^payseal:v(${VERSION_DIGITS_SOURCE}):([A-Za-z0-9+/=]*)$`);

export function formatVersioned(version: number, bytes: Uint8Array): string {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw new RangeError('version out of range');
  return `payseal:v${version}:${encodeBase64(bytes)}`;
}

export function parseVersioned(value: unknown, field: string): { version: number; bytes: Buffer } {
  if (typeof value !== 'string') throw new PaysealError('invalid_request', `${field} must be a string of the form payseal:v<N>:<base64>`);
  const match = ENVELOPE.exec(value);
  const version = match ? Number(match[1]) : NaN;
  if (!match || version > MAX_VERSION) {
    throw new PaysealError('invalid_request', `${field} must be of the form payseal:v<N>:<base64>`);
  }
  return { version, bytes: decodeBase64Strict(match[2], field) };
}
