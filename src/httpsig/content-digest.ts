/**
 * Content-Digest (RFC 9530 §2): a Dictionary of digest algorithm → Byte Sequence over the message content.
 * payseal creates `sha-256` or `sha-512` (the two the IANA registry marks standard, §7.2) and, checking,
 * requires every such member present to match the body and at least one to be present; members with other
 * algorithms are ignored (§2: a recipient ignores what it does not support), and a field that does not parse is
 * a mismatch. The digests are public values; they are compared in constant time anyway, by habit.
 */
import { timingSafeEqual } from 'node:crypto';
import { parseDictionary, serializeDictionary } from 'structured-headers';
import { digest, type HashName } from '../crypto/index.ts';

export const DIGEST_ALGORITHMS = ['sha-256', 'sha-512'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const HASH_OF: Readonly<Record<DigestAlgorithm, HashName>> = { 'sha-256': 'sha2-256', 'sha-512': 'sha2-512' };

export function contentDigest(body: Uint8Array, algorithms: readonly DigestAlgorithm[] = ['sha-256']): string {
  const members = new Map(algorithms.map((a) => [a, [digest(HASH_OF[a], body), new Map()] as never]));
  return serializeDictionary(members);
}

export type DigestCheck = 'valid' | 'mismatch' | 'missing';

/** Checks a Content-Digest field value (its lines joined) against the body. */
export function checkContentDigest(field: string | null, body: Uint8Array): DigestCheck {
  if (field === null) return 'missing';
  let dict;
  try {
    dict = parseDictionary(field);
  } catch {
    return 'mismatch';
  }
  let checked = 0;
  for (const alg of DIGEST_ALGORITHMS) {
    const member = dict.get(alg);
    if (member === undefined) continue;
    const value = member[0];
    if (!(value instanceof ArrayBuffer)) return 'mismatch';
    const expected = digest(HASH_OF[alg], body);
    const got = Buffer.from(value);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return 'mismatch';
    checked++;
  }
  return checked > 0 ? 'valid' : 'missing';
}
