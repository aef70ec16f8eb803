/** GET /openapi.json: the OpenAPI 3.1 document of the routes this app serves (built from the route table). */
import { defineRoute, type AnyRouteDef } from '../_internal/route.ts';

export const openapiRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    open: true,
    scopes: () => [],
    responses: { 200: { description: 'OpenAPI 3.1 document' } },
    async handle({ deps }) {
      return { json: deps.openapi() };
    },
  }),
];
