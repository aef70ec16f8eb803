/** POST /v1/hash (hash): a digest of the input, no key. The work is src/keys/operations/hash.ts. */
import { z } from 'zod';
import { HASHES } from '../../crypto/index.ts';
import { hashBase64 } from '../../keys/operations/hash.ts';
import { defineRoute, type AnyRouteDef } from '../route.ts';
import { base64Field } from './_schemas.ts';

const hashRequestSchema = z.strictObject({
  input: base64Field('the bytes to hash'),
  algorithm: z.string().nullable().optional().meta({ description: `one of ${HASHES.join(', ')}; default sha2-256` }),
  format: z.enum(['hex', 'base64']).nullable().optional(),
});

export const hashRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'post',
    path: '/v1/hash',
    summary: 'Hash the input',
    scopes: () => ['hash'],
    body: hashRequestSchema,
    responses: { 200: { description: 'the digest', schema: z.object({ digest: z.string() }) }, 400: { description: 'invalid_request, unsupported_algorithm' } },
    async handle({ body }) {
      return { json: hashBase64(body.input, body.algorithm, body.format ?? 'hex') };
    },
  }),
];
