/** POST /v1/keys/{name}/verify (verify:name): raw verification, single or batch. See _internal/verify.ts. */
import { z } from 'zod';
import { operationRoute } from '../_internal/operation-route.ts';
import { signOptionFields } from '../_internal/schemas.ts';
import { openVerifier, verifyItemSchema } from '../_internal/verify.ts';

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
    const verifier = await openVerifier(deps.runtime.keys, name);
    return { spec: verifier.spec, run: (item, defaults, prefix) => verifier.verify(item, defaults, prefix) };
  },
});
