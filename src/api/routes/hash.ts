/** POST /v1/hash (hash): a digest of the input. See _internal/hash.ts. */
import { z } from 'zod';
import { hashInput, hashRequestSchema } from '../_internal/hash.ts';
import { defineRoute, type AnyRouteDef } from '../_internal/route.ts';

export const hashRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'post',
    path: '/v1/hash',
    summary: 'Hash the input',
    scopes: () => ['hash'],
    body: hashRequestSchema,
    responses: { 200: { description: 'the digest', schema: z.object({ digest: z.string() }) }, 400: { description: 'invalid_request, unsupported_algorithm' } },
    async handle({ body }) {
      return { json: hashInput(body) };
    },
  }),
];
