/**
 * Raw signing (API.md "Raw operations"): the newest version of a signing key signs the decoded input; the
 * answer names the version in its `payseal:v<N>:` envelope (Vault transit's convention), so verification picks
 * the version from the signature. The algorithm comes from the key's type; options only choose among what the
 * type allows (src/crypto refuses the rest with unsupported_algorithm before any crypto runs).
 */
import { z } from 'zod';
import { createSigner, decodeBase64Strict, formatVersioned, parseSignOptions, resolveSignOptions } from '../../crypto/index.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import type { KeyService } from '../../keys/types.ts';
import { parseWith } from './route.ts';
import { base64Field, signOptionFields } from './schemas.ts';

export const signItemSchema = z.strictObject({ input: base64Field('the bytes to sign'), ...signOptionFields });
export type SignItem = z.infer<typeof signItemSchema>;

export interface SignResult {
  readonly signature: string;
  readonly key_version: number;
}

export interface OpenedSigner {
  readonly spec: KeyTypeSpec;
  /** Validates one item (field prefix names its batch slot in errors) and signs it. */
  sign(raw: unknown, defaults?: Readonly<Record<string, unknown>>, prefix?: string): Promise<SignResult>;
}

/** Throws key_not_found, or key_type_mismatch for an encryption key, before any item is looked at. */
export async function openSigner(keys: Pick<KeyService, 'latestFor'>, name: string): Promise<OpenedSigner> {
  const key = await keys.latestFor(name, 'sign');
  const signer = createSigner(key.spec, key.key);
  return {
    spec: key.spec,
    async sign(raw, defaults = {}, prefix = '') {
      const item = parseWith(signItemSchema, raw, prefix);
      const input = decodeBase64Strict(item.input, `${prefix}input`);
      const options = parseSignOptions({
        hash: item.hash ?? defaults.hash,
        rsa_padding: item.rsa_padding ?? defaults.rsa_padding,
        signature_encoding: item.signature_encoding ?? defaults.signature_encoding,
      });
      resolveSignOptions(key.spec, options);
      const signature = await signer.sign(input, options);
      return { signature: formatVersioned(key.version, signature), key_version: key.version };
    },
  };
}
