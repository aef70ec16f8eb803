/**
 * Hashing (POST /v1/hash): a digest of the bytes with one of API.md's hashes (SHA-2 per FIPS 180-4, SHA-3 per
 * FIPS 202), as hex or base64. Needs no key; it sits with the keyed operations so the API room calls one
 * operation per route and does no crypto itself. The hash name is checked before the input is decoded, so a
 * request wrong in both answers unsupported_algorithm.
 */
import { decodeBase64Strict, digest, encodeBase64, parseHashName } from '../../crypto/index.ts';

/** `algorithm` as the caller wrote it (default sha2-256); `input` is the base64 text of the bytes. */
export function hashBase64(input: string, algorithm: unknown, format: 'hex' | 'base64' = 'hex'): { digest: string } {
  const name = parseHashName(algorithm ?? 'sha2-256');
  const bytes = digest(name, decodeBase64Strict(input, 'input'));
  return { digest: format === 'base64' ? encodeBase64(bytes) : bytes.toString('hex') };
}
