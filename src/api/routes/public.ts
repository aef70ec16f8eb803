/**
 * Public keys: `/v1/keys/{name}/public` (keys:read) lists every version's SPKI PEM and JWK (RFC 7517; absent for
 * DSA, which JWK cannot express), and the open `/.well-known/jwks.json` is the JWK Set (RFC 7517 §5) of every
 * non-revoked version of every asymmetric key, for callers that verify locally.
 *
 * Both carry Cache-Control with a short max-age (RFC 9111 §5.2.2.1), so local verifiers and shared caches may
 * reuse an answer for a minute and no longer: a revoked version leaves the set within that minute (plus the
 * caller's own cache). The JWK Set is public; the per-key answer needs a token, so only private caches may keep
 * it (§5.2.2.7).
 */
import { z } from 'zod';
import { defineRoute, type AnyRouteDef } from '../route.ts';

/** Seconds a verifier may reuse a public-key answer. */
export const PUBLIC_KEYS_MAX_AGE = 60;

const publicKeys = z.object({
  name: z.string(),
  type: z.string(),
  versions: z.array(
    z.object({ version: z.number().int(), state: z.string(), public_key_pem: z.string(), jwk: z.record(z.string(), z.unknown()).optional() }),
  ),
});

export const publicRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'get',
    path: '/v1/keys/:name/public',
    summary: 'Public halves of every version (PEM and JWK)',
    scopes: () => ['keys:read'],
    responses: { 200: { description: 'public keys', schema: publicKeys }, 404: { description: 'key_not_found' }, 400: { description: 'key_type_mismatch for an AES key' } },
    async handle({ params, deps }) {
      return { json: await deps.runtime.keys.publicKeys(params.name!), headers: { 'Cache-Control': `private, max-age=${PUBLIC_KEYS_MAX_AGE}` } };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/.well-known/jwks.json',
    summary: 'JWK Set of every non-revoked asymmetric key version JWK can express',
    open: true,
    scopes: () => [],
    responses: { 200: { description: 'JWK Set', schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) } },
    async handle({ deps }) {
      return { json: await deps.runtime.keys.jwks(), headers: { 'Cache-Control': `public, max-age=${PUBLIC_KEYS_MAX_AGE}` } };
    },
  }),
];
