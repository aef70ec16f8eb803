/**
 * Probes: /healthz is liveness (the process answers; no dependency is touched, so a database outage does not
 * get replicas restarted), /readyz is readiness (one database round trip; 503 unavailable when it fails, so a
 * load balancer stops sending traffic).
 */
import { z } from 'zod';
import { defineRoute, type AnyRouteDef } from '../_internal/route.ts';

export const healthRoutes: AnyRouteDef[] = [
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
    summary: 'Readiness: the database answers',
    open: true,
    scopes: () => [],
    responses: { 200: { description: 'ready', schema: z.object({ status: z.literal('ready') }) }, 503: { description: 'unavailable' } },
    async handle({ deps }) {
      await deps.runtime.ping();
      return { json: { status: 'ready' } };
    },
  }),
];
