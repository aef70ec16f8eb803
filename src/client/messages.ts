/**
 * Payment-message routes of the client, exactly as API.md's "Payment messages" section: sign, verify, seal,
 * open. One planned extension, marked as such: messages/verify with `payload` (base64 of the signed bytes)
 * verifies a detached JWS (RFC 7797, the UK Open Banking `x-jws-signature` profile).
 *
 * JSON.stringify silently writes NaN and ±Infinity as `null` and an unsafe integer as a different number, so a
 * message holding one would be signed with content the caller never meant. Such messages are refused here,
 * before anything is sent (`invalid_request`, status null); send amounts as strings ("100.10").
 */
import { PaysealClientError } from './errors.ts';
import { _toBase64 } from './_binary.ts';
import type { _Transport } from './_transport.ts';
import type {
  MessageOpenRequest,
  MessageSealRequest,
  MessageSealResult,
  MessageSignRequest,
  MessageSignResult,
  MessageVerification,
  MessageVerifyRequest,
} from './types.ts';

/** Throws invalid_request for a number JSON would not carry faithfully (RFC 8785 §3.2.2.3, RFC 7493 §2.2). */
export function _assertFaithfulJson(value: unknown, path = 'message', depth = 0): void {
  if (depth > 200) throw refuse(`${path} is nested too deeply`);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw refuse(`${path} is ${value}, which JSON cannot express`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw refuse(`${path} is an integer beyond 2^53: send it as a string`);
  } else if (typeof value === 'bigint') {
    throw refuse(`${path} is a bigint: send it as a string`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => _assertFaithfulJson(v, `${path}[${i}]`, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) _assertFaithfulJson(v, `${path}.${k}`, depth + 1);
  }
}

function refuse(message: string): PaysealClientError {
  return new PaysealClientError({ code: 'invalid_request', status: null, message });
}

export class MessagesApi {
  readonly #http: _Transport;

  constructor(http: _Transport) {
    this.#http = http;
  }

  /** `POST /v1/messages/sign` (sign:key) → compact JWS over the JCS form of `message`. Idempotent (fresh jti). */
  async sign(request: MessageSignRequest): Promise<MessageSignResult> {
    _assertFaithfulJson(request.message);
    return this.#http.send('POST', '/v1/messages/sign', request, { idempotent: true });
  }

  /**
   * `POST /v1/messages/verify` (verify:key). An invalid message is `{valid: false, reason}`, not an error.
   * With `consume: true` a lost answer is not retried (the jti may already be recorded: a retry would say
   * `replayed`); 429, 503 and a refused connection still are.
   */
  async verify(request: MessageVerifyRequest): Promise<MessageVerification> {
    const body: Record<string, unknown> = { ...request };
    if (request.payload !== undefined) body.payload = _toBase64(request.payload);
    return this.#http.send('POST', '/v1/messages/verify', body, { idempotent: request.consume !== true });
  }

  /** `POST /v1/messages/seal` (sign:sign_key, encrypt:encrypt_key) → compact JWE around the message JWS. */
  async seal(request: MessageSealRequest): Promise<MessageSealResult> {
    _assertFaithfulJson(request.message);
    return this.#http.send('POST', '/v1/messages/seal', request, { idempotent: true });
  }

  /** `POST /v1/messages/open` (decrypt:encrypt_key, verify:sign_key) → the messages/verify answer. */
  async open(request: MessageOpenRequest): Promise<MessageVerification> {
    return this.#http.send('POST', '/v1/messages/open', request, { idempotent: request.consume !== true });
  }
}
