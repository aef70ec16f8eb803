/**
 * httpSignatureMiddleware: an express-compatible middleware for services that receive requests signed with RFC
 * 9421 (a partner's callbacks). It rebuilds the request as the signer saw it (method, the public URL, the
 * fields, the raw body), asks payseal to verify it against the key configured for this route (never one the
 * request picks), puts the answer on `req.httpSignature` and calls `next()`; anything else is 401
 * `{"error": {"code": "invalid_http_signature", "reason", "detail", "message"}}`, and 503 when payseal cannot be
 * reached. Types are structural: express is not imported.
 *
 * The body must reach it as bytes (express.raw({ type: () => true })), or on `req.rawBody`, when the signature
 * covers content-digest: a parsed body cannot be turned back into the bytes that were digested.
 * `publicUrl` is the origin the signer addressed (https://merchant.example): behind a proxy or a TLS terminator
 * the Host and scheme the service sees are not those the partner signed (RFC 9421 §1.4, §7.4.4).
 */
import { isPaysealClientError } from './errors.ts';
import type { HttpSignaturePolicy, HttpSignatureVerification, HttpSignaturesApi } from './http-signatures.ts';
import type { PaysealNext, PaysealResponse } from './middleware.ts';

export interface HttpSignatureRequest {
  readonly method: string;
  readonly originalUrl?: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly protocol?: string;
  body?: unknown;
  rawBody?: unknown;
  httpSignature?: HttpSignatureVerification;
}

export interface HttpSignatureMiddlewareOptions {
  /** The payseal key (usually an imported partner key) the signature must verify with. */
  readonly key: string;
  /** e.g. "https://merchant.example"; default: the request's protocol and Host header. */
  readonly publicUrl?: string;
  readonly policy?: HttpSignaturePolicy;
  readonly label?: string;
}

function bytesOf(value: unknown): Buffer | undefined {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

function refuse(res: PaysealResponse, reason: string, detail?: string): void {
  res.status(401).json({ error: { code: 'invalid_http_signature', reason, ...(detail ? { detail } : {}), message: `the HTTP message signature was not accepted: ${reason}` } });
}

export function httpSignatureMiddleware(
  client: { readonly httpSignatures: Pick<HttpSignaturesApi, 'verify'> },
  options: HttpSignatureMiddlewareOptions,
): (req: HttpSignatureRequest, res: PaysealResponse, next: PaysealNext) => Promise<void> {
  if (typeof options?.key !== 'string' || options.key === '') throw new TypeError('httpSignatureMiddleware needs the key to verify with');
  const base = options.publicUrl?.replace(/\/+$/, '');
  return async (req, res, next) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
    const origin = base ?? `${req.protocol ?? 'http'}://${String(req.headers.host ?? 'localhost')}`;
    const body = bytesOf(req.body) ?? bytesOf(req.rawBody);
    let answer: HttpSignatureVerification;
    try {
      answer = await client.httpSignatures.verify({
        key: options.key,
        message: { method: req.method, target_uri: origin + (req.originalUrl ?? req.url), headers, ...(body ? { body } : {}) },
        ...(options.policy ? { policy: options.policy } : {}),
        ...(options.label ? { label: options.label } : {}),
      });
    } catch (e) {
      if (isPaysealClientError(e, 'invalid_request')) return refuse(res, 'malformed');
      if (isPaysealClientError(e, 'rate_limited', 'unavailable', 'timeout', 'network_error')) {
        res.status(503).json({ error: { code: 'unavailable', message: 'HTTP message signatures cannot be verified right now; retry later' } });
        return;
      }
      return next(e);
    }
    if (!answer.valid) return refuse(res, answer.reason ?? 'bad_signature', answer.detail);
    if (answer.content_digest === 'unchecked') {
      return next(new TypeError('httpSignatureMiddleware: the signature covers content-digest but the raw body did not reach the middleware: mount express.raw() before it'));
    }
    req.httpSignature = answer;
    next();
  };
}
