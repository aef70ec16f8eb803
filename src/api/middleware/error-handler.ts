/**
 * The last stops of every request: the 404/405 fallback for paths and methods the route table does not serve,
 * and the error handler that turns anything thrown into API.md's error shape
 * `{"error": {"code", "message"}}`. PaysealErrors keep their code; express's and body-parser's own errors are
 * mapped by status (413 payload_too_large, 415 unsupported_media_type, other 4xx invalid_request); anything else
 * is 500 internal with a generic message and an error id that appears in the log next to the real error, so
 * nothing internal (and no key material) reaches the caller.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { PaysealError, isPaysealError } from '../../errors.ts';
import { pathMatcher, type AnyRouteDef } from '../route.ts';

export function notFoundOrMethodNotAllowed(routes: readonly AnyRouteDef[]) {
  const patterns = routes.map((r) => ({ regexp: pathMatcher(r.path), method: r.method.toUpperCase() }));
  return function fallback(req: Request, res: Response, next: NextFunction): void {
    const allowed = new Set<string>();
    for (const p of patterns) {
      if (!p.regexp.test(req.path)) continue;
      allowed.add(p.method);
      if (p.method === 'GET') allowed.add('HEAD');
    }
    if (allowed.size === 0) {
      next(new PaysealError('not_found', 'no such route'));
      return;
    }
    const allow = [...allowed].sort().join(', ');
    if (req.method === 'OPTIONS') {
      res.set('Allow', `${allow}, OPTIONS`).status(204).end();
      return;
    }
    next(new PaysealError('method_not_allowed', `${req.method} is not allowed here; allowed: ${allow}`, { details: { allow } }));
  };
}

/** Errors raised by express, router and body-parser carry a status and a `type`; their messages are safe but terse. */
function fromFrameworkError(err: unknown): PaysealError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : null;
  if (status === null || status < 400 || status >= 500) return null;
  if (status === 413) return new PaysealError('payload_too_large', 'the request body is larger than 1 MiB');
  if (status === 415) return new PaysealError('unsupported_media_type', 'the request body must be JSON in UTF-8');
  if (e.type === 'entity.parse.failed') return new PaysealError('invalid_request', 'the request body is not valid JSON');
  return new PaysealError('invalid_request', 'the request could not be read');
}

export function errorHandler(logger: Logger) {
  return function handleError(err: unknown, _req: Request, res: Response, next: NextFunction): void {
    if (res.headersSent) {
      next(err);
      return;
    }
    let error = isPaysealError(err) ? err : fromFrameworkError(err);
    if (error === null || error.code === 'internal') {
      const errorId = randomUUID();
      logger.error(
        { err: err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : { type: typeof err }, errorId, reqId: res.locals.requestId },
        'unexpected error',
      );
      error = new PaysealError('internal', `internal error (id ${errorId})`);
    } else if (error.code === 'unavailable') {
      logger.warn({ reqId: res.locals.requestId, cause: error.message }, 'dependency unavailable');
    }
    if (error.code === 'unauthorized') {
      // RFC 6750 §3: error="invalid_token" only when a token was presented.
      res.set('WWW-Authenticate', error.details?.invalid_token ? 'Bearer realm="payseal", error="invalid_token"' : 'Bearer realm="payseal"');
    }
    if (error.code === 'rate_limited' && typeof error.details?.retry_after === 'number') res.set('Retry-After', String(error.details.retry_after));
    if (error.code === 'method_not_allowed' && typeof error.details?.allow === 'string') res.set('Allow', error.details.allow);
    res.status(error.status).json(error.toBody());
  };
}
