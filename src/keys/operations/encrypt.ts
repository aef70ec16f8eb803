/**
 * Encrypting with a key: AES-GCM under the newest version of an encryption key (NIST SP 800-38D, random 96-bit
 * IV), answered as `payseal:v<N>:<base64 of iv ‖ ciphertext ‖ tag>`. `aad` is authenticated, not encrypted, and
 * must be given again to decrypt. Every message encrypted (each batch item, each rewrap) first reserves one use
 * of the version against its 2^32 bound (SP 800-38D §8.3) through keys.reserveEncryption, which answers from
 * memory and rotates the key before the bound; so messages of one batch may name different versions.
 */
import { createAead, formatVersioned } from '../../crypto/index.ts';
import type { Aead, KeyTypeSpec } from '../../crypto/index.ts';
import type { KeyService, UsableKey } from '../types.ts';

export interface CipherResult {
  readonly ciphertext: string;
  readonly key_version: number;
}

export interface KeyEncrypter {
  readonly spec: KeyTypeSpec;
  /** Throws key_exhausted if the key cannot be kept below its use bound. */
  encrypt(plaintext: Uint8Array, aad: Uint8Array | undefined): Promise<CipherResult>;
}

/** Throws key_not_found, or key_type_mismatch for a signing key. */
export async function openEncrypter(keys: Pick<KeyService, 'specFor' | 'reserveEncryption'>, name: string): Promise<KeyEncrypter> {
  const spec = await keys.specFor(name, 'encrypt');
  let aeadOf: { key: UsableKey; aead: Aead } | null = null;
  return {
    spec,
    async encrypt(plaintext, aad) {
      const key = await keys.reserveEncryption(name, 1);
      if (key !== aeadOf?.key) aeadOf = { key, aead: createAead(key.spec, key.key) };
      return { ciphertext: formatVersioned(key.version, aeadOf.aead.seal(plaintext, aad)), key_version: key.version };
    },
  };
}
