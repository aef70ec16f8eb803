/** POST /v1/keys/{name}/sign (sign:name): raw signatures, single or batch. See _internal/sign.ts. */
import { z } from 'zod';
import { operationRoute } from '../_internal/operation-route.ts';
import { signOptionFields } from '../_internal/schemas.ts';
import { openSigner, signItemSchema } from '../_internal/sign.ts';

export const signRoute = operationRoute({
  verb: 'sign',
  summary: 'Sign with the newest version',
  scopes: (name) => [`sign:${name}`],
  item: signItemSchema,
  shared: signOptionFields,
  result: z.object({ signature: z.string(), key_version: z.number().int() }),
  errors: { 400: { description: 'invalid_request, unsupported_algorithm, key_type_mismatch' }, 404: { description: 'key_not_found' } },
  async open(deps, name) {
    const signer = await openSigner(deps.runtime.keys, name);
    return { spec: signer.spec, run: (item, defaults, prefix) => signer.sign(item, defaults, prefix) };
  },
});
