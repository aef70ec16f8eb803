/**
 * Client routes (API.md "Scopes"), admin only: create a client (its token is in this one answer and nowhere
 * else; only its SHA-256 is stored), list clients, delete one (its token stops working on every replica within
 * a second, through ClientService's cache invalidation; the last working admin cannot be deleted: 409 conflict).
 * Extensions: an optional token lifetime (`expires_in`) answered as `expires_at`, `unknown_keys` flagging
 * per-key scopes whose key does not exist (yet), and `POST /v1/clients/{name}/rotate-token`.
 */
import { z } from 'zod';
import { MAX_SCOPES, SCOPE_PATTERN } from '../../grammar.ts';
import { defineRoute, type AnyRouteDef } from '../route.ts';
import { nameField } from './_schemas.ts';

const expiresIn = z.string().max(16).nullable().optional().meta({ description: 'token lifetime, "90d" | "12h" | "30m"; null or absent: no expiry' });

const createClientBody = z.strictObject({
  name: nameField,
  scopes: z.array(z.string().regex(SCOPE_PATTERN, 'not a scope (see "Authentication and scopes" in docs/api.md)')).min(1).max(MAX_SCOPES),
  expires_in: expiresIn,
});

const rotateTokenBody = z.strictObject({ expires_in: expiresIn }).optional();

const clientInfo = z.object({ name: z.string(), scopes: z.array(z.string()), created_at: z.string(), expires_at: z.string().nullable() });
const issued = z.object({
  name: z.string(),
  scopes: z.array(z.string()),
  token: z.string(),
  expires_at: z.string().nullable(),
  unknown_keys: z.array(z.string()),
});
const admin = () => ['admin'];

export const clientRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'post',
    path: '/v1/clients',
    summary: 'Create a client; the token is shown once',
    scopes: admin,
    body: createClientBody,
    responses: {
      201: { description: 'the client and its token', schema: issued },
      409: { description: 'client_exists' },
    },
    async handle({ body, actor, deps }) {
      const c = await deps.runtime.clients.create(body.name, body.scopes, actor, { expiresIn: body.expires_in ?? null });
      return { status: 201, json: { name: c.name, scopes: c.scopes, token: c.token, expires_at: c.expires_at, unknown_keys: c.unknown_keys } };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/clients',
    summary: 'List clients (never their tokens)',
    scopes: admin,
    responses: { 200: { description: 'clients', schema: z.object({ clients: z.array(clientInfo) }) } },
    async handle({ deps }) {
      const clients = await deps.runtime.clients.list();
      return { json: { clients: clients.map((c) => ({ name: c.name, scopes: c.scopes, created_at: c.created_at, expires_at: c.expires_at })) } };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/clients/:name/rotate-token',
    summary: 'Give a client a new token (shown once); the old one stops working within a second everywhere',
    scopes: admin,
    body: rotateTokenBody,
    responses: { 200: { description: 'the client and its new token', schema: issued }, 404: { description: 'client_not_found' } },
    async handle({ params, body, actor, deps }) {
      const options = body?.expires_in === undefined ? {} : { expiresIn: body.expires_in };
      const c = await deps.runtime.clients.rotateToken(params.name!, actor, options);
      return { json: { name: c.name, scopes: c.scopes, token: c.token, expires_at: c.expires_at, unknown_keys: c.unknown_keys } };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/clients/:name',
    summary: 'Delete a client; its token stops working within a second everywhere',
    scopes: admin,
    responses: { 204: { description: 'deleted' }, 404: { description: 'client_not_found' }, 409: { description: 'conflict: the last admin' } },
    async handle({ params, actor, deps }) {
      await deps.runtime.clients.remove(params.name!, actor);
      return { status: 204 };
    },
  }),
];
