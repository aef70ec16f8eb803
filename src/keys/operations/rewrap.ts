/**
 * Rewrap (Vault transit's rewrap): decrypts with the ciphertext's version and encrypts again under the newest
 * version, with the same aad, so callers can move stored ciphertexts forward before raising min_version. The
 * plaintext never leaves the process and is zeroed once sealed. Each rewrap reserves one use of the newest
 * version (encrypt.ts).
 */
import type { KeyTypeSpec } from '../../crypto/index.ts';
import type { KeyService } from '../types.ts';
import { openDecrypter } from './decrypt.ts';
import { openEncrypter, type CipherResult } from './encrypt.ts';

export interface KeyRewrapper {
  readonly spec: KeyTypeSpec;
  rewrap(ciphertext: string, aad: Uint8Array | undefined, field?: string): Promise<CipherResult>;
}

export async function openRewrapper(keys: Pick<KeyService, 'specFor' | 'versionFor' | 'reserveEncryption'>, name: string): Promise<KeyRewrapper> {
  const decrypter = await openDecrypter(keys, name);
  const encrypter = await openEncrypter(keys, name);
  return {
    spec: encrypter.spec,
    async rewrap(ciphertext, aad, field) {
      const d = await decrypter.decrypt(ciphertext, aad, field);
      try {
        return await encrypter.encrypt(d.plaintext, aad);
      } finally {
        d.plaintext.fill(0);
      }
    },
  };
}
