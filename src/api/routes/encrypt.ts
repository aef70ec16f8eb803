/** POST /v1/keys/{name}/encrypt (encrypt:name): AES-GCM under the newest version, single or batch. */
import { z } from 'zod';
import { encryptItemSchema, openEncrypter } from '../_internal/encrypt.ts';
import { operationRoute } from '../_internal/operation-route.ts';

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
    const encrypter = await openEncrypter(deps.runtime.keys, name);
    return { spec: encrypter.spec, run: (item, _defaults, prefix) => encrypter.encrypt(item, prefix) };
  },
});
