/** POST /v1/keys/{name}/decrypt (decrypt:name): single or batch; a failed tag check is 400 decryption_failed. */
import { z } from 'zod';
import { decryptItemSchema, openDecrypter } from '../_internal/decrypt.ts';
import { operationRoute } from '../_internal/operation-route.ts';

export const decryptRoute = operationRoute({
  verb: 'decrypt',
  summary: 'Decrypt with the version named in the ciphertext',
  scopes: (name) => [`decrypt:${name}`],
  item: decryptItemSchema,
  shared: {},
  result: z.object({ plaintext: z.string(), key_version: z.number().int() }),
  errors: { 400: { description: 'invalid_request, decryption_failed, key_type_mismatch' }, 404: { description: 'key_not_found' } },
  async open(deps, name) {
    const decrypter = await openDecrypter(deps.runtime.keys, name);
    return { spec: decrypter.spec, run: (item, _defaults, prefix) => decrypter.decrypt(item, prefix) };
  },
});
