/**
 * POST /v1/keys/{name}/decrypt (decrypt:name): single or batch, with the version named in the ciphertext; a
 * failed tag check is 400 decryption_failed. The route parses and decodes; src/keys/operations/decrypt.ts opens.
 */
import { z } from 'zod';
import { decodeBase64Strict, encodeBase64 } from '../../crypto/index.ts';
import { parseWith } from '../route.ts';
import { operationRoute } from './_operation.ts';
import { base64Field, versionedField } from './_schemas.ts';

/** Also rewrap's item: the ciphertext to open and the aad given to encrypt. */
export const decryptItemSchema = z.strictObject({
  ciphertext: versionedField('the ciphertext from encrypt'),
  aad: base64Field('the additional authenticated data given to encrypt').nullable().optional(),
});

/** A decrypt or rewrap item, parsed, with its aad decoded. */
export function parseCiphertextItem(raw: unknown, prefix: string): { ciphertext: string; aad: Buffer | undefined } {
  const item = parseWith(decryptItemSchema, raw, prefix);
  return { ciphertext: item.ciphertext, aad: item.aad == null ? undefined : decodeBase64Strict(item.aad, `${prefix}aad`) };
}

export const decryptRoute = operationRoute({
  verb: 'decrypt',
  summary: 'Decrypt with the version named in the ciphertext',
  scopes: (name) => [`decrypt:${name}`],
  item: decryptItemSchema,
  shared: {},
  result: z.object({ plaintext: z.string(), key_version: z.number().int() }),
  errors: { 400: { description: 'invalid_request, decryption_failed, key_type_mismatch' }, 404: { description: 'key_not_found' } },
  async open(deps, name) {
    const decrypter = await deps.runtime.keys.decrypter(name);
    return {
      spec: decrypter.spec,
      async run(raw, _defaults, prefix, schedule) {
        const item = parseCiphertextItem(raw, prefix);
        const d = await schedule(() => decrypter.decrypt(item.ciphertext, item.aad, `${prefix}ciphertext`));
        return { plaintext: encodeBase64(d.plaintext), key_version: d.key_version };
      },
    };
  },
});
