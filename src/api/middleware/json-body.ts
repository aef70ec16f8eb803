/**
 * Request bodies (API.md "Conventions", issue 11 "Bodies before auth"): JSON only, UTF-8, uncompressed, at most
 * 1 MiB, read only by authenticated /v1 requests.
 *
 * - `closeUnreadBodies` runs first for every request: one that carries a body is answered with
 *   `Connection: close` unless its body was read to the end (jsonBody lifts the mark then). Open routes, unknown
 *   paths and refused /v1 requests (401, 429, 413, 415) never read their bodies, and Node would otherwise read
 *   and discard the rest of the body to keep the connection alive (for as long as the sender keeps sending).
 * - `jsonBody` (mounted under /v1 after authentication and the rate limit) refuses at once, before reading a
 *   byte: another media type, a charset other than UTF-8 or a content coding (415 unsupported_media_type,
 *   RFC 9110 §15.5.16), a declared Content-Length over the limit (413 payload_too_large). A body streamed
 *   without a length is cut off with 413 as soon as it passes the limit (raw-body stops reading there), never
 *   drained. Malformed JSON is 400 invalid_request. Requests without a body pass with `req.body` undefined.
 */
import type { NextFunction, Request, Response } from 'express';
import getRawBody from 'raw-body';
import { PaysealError } from '../../errors.ts';
import { mustClose } from '../drain.ts';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** RFC 9112 §6.3: a request has a body when it says Transfer-Encoding, or a non-zero Content-Length. */
export function carriesBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

export function closeUnreadBodies() {
  return function markConnection(req: Request, res: Response, next: NextFunction): void {
    if (carriesBody(req)) res.set('Connection', 'close');
    next();
  };
}

/** The charset parameter of a Content-Type (RFC 9110 §8.3.1: names and charset values are case-insensitive). */
function charsetOf(contentType: string): string | null {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? '').toLowerCase() : null;
}

function refusal(req: Request): PaysealError | null {
  if (!req.is('application/json')) return new PaysealError('unsupported_media_type', 'request bodies must be application/json');
  const charset = charsetOf(req.headers['content-type'] ?? '');
  if (charset !== null && charset !== 'utf-8') {
    return new PaysealError('unsupported_media_type', 'request bodies must be JSON in UTF-8 (charset=utf-8 or none)');
  }
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
    return new PaysealError('unsupported_media_type', 'request bodies must not be compressed (no Content-Encoding)');
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > BODY_LIMIT_BYTES) {
    return new PaysealError('payload_too_large', 'the request body is larger than 1 MiB');
  }
  return null;
}

function readError(err: { type?: unknown; status?: unknown }): PaysealError {
  if (err.type === 'entity.too.large') return new PaysealError('payload_too_large', 'the request body is larger than 1 MiB');
  return new PaysealError('invalid_request', 'the request body could not be read');
}

/** RFC 8259 §2 allows any value at the top; payseal's bodies are objects (arrays are refused by the schemas). */
function parseJson(text: string): unknown {
  const first = /^[\s\uFEFF]*(.)/.exec(text)?.[1];
  if (first === undefined) return undefined;
  if (first !== '{' && first !== '[') throw new PaysealError('invalid_request', 'the request body must be a JSON object');
  try {
    return JSON.parse(text);
  } catch {
    throw new PaysealError('invalid_request', 'the request body is not valid JSON');
  }
}

export function jsonBody() {
  return function readJsonBody(req: Request, res: Response, next: NextFunction): void {
    if (!carriesBody(req)) {
      req.body = undefined;
      next();
      return;
    }
    const refused = refusal(req);
    if (refused) {
      next(refused);
      return;
    }
    getRawBody(req, { length: req.headers['content-length'], limit: BODY_LIMIT_BYTES, encoding: 'utf-8' }).then(
      (text) => {
        // Read to the end: the connection may be kept alive again, unless the server is draining.
        if (!mustClose(res)) res.removeHeader('Connection');
        try {
          req.body = parseJson(text);
        } catch (e) {
          next(e);
          return;
        }
        next();
      },
      (err: { type?: unknown; status?: unknown }) => next(readError(err)),
    );
  };
}
