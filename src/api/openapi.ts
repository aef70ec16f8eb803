/**
 * The OpenAPI 3.1 document, generated from the route table (src/api/routes/*): paths and methods, scopes,
 * request bodies from the zod schemas (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI 3.1 uses as is),
 * response shapes and the error shape of API.md. A test walks express's router and checks that every served
 * route is documented here and nothing else is.
 */
import { z } from 'zod';
import type { AnyRouteDef } from './route.ts';
import { errorBody } from './routes/_schemas.ts';

const COMMON_ERRORS: Readonly<Record<number, string>> = {
  400: 'invalid_request and other 400 codes',
  401: 'unauthorized (WWW-Authenticate: Bearer)',
  403: 'forbidden: a required scope is missing; nothing changed',
  413: 'payload_too_large: the body is over 1 MiB',
  415: 'unsupported_media_type: bodies are application/json',
  429: 'rate_limited (Retry-After)',
  503: 'unavailable: the database is down',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** `/v1/keys/:name` → `/v1/keys/{name}` (OpenAPI path templating, §4.8.2). */
export function openapiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function operationOf(route: AnyRouteDef): Record<string, unknown> {
  const params = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = route.query ? jsonSchema(route.query, 'input') : null;
  const queryParams = Object.entries((query?.properties ?? {}) as Record<string, Record<string, unknown>>).map(([name, schema]) => ({
    name,
    in: 'query',
    required: ((query?.required ?? []) as string[]).includes(name),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema,
  }));
  const responses: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(route.responses)) {
    const schema = doc.schema ?? (Number(status) >= 400 ? errorBody : undefined);
    const headers = doc.headers && Object.fromEntries(Object.entries(doc.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
    const content = doc.contentType
      ? { [doc.contentType]: { schema: { type: 'string' } } }
      : schema
        ? { 'application/json': { schema: jsonSchema(schema, 'output') } }
        : undefined;
    responses[status] = { description: doc.description, ...(content ? { content } : {}), ...(headers ? { headers } : {}) };
  }
  const errorStatuses = route.open ? [503] : [400, 401, 403, 413, 415, 429, 503];
  for (const status of errorStatuses) {
    if (route.method === 'get' && (status === 413 || status === 415)) continue;
    responses[String(status)] ??= { description: COMMON_ERRORS[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  const scopes = route.scopes(Object.fromEntries(params.map((p) => [p.name!, `{${p.name}}`])));
  const body = route.docBody ?? route.body;
  return {
    summary: route.summary,
    ...(route.scopesDoc !== undefined
      ? { description: `Scopes: ${route.scopesDoc} (admin grants every scope).` }
      : scopes.length > 0
        ? { description: `Scopes: ${scopes.join(' and ')} (admin grants every scope).` }
        : {}),
    ...(params.length + queryParams.length > 0 ? { parameters: [...params, ...queryParams] } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(body, 'input') } } } } : {}),
    security: route.open ? [] : [{ bearer: [] }],
    responses,
  };
}

export function buildOpenApi(routes: readonly AnyRouteDef[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openapiPath(route.path);
    (paths[path] ??= {})[route.method] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'payseal', version: '1', description: 'Signing, verification, encryption and hashing for payment microservices. See docs/api.md.' },
    servers: [{ url: 'http://127.0.0.1:8080' }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBody, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a client token from POST /v1/clients or PAYSEAL_ADMIN_TOKEN' } },
    },
  };
}
