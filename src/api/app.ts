/**
 * createApp: the express 5 application of payseal's HTTP API (API.md). It only wires: helmet, request log and
 * metrics, the open routes (probes, metrics, JWKS, OpenAPI), then for /v1/* authentication, the per-client rate
 * limit and the JSON body reader, then the route table of src/api/routes, the 404/405 fallback and the error
 * handler. Handlers and the order of checks live in _internal/route.ts.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import { authenticate } from './_internal/auth.ts';
import type { ApiDeps, AppDeps } from './_internal/deps.ts';
import { errorHandler, notFoundOrMethodNotAllowed } from './_internal/error-handler.ts';
import { jsonBody } from './_internal/json-body.ts';
import { ApiMetrics } from './_internal/metrics.ts';
import { rateLimit } from './_internal/rate-limit.ts';
import { requestLog } from './_internal/request-log.ts';
import { mountRoutes, type AnyRouteDef } from './_internal/route.ts';
import { buildOpenApi } from './openapi.ts';
import { clientRoutes } from './routes/clients.ts';
import { decryptRoute } from './routes/decrypt.ts';
import { encryptRoute } from './routes/encrypt.ts';
import { hashRoutes } from './routes/hash.ts';
import { healthRoutes } from './routes/health.ts';
import { keyRoutes } from './routes/keys.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { openapiRoutes } from './routes/openapi.ts';
import { publicRoutes } from './routes/public.ts';
import { rewrapRoute } from './routes/rewrap.ts';
import { signRoute } from './routes/sign.ts';
import { verifyRoute } from './routes/verify.ts';

export type { AppDeps } from './_internal/deps.ts';

/** Every route the app serves, in the order of the OpenAPI document. */
export const ROUTES: readonly AnyRouteDef[] = Object.freeze([
  ...healthRoutes,
  ...metricsRoutes,
  ...openapiRoutes,
  ...clientRoutes,
  ...keyRoutes,
  ...publicRoutes,
  signRoute,
  verifyRoute,
  encryptRoute,
  decryptRoute,
  rewrapRoute,
  ...hashRoutes,
]);

/**
 * The raw operations are nearly every request, and express tries routes one by one in mounting order: mounted
 * first, they skip ~20 path tests per call. Paths never overlap, so the order changes nothing else.
 */
const HOT: ReadonlySet<AnyRouteDef> = new Set([signRoute, verifyRoute, encryptRoute, decryptRoute, rewrapRoute]);
const MOUNT_ORDER: readonly AnyRouteDef[] = [...ROUTES.filter((r) => HOT.has(r)), ...ROUTES.filter((r) => !HOT.has(r))];

export interface AppOptions {
  /** prom-client's process metrics (default true; tests that build many apps may turn them off). */
  readonly defaultMetrics?: boolean;
}

export function createApp(deps: AppDeps, options: AppOptions = {}): Express {
  const metrics = new ApiMetrics({ defaultMetrics: options.defaultMetrics, scheduler: deps.runtime.scheduler });
  let openapi: Record<string, unknown> | null = null;
  const apiDeps: ApiDeps = { ...deps, metrics, openapi: () => (openapi ??= buildOpenApi(ROUTES)) };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(helmet());
  app.use(requestLog(deps.logger, metrics));
  // Everything under /v1 needs a token; checked before a body byte is read.
  app.use('/v1', authenticate(deps.runtime.clients));
  app.use('/v1', rateLimit({ rps: deps.config.rateLimitRps, burst: deps.config.rateLimitBurst }));
  app.use(jsonBody());
  mountRoutes(app.router, MOUNT_ORDER, apiDeps);
  app.use(notFoundOrMethodNotAllowed(ROUTES));
  app.use(errorHandler(deps.logger));
  return app;
}
