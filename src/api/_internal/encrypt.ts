/**
 * Raw encryption: AES-GCM under the newest version of an encryption key (NIST SP 800-38D, random 96-bit IV),
 * answered as `payseal:v<N>:<base64 of iv ‖ ciphertext ‖ tag>`. `aad` is authenticated, not encrypted, and must
 * be given again to decrypt. Every message encrypted (each batch item, each rewrap) first reserves one use of
 * the version against its 2^32 bound (SP 800-38D §8.3) through keys.reserveEncryption, which answers from
 * memory and rotates the key before the bound; so items of one batch may name different versions.
 */
import { z } from 'zod';
import { createAead, decodeBase64Strict, formatVersioned } from '../../crypto/index.ts';
import type { Aead, KeyTypeSpec } from '../../crypto/index.ts';
import type { KeyService, UsableKey } from '../../keys/types.ts';
import { parseWith } from './route.ts';
import { base64Field } from './schemas.ts';

export const encryptItemSchema = z.strictObject({
  plaintext: base64Field('the bytes to encrypt'),
  aad: base64Field('additional authenticated data').nullable().optional(),
});

export interface CipherResult {
  readonly ciphertext: string;
  readonly key_version: number;
}

export interface OpenedEncrypter {
  readonly spec: KeyTypeSpec;
  encrypt(raw: unknown, prefix?: string): Promise<CipherResult>;
  /** Encrypts already-decoded bytes (rewrap). Throws key_exhausted if the key cannot be kept below its use bound. */
  seal(plaintext: Uint8Array, aad: Uint8Array | undefined): Promise<CipherResult>;
}

/** Throws key_not_found, or key_type_mismatch for a signing key. */
export async function openEncrypter(keys: Pick<KeyService, 'specFor' | 'reserveEncryption'>, name: string): Promise<OpenedEncrypter> {
  const spec = await keys.specFor(name, 'encrypt');
  let aeadOf: { key: UsableKey; aead: Aead } | null = null;
  const seal = async (plaintext: Uint8Array, aad: Uint8Array | undefined): Promise<CipherResult> => {
    const key = await keys.reserveEncryption(name, 1);
    if (key !== aeadOf?.key) aeadOf = { key, aead: createAead(key.spec, key.key) };
    return { ciphertext: formatVersioned(key.version, aeadOf.aead.seal(plaintext, aad)), key_version: key.version };
  };
  return {
    spec,
    seal,
    async encrypt(raw, prefix = '') {
      const item = parseWith(encryptItemSchema, raw, prefix);
      const plaintext = decodeBase64Strict(item.plaintext, `${prefix}plaintext`);
      const aad = item.aad == null ? undefined : decodeBase64Strict(item.aad, `${prefix}aad`);
      return seal(plaintext, aad);
    },
  };
}
