/**
 * POST /v1/keys/{name}/sign (sign:name): raw signatures with the newest version, single or batch. The route
 * parses and decodes; src/keys/operations/sign.ts signs.
 */
import { z } from 'zod';
import { decodeBase64Strict } from '../../crypto/index.ts';
import { parseWith } from '../route.ts';
import { operationRoute, withDefaults } from './_operation.ts';
import { base64Field, signOptionFields } from './_schemas.ts';

export const signItemSchema = z.strictObject({ input: base64Field('the bytes to sign'), ...signOptionFields });

export const signRoute = operationRoute({
  verb: 'sign',
  summary: 'Sign with the newest version',
  scopes: (name) => [`sign:${name}`],
  item: signItemSchema,
  shared: signOptionFields,
  result: z.object({ signature: z.string(), key_version: z.number().int() }),
  errors: { 400: { description: 'invalid_request, unsupported_algorithm, key_type_mismatch' }, 404: { description: 'key_not_found' } },
  async open(deps, name) {
    const signer = await deps.runtime.keys.signer(name);
    return {
      spec: signer.spec,
      run(raw, defaults, prefix, schedule) {
        const item = parseWith(signItemSchema, raw, prefix);
        return signer.sign(decodeBase64Strict(item.input, `${prefix}input`), withDefaults(item, defaults), schedule);
      },
    };
  },
});
