/**
 * Rewrap (Vault transit's rewrap): decrypts with the ciphertext's version and encrypts again under the newest
 * version, with the same aad, so callers can move stored ciphertexts forward before raising min_version. The
 * plaintext never leaves the process. Each rewrap reserves one use of the newest version (encrypt.ts).
 */
import type { KeyService } from '../../keys/types.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import { openDecrypter } from './decrypt.ts';
import { openEncrypter, type CipherResult } from './encrypt.ts';

export { decryptItemSchema as rewrapItemSchema } from './decrypt.ts';

export interface OpenedRewrapper {
  readonly spec: KeyTypeSpec;
  rewrap(raw: unknown, prefix?: string): Promise<CipherResult>;
}

export async function openRewrapper(keys: Pick<KeyService, 'specFor' | 'versionFor' | 'reserveEncryption'>, name: string): Promise<OpenedRewrapper> {
  const decrypter = await openDecrypter(keys, name);
  const encrypter = await openEncrypter(keys, name);
  return {
    spec: encrypter.spec,
    async rewrap(raw, prefix = '') {
      const d = await decrypter.open(raw, prefix);
      try {
        return await encrypter.seal(d.plaintext, d.aad);
      } finally {
        d.plaintext.fill(0);
      }
    },
  };
}
