/**
 * Request bodies: JSON only, UTF-8, at most 1 MiB (API.md "Conventions"). A request that carries a body with
 * another content type gets 415 before anything is read; an oversized body gets 413 (checked against
 * Content-Length before reading, and while streaming otherwise); malformed JSON gets 400 invalid_request.
 * Requests without a body (no Content-Length or 0, no Transfer-Encoding) pass with `req.body` undefined.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { PaysealError } from '../../errors.ts';

export const BODY_LIMIT_BYTES = 1024 * 1024;

function carriesBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

export function jsonBody() {
  const parse = express.json({ limit: BODY_LIMIT_BYTES, strict: true, type: 'application/json' });
  return function readJsonBody(req: Request, res: Response, next: NextFunction): void {
    if (!carriesBody(req)) {
      req.body = undefined;
      next();
      return;
    }
    if (!req.is('application/json')) {
      next(new PaysealError('unsupported_media_type', 'request bodies must be application/json'));
      return;
    }
    parse(req, res, next);
  };
}
