/**
 * Raw encryption: AES-GCM under the newest version of an encryption key (NIST SP 800-38D, random 96-bit IV),
 * answered as `payseal:v<N>:<base64 of iv ‖ ciphertext ‖ tag>`. `aad` is authenticated, not encrypted, and must
 * be given again to decrypt.
 */
import { z } from 'zod';
import { createAead, decodeBase64Strict, formatVersioned } from '../../crypto/index.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import type { KeyService } from '../../keys/types.ts';
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
  readonly version: number;
  encrypt(raw: unknown, prefix?: string): Promise<CipherResult>;
  /** Encrypts already-decoded bytes (rewrap). */
  seal(plaintext: Uint8Array, aad: Uint8Array | undefined): CipherResult;
}

/** Throws key_not_found, or key_type_mismatch for a signing key. */
export async function openEncrypter(keys: Pick<KeyService, 'latestFor'>, name: string): Promise<OpenedEncrypter> {
  const key = await keys.latestFor(name, 'encrypt');
  const aead = createAead(key.spec, key.key);
  const seal = (plaintext: Uint8Array, aad: Uint8Array | undefined): CipherResult => ({
    ciphertext: formatVersioned(key.version, aead.seal(plaintext, aad)),
    key_version: key.version,
  });
  return {
    spec: key.spec,
    version: key.version,
    seal,
    async encrypt(raw, prefix = '') {
      const item = parseWith(encryptItemSchema, raw, prefix);
      const plaintext = decodeBase64Strict(item.plaintext, `${prefix}plaintext`);
      const aad = item.aad == null ? undefined : decodeBase64Strict(item.aad, `${prefix}aad`);
      return seal(plaintext, aad);
    },
  };
}
