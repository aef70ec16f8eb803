/**
 * paysealMiddleware: an express-compatible middleware for services that receive payment messages. It verifies
 * the incoming message through payseal with `consume: true`, so a replayed message (same `jti`, on any replica
 * of payseal) is refused, puts the verified message on `req.payseal` and calls `next()`; anything else is
 * 401 `{"error": {"code": "invalid_payment_message", "reason": "<why>", "message": "..."}}`. Types are
 * structural: express is not imported.
 *
 * Attached (default): the compact JWS is the whole body (express.text() or express.raw()), or a member of a
 * JSON body (express.json(); `field`, default "jws"). Only the JWS is verified: other members of that JSON
 * body are not covered by the signature.
 *
 * Detached (RFC 7797, the UK Open Banking profile): the JWS `<header>..<signature>` is in the
 * `x-jws-signature` header and signs the raw body bytes, which must reach the middleware unparsed:
 *
 *   app.post('/payments', express.raw({ type: () => true, limit: '1mb' }), paysealMiddleware(client, { mode: 'detached' }), handler);
 *
 * (or any body parser that leaves the bytes on `req.rawBody`). A parsed JSON body cannot be used: serialising
 * it again does not give back the bytes that were signed. The bytes go to `POST /v1/messages/verify` as
 * `payload` (base64): the planned extension of that route for detached JWS.
 *
 * Reasons: `missing` (no JWS where the mode looks), `untrusted_key` (payseal refused: this service lacks
 * verify:<key> for the key the message names), and payseal's own (`bad_signature`, `malformed`, `unknown_key`,
 * `key_version_revoked`, `below_min_version`, `expired`, `replayed`). When payseal cannot be reached (or keeps
 * answering 429/503) the answer is 503 `unavailable`, so the sender retries later; a fault of this service's
 * own setup (its token refused, a missing body parser) goes to `next(error)`.
 */
import { isPaysealClientError } from './errors.ts';
import type { JsonValue, MessageVerification, MessageVerifyRequest } from './types.ts';

/** What a verified message leaves on `req.payseal`. */
export interface VerifiedPaymentMessage {
  readonly message: JsonValue | undefined;
  readonly kid: string;
  readonly key_version: number;
  readonly iat: number;
  readonly jti: string;
  readonly detached: boolean;
  /** Detached mode: the verified body bytes. */
  readonly body?: Buffer;
}

export interface PaysealRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  body?: unknown;
  rawBody?: unknown;
  payseal?: VerifiedPaymentMessage;
}
export interface PaysealResponse {
  status(code: number): PaysealResponse;
  json(body: unknown): unknown;
  setHeader?(name: string, value: string): unknown;
}
export type PaysealNext = (error?: unknown) => void;

export interface PaysealMiddlewareOptions {
  readonly mode?: 'attached' | 'detached';
  /** Attached mode, JSON body: the member holding the JWS. Default "jws". */
  readonly field?: string;
  /** Detached mode: the header holding the JWS. Default "x-jws-signature". */
  readonly header?: string;
  /** Refuse messages older than this (payseal's `max_age_seconds`). */
  readonly maxAgeSeconds?: number;
}

/** The one call the middleware needs: a PaysealClient's `messages.verify`. */
export interface MessageVerifier {
  readonly messages: { verify(request: MessageVerifyRequest): Promise<MessageVerification> };
}

/** payseal errors that mean "this message is not acceptable" (a Map: no inherited keys to hit). */
const REFUSALS: ReadonlyMap<string, string> = new Map([
  ['invalid_request', 'malformed'],
  ['forbidden', 'untrusted_key'],
  ['key_not_found', 'unknown_key'],
  ['key_version_not_found', 'unknown_key'],
]);

function bytesOf(value: unknown): Buffer | undefined {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

function refuse(res: PaysealResponse, reason: string): void {
  res.status(401).json({ error: { code: 'invalid_payment_message', reason, message: `the payment message was not accepted: ${reason}` } });
}

function parseJson(bytes: Buffer): JsonValue | undefined {
  try {
    return JSON.parse(bytes.toString('utf8')) as JsonValue;
  } catch {
    return undefined;
  }
}

export function paysealMiddleware(client: MessageVerifier, options: PaysealMiddlewareOptions = {}): (req: PaysealRequest, res: PaysealResponse, next: PaysealNext) => Promise<void> {
  const mode = options.mode ?? 'attached';
  const field = options.field ?? 'jws';
  const headerName = (options.header ?? 'x-jws-signature').toLowerCase();
  if (mode !== 'attached' && mode !== 'detached') throw new TypeError(`mode must be "attached" or "detached", not ${String(mode)}`);

  return async (req, res, next) => {
    let request: MessageVerifyRequest;
    let body: Buffer | undefined;
    if (mode === 'detached') {
      const jws = req.headers[headerName];
      if (typeof jws !== 'string' || jws.length === 0) return refuse(res, Array.isArray(jws) ? 'malformed' : 'missing');
      body = bytesOf(req.body) ?? bytesOf(req.rawBody);
      if (body === undefined) return next(new TypeError('paysealMiddleware detached mode needs the raw body bytes: mount express.raw({ type: () => true }) before it'));
      request = { jws: jws.trim(), payload: body, consume: true };
    } else {
      const raw = bytesOf(req.body);
      const candidate = raw !== undefined ? raw.toString('utf8').trim() : (req.body as Record<string, unknown> | undefined)?.[field];
      if (typeof candidate !== 'string' || candidate.length === 0) return refuse(res, 'missing');
      request = { jws: candidate, consume: true };
    }
    if (options.maxAgeSeconds !== undefined) request = { ...request, max_age_seconds: options.maxAgeSeconds };

    let answer: MessageVerification;
    try {
      answer = await client.messages.verify(request);
    } catch (e) {
      const refusal = isPaysealClientError(e) ? REFUSALS.get(e.code) : undefined;
      if (refusal !== undefined) return refuse(res, refusal);
      if (isPaysealClientError(e, 'rate_limited', 'unavailable', 'timeout', 'network_error')) {
        if (e.retryAfterMs !== undefined) res.setHeader?.('Retry-After', String(Math.ceil(e.retryAfterMs / 1000)));
        res.status(503).json({ error: { code: 'unavailable', message: 'payment messages cannot be verified right now; retry later' } });
        return;
      }
      return next(e);
    }
    if (!answer.valid || answer.kid === null || answer.key_version === null || answer.iat === null || answer.jti === null) {
      return refuse(res, answer.valid ? 'malformed' : (answer.reason ?? 'bad_signature'));
    }
    const message = answer.message !== undefined ? answer.message : body !== undefined ? parseJson(body) : undefined;
    req.payseal = { message, kid: answer.kid, key_version: answer.key_version, iat: answer.iat, jti: answer.jti, detached: mode === 'detached', ...(body ? { body } : {}) };
    next();
  };
}
