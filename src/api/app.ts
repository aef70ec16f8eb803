/**
 * createApp: the express 5 application of payseal's HTTP API (API.md). It only wires: helmet, request log and
 * metrics, the open routes (probes, metrics, JWKS, OpenAPI), then for /v1/* authentication, the per-client rate
 * limit and the JSON body reader, then the route table of src/api/routes, the 404/405 fallback and the error
 * handler. Handlers and the order of checks live in route.ts; the table is route-table.ts.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import { authenticate } from './middleware/auth.ts';
import type { ApiDeps, AppDeps } from './deps.ts';
import { errorHandler, notFoundOrMethodNotAllowed } from './middleware/error-handler.ts';
import { jsonBody } from './middleware/json-body.ts';
import { ApiMetrics } from './middleware/metrics.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { requestLog } from './middleware/request-log.ts';
import { mountRoutes } from './route.ts';
import { buildOpenApi } from './openapi.ts';
import { MOUNT_ORDER, ROUTES } from './route-table.ts';

export type { AppDeps } from './deps.ts';
export { ROUTES } from './route-table.ts';

export interface AppOptions {
  /** prom-client's process metrics (default true; tests that build many apps may turn them off). */
  readonly defaultMetrics?: boolean;
}

export function createApp(deps: AppDeps, options: AppOptions = {}): Express {
  const metrics = new ApiMetrics({ defaultMetrics: options.defaultMetrics, scheduler: deps.runtime.scheduler, ledger: deps.runtime.ledger });
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
