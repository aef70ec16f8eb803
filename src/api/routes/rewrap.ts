/**
 * POST /v1/keys/{name}/rewrap (decrypt:name and encrypt:name): re-encrypts under the newest version. Takes
 * batch_input too (an extension: API.md lists batches for sign, verify, encrypt and decrypt). The work is
 * src/keys/operations/rewrap.ts.
 */
import { z } from 'zod';
import { operationRoute } from './_operation.ts';
import { decryptItemSchema, parseCiphertextItem } from './decrypt.ts';

export const rewrapRoute = operationRoute({
  verb: 'rewrap',
  summary: 'Decrypt and encrypt again under the newest version',
  scopes: (name) => [`decrypt:${name}`, `encrypt:${name}`],
  item: decryptItemSchema,
  shared: {},
  result: z.object({ ciphertext: z.string(), key_version: z.number().int() }),
  errors: {
    400: { description: 'invalid_request, decryption_failed, key_type_mismatch' },
    404: { description: 'key_not_found' },
    409: { description: 'key_exhausted: the newest version reached its AES-GCM use bound and could not be rotated' },
  },
  async open(deps, name) {
    const rewrapper = await deps.runtime.keys.rewrapper(name);
    return {
      spec: rewrapper.spec,
      run(raw, _defaults, prefix, schedule) {
        const item = parseCiphertextItem(raw, prefix);
        return schedule(() => rewrapper.rewrap(item.ciphertext, item.aad, `${prefix}ciphertext`));
      },
    };
  },
});
