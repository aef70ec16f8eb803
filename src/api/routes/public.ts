/**
 * Public keys: `/v1/keys/{name}/public` (keys:read) lists every version's SPKI PEM and JWK (RFC 7517; absent for
 * DSA, which JWK cannot express), and the open `/.well-known/jwks.json` is the JWK Set (RFC 7517 §5) of every
 * non-revoked version of every asymmetric key, for callers that verify locally. Both carry Cache-Control with a
 * short max-age (RFC 9111 §5.2.2.1): long enough that local verifiers and proxies need not ask per message,
 * short enough that a revoked version leaves their caches within a minute (the public route is `private`: it
 * answers an authenticated caller).
 */
import { z } from 'zod';
import { defineRoute, type AnyRouteDef } from '../route.ts';

/** Seconds a public-key answer may be reused (the payseal client's JWK Set cache uses the same 60 s). */
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
