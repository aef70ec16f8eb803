/**
 * Client routes (API.md "Scopes"), admin only: create a client (its token is in this one answer and nowhere
 * else; only its SHA-256 is stored), list clients, delete one (its token stops working on every replica within
 * a second, through ClientService's cache invalidation).
 */
import { z } from 'zod';
import { MAX_SCOPES, SCOPE_PATTERN } from '../../grammar.ts';
import { defineRoute, type AnyRouteDef } from '../route.ts';
import { nameField } from './_schemas.ts';


const createClientBody = z.strictObject({
  name: nameField,
  scopes: z.array(z.string().regex(SCOPE_PATTERN, 'not a scope of API.md')).min(1).max(MAX_SCOPES),
});

const clientInfo = z.object({ name: z.string(), scopes: z.array(z.string()), created_at: z.string() });
const admin = () => ['admin'];

export const clientRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'post',
    path: '/v1/clients',
    summary: 'Create a client; the token is shown once',
    scopes: admin,
    body: createClientBody,
    responses: {
      201: { description: 'the client and its token', schema: z.object({ name: z.string(), scopes: z.array(z.string()), token: z.string() }) },
      409: { description: 'client_exists' },
    },
    async handle({ body, actor, deps }) {
      const created = await deps.runtime.clients.create(body.name, body.scopes, actor);
      return { status: 201, json: { name: created.name, scopes: created.scopes, token: created.token } };
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
      return { json: { clients: clients.map((c) => ({ name: c.name, scopes: c.scopes, created_at: c.created_at })) } };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/clients/:name',
    summary: 'Delete a client; its token stops working within a second everywhere',
    scopes: admin,
    responses: { 204: { description: 'deleted' }, 404: { description: 'client_not_found' } },
    async handle({ params, actor, deps }) {
      await deps.runtime.clients.remove(params.name!, actor);
      return { status: 204 };
    },
  }),
];
