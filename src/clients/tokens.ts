/**
 * Bearer tokens of API clients: "pst_" + base64url of 32 random bytes (256 bits; the prefix makes leaked
 * tokens findable by secret scanners). Only SHA-256(token) is ever stored, and matches are confirmed with a
 * constant-time compare.
 */
import crypto from 'node:crypto';

export const TOKEN_PREFIX = 'pst_';

export function newToken(): string {
  return TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
}

export function tokenDigest(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

/** Constant time (the digests are of equal length by construction). */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
