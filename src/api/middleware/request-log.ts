/**
 * Request id, access log and request metrics. Each request gets an id (the caller's `X-Request-Id` when it is a
 * short safe token, a fresh UUID otherwise), echoed in the response. When the response is finished one log line
 * records id, method, route pattern, status, latency and the client's name — never headers, tokens, bodies or
 * key material — and the request counters and latency histogram are updated.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { AuthenticatedClient } from '../../clients/types.ts';
import type { ApiMetrics } from './metrics.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function requestLog(logger: Logger, metrics: ApiMetrics) {
  return function logRequest(req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    res.on('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      const route = typeof res.locals.route === 'string' ? res.locals.route : '(unmatched)';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.latency.observe(labels, seconds);
      const client = res.locals.client as AuthenticatedClient | undefined;
      logger.info(
        { reqId: requestId, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 100_000) / 100, client: client?.name },
        'request',
      );
    });
    next();
  };
}
