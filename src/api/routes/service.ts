/**
 * The service's own open routes (no token): the probes, /metrics and /openapi.json.
 * /healthz is liveness (the process answers; no dependency is touched, so a database outage does not get
 * replicas restarted), /readyz is readiness (one database round trip, bounded to 2 s; 503 unavailable when it
 * fails, and 503 kek_retired when a KEK rotation retired every KEK this replica holds, so a load balancer stops
 * sending traffic). /metrics is the Prometheus text exposition of this app's
 * and its runtime's registries (summed over the workers in cluster mode: src/api/middleware/metrics.ts);
 * /openapi.json is the OpenAPI 3.1 document built from the route table.
 */
import { z } from 'zod';
import { PaysealError } from '../../errors.ts';
import { defineRoute, type AnyRouteDef } from '../route.ts';

export const serviceRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    open: true,
    scopes: () => [],
    responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
    async handle() {
      return { json: { status: 'ok' } };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the database answers and this replica holds a live KEK',
    open: true,
    scopes: () => [],
    responses: { 200: { description: 'ready', schema: z.object({ status: z.literal('ready') }) }, 503: { description: 'unavailable, kek_retired' } },
    async handle({ deps }) {
      await deps.runtime.ready();
      return { json: { status: 'ready' } };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    open: true,
    scopes: () => [],
    responses: { 200: { description: 'text/plain; version=0.0.4' }, 503: { description: 'unavailable (cluster mode: a worker did not answer)' } },
    async handle({ deps }) {
      let text: string;
      try {
        text = await deps.metrics.render();
      } catch (e) {
        // In cluster mode a worker that does not answer the primary in time fails the scrape as a whole: a
        // partial sum would look like counters going backwards.
        throw new PaysealError('unavailable', 'the metrics of every worker could not be gathered', { cause: e });
      }
      return { text, contentType: deps.metrics.contentType };
    },
  }),
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
