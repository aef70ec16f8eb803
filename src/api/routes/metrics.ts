/** GET /metrics: Prometheus text exposition of this app's registry (open, like the probes). */
import { defineRoute, type AnyRouteDef } from '../_internal/route.ts';

export const metricsRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    open: true,
    scopes: () => [],
    responses: { 200: { description: 'text/plain; version=0.0.4' } },
    async handle({ deps }) {
      return { text: await deps.metrics.registry.metrics(), contentType: deps.metrics.registry.contentType };
    },
  }),
];
