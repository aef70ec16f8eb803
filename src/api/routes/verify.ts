/**
 * POST /v1/keys/{name}/verify (verify:name): raw verification with the version named in the signature, single
 * or batch. The route parses and decodes; src/keys/operations/verify.ts verifies.
 */
import { z } from 'zod';
import { decodeBase64Strict } from '../../crypto/index.ts';
import { parseWith } from '../route.ts';
import { operationRoute, withDefaults } from './_operation.ts';
import { base64Field, signOptionFields, versionedField } from './_schemas.ts';

export const verifyItemSchema = z.strictObject({
  input: base64Field('the signed bytes'),
  signature: versionedField('the signature from sign'),
  ...signOptionFields,
});

export const verifyRoute = operationRoute({
  verb: 'verify',
  summary: 'Verify a signature with the version named in it',
  scopes: (name) => [`verify:${name}`],
  item: verifyItemSchema,
  shared: signOptionFields,
  result: z.object({
    valid: z.boolean(),
    key_version: z.number().int(),
    reason: z.enum(['bad_signature', 'key_version_revoked', 'below_min_version', 'unknown_version']).optional(),
  }),
  errors: { 400: { description: 'invalid_request (also a malformed signature string), unsupported_algorithm, key_type_mismatch' }, 404: { description: 'key_not_found' } },
  async open(deps, name) {
    const verifier = await deps.runtime.keys.verifier(name);
    return {
      spec: verifier.spec,
      run(raw, defaults, prefix, schedule) {
        const item = parseWith(verifyItemSchema, raw, prefix);
        const input = decodeBase64Strict(item.input, `${prefix}input`);
        return verifier.verify(input, item.signature, withDefaults(item, defaults), `${prefix}signature`, schedule);
      },
    };
  },
});
