/**
 * Decrypting with a key. The version comes from the ciphertext's `payseal:v<N>:` envelope. A version that may
 * not decrypt (revoked, below min_version, destroyed, or one that never existed) and a ciphertext or aad that
 * fails GCM's tag check (SP 800-38D §7.2) are all 400 decryption_failed: the message says which version rule
 * applied but never which part of the GCM input was wrong. The caller owns the plaintext buffer (rewrap zeroes it).
 */
import { createAead, parseVersioned } from '../../crypto/index.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import { PaysealError } from '../../errors.ts';
import type { KeyService } from '../types.ts';

export interface Decrypted {
  readonly plaintext: Buffer;
  readonly key_version: number;
}

export interface KeyDecrypter {
  readonly spec: KeyTypeSpec;
  /** `field` names the ciphertext in an invalid_request message (a batch slot's prefix included). */
  decrypt(ciphertext: string, aad: Uint8Array | undefined, field?: string): Promise<Decrypted>;
}

const REFUSALS: Readonly<Record<string, string>> = {
  key_version_revoked: 'is revoked',
  below_min_version: 'is below the key\'s min_version',
  key_version_destroyed: 'is destroyed',
  unknown_version: 'does not exist',
};

/** Throws key_not_found, or key_type_mismatch for a signing key. */
export async function openDecrypter(keys: Pick<KeyService, 'specFor' | 'versionFor'>, name: string): Promise<KeyDecrypter> {
  const spec = await keys.specFor(name, 'encrypt');
  return {
    spec,
    async decrypt(ciphertext, aad, field = 'ciphertext') {
      const envelope = parseVersioned(ciphertext, field);
      const lookup = await keys.versionFor(name, envelope.version, 'encrypt', 'decrypt');
      if (!lookup.ok) {
        throw new PaysealError('decryption_failed', `version ${envelope.version} of this key ${REFUSALS[lookup.reason] ?? 'may not decrypt'}`);
      }
      return { plaintext: createAead(lookup.key.spec, lookup.key.key).open(envelope.bytes, aad), key_version: envelope.version };
    },
  };
}
