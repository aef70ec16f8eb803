/**
 * POST /v1/keys/{name}/encrypt (encrypt:name): AES-GCM under the newest version, single or batch. The route
 * parses and decodes; src/keys/operations/encrypt.ts counts the use and seals.
 */
import { z } from 'zod';
import { decodeBase64Strict } from '../../crypto/index.ts';
import { parseWith } from '../route.ts';
import { operationRoute } from './_operation.ts';
import { base64Field } from './_schemas.ts';

export const encryptItemSchema = z.strictObject({
  plaintext: base64Field('the bytes to encrypt'),
  aad: base64Field('additional authenticated data').nullable().optional(),
});

export const encryptRoute = operationRoute({
  verb: 'encrypt',
  summary: 'Encrypt with the newest version',
  scopes: (name) => [`encrypt:${name}`],
  item: encryptItemSchema,
  shared: {},
  result: z.object({ ciphertext: z.string(), key_version: z.number().int() }),
  errors: {
    400: { description: 'invalid_request, key_type_mismatch' },
    404: { description: 'key_not_found' },
    409: { description: 'key_exhausted: the newest version reached its AES-GCM use bound and could not be rotated' },
  },
  async open(deps, name) {
    const encrypter = await deps.runtime.keys.encrypter(name);
    return {
      spec: encrypter.spec,
      run(raw, _defaults, prefix, schedule) {
        const item = parseWith(encryptItemSchema, raw, prefix);
        const plaintext = decodeBase64Strict(item.plaintext, `${prefix}plaintext`);
        const aad = item.aad == null ? undefined : decodeBase64Strict(item.aad, `${prefix}aad`);
        return schedule(() => encrypter.encrypt(plaintext, aad));
      },
    };
  },
});
