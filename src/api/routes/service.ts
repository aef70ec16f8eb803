/**
 * The service's own open routes (no token): the probes, /metrics and /openapi.json.
 * /healthz is liveness (the process answers; no dependency is touched, so a database outage does not get
 * replicas restarted), /readyz is readiness (one database round trip; 503 unavailable when it fails, so a load
 * balancer stops sending traffic). /metrics is the Prometheus text exposition of this app's registry;
 * /openapi.json is the OpenAPI 3.1 document built from the route table.
 */
import { z } from 'zod';
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
    summary: 'Readiness: the database answers',
    open: true,
    scopes: () => [],
    responses: { 200: { description: 'ready', schema: z.object({ status: z.literal('ready') }) }, 503: { description: 'unavailable' } },
    async handle({ deps }) {
      await deps.runtime.ping();
      return { json: { status: 'ready' } };
    },
  }),
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
