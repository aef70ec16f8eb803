/**
 * Raw decryption. The version comes from the ciphertext's `payseal:v<N>:` envelope. A version that may not
 * decrypt (revoked, below min_version, destroyed, or one that never existed) and a ciphertext or aad that fails
 * GCM's tag check (SP 800-38D §7.2) are all 400 decryption_failed: the message says which version rule applied
 * but never which part of the GCM input was wrong.
 */
import { z } from 'zod';
import { createAead, decodeBase64Strict, encodeBase64, parseVersioned } from '../../crypto/index.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import { PaysealError } from '../../errors.ts';
import type { KeyService } from '../../keys/types.ts';
import { parseWith } from './route.ts';
import { base64Field, versionedField } from './schemas.ts';

export const decryptItemSchema = z.strictObject({
  ciphertext: versionedField('the ciphertext from encrypt'),
  aad: base64Field('the additional authenticated data given to encrypt').nullable().optional(),
});

export interface Decrypted {
  readonly plaintext: Buffer;
  readonly aad: Buffer | undefined;
  readonly key_version: number;
}

export interface OpenedDecrypter {
  readonly spec: KeyTypeSpec;
  open(raw: unknown, prefix?: string): Promise<Decrypted>;
  /** The API answer: `{plaintext, key_version}`. */
  decrypt(raw: unknown, prefix?: string): Promise<{ plaintext: string; key_version: number }>;
}

const REFUSALS: Readonly<Record<string, string>> = {
  key_version_revoked: 'is revoked',
  below_min_version: 'is below the key\'s min_version',
  key_version_destroyed: 'is destroyed',
  unknown_version: 'does not exist',
};

export async function openDecrypter(keys: Pick<KeyService, 'specFor' | 'versionFor'>, name: string): Promise<OpenedDecrypter> {
  const spec = await keys.specFor(name, 'encrypt');
  const open = async (raw: unknown, prefix = ''): Promise<Decrypted> => {
    const item = parseWith(decryptItemSchema, raw, prefix);
    const envelope = parseVersioned(item.ciphertext, `${prefix}ciphertext`);
    const aad = item.aad == null ? undefined : decodeBase64Strict(item.aad, `${prefix}aad`);
    const lookup = await keys.versionFor(name, envelope.version, 'encrypt', 'decrypt');
    if (!lookup.ok) {
      throw new PaysealError('decryption_failed', `version ${envelope.version} of this key ${REFUSALS[lookup.reason] ?? 'may not decrypt'}`);
    }
    const plaintext = createAead(lookup.key.spec, lookup.key.key).open(envelope.bytes, aad);
    return { plaintext, aad, key_version: envelope.version };
  };
  return {
    spec,
    open,
    async decrypt(raw, prefix = '') {
      const d = await open(raw, prefix);
      return { plaintext: encodeBase64(d.plaintext), key_version: d.key_version };
    },
  };
}
