/**
 * createApp: the express 5 application of payseal's HTTP API (API.md). It only wires: helmet, request log and
 * metrics, the mark that closes connections whose body is left unread, then for /v1/* authentication, the
 * per-client rate limit (per request), the JSON body reader and the rate limit's batch items, then the route
 * table of src/api/routes (open routes never read a body), the 404/405 fallback and the error handler. Handlers
 * and the order of checks live in route.ts; the table is route-table.ts. Raw-operation items go through one
 * fair queue per app (middleware/fair-queue.ts).
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import { authenticate } from './middleware/auth.ts';
import type { ApiDeps, AppDeps } from './deps.ts';
import { errorHandler, notFoundOrMethodNotAllowed } from './middleware/error-handler.ts';
import { FairQueue, type FairQueueOptions } from './middleware/fair-queue.ts';
import { closeUnreadBodies, jsonBody } from './middleware/json-body.ts';
import { ApiMetrics } from './middleware/metrics.ts';
import { createRateLimits } from './middleware/rate-limit.ts';
import { requestLog } from './middleware/request-log.ts';
import { mountRoutes } from './route.ts';
import { buildOpenApi } from './openapi.ts';
import { MOUNT_ORDER, ROUTES } from './route-table.ts';

export type { AppDeps } from './deps.ts';
export { ROUTES } from './route-table.ts';

export interface AppOptions {
  /** prom-client's process metrics (default true; tests that build many apps may turn them off). */
  readonly defaultMetrics?: boolean;
  /** The app's metrics, when the caller needs their registries (serve.ts, for cluster aggregation). */
  readonly metrics?: ApiMetrics;
  /** Slots of the fair queue of crypto work (default: libuv's pool size or the cores, whichever is fewer). */
  readonly fairQueue?: FairQueueOptions;
}

export function createApp(deps: AppDeps, options: AppOptions = {}): Express {
  const metrics = options.metrics ?? new ApiMetrics({ defaultMetrics: options.defaultMetrics, runtime: deps.runtime.metrics });
  let openapi: Record<string, unknown> | null = null;
  const cryptoQueue = new FairQueue(options.fairQueue);
  const apiDeps: ApiDeps = { ...deps, metrics, cryptoQueue, openapi: () => (openapi ??= buildOpenApi(ROUTES)) };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(helmet());
  app.use(requestLog(deps.logger, metrics));
  app.use(closeUnreadBodies());
  // Everything under /v1 needs a token; checked before a body byte is read. Open routes never read one.
  const limits = createRateLimits({ rps: deps.config.rateLimitRps, burst: deps.config.rateLimitBurst });
  app.use('/v1', authenticate(deps.runtime.clients));
  app.use('/v1', limits.requests);
  app.use('/v1', jsonBody());
  app.use('/v1', limits.items);
  mountRoutes(app.router, MOUNT_ORDER, apiDeps);
  app.use(notFoundOrMethodNotAllowed(ROUTES));
  app.use(errorHandler(deps.logger, metrics));
  return app;
}
