/**
 * The one error type of the payseal client. A call that does not end in a normal answer throws a
 * PaysealClientError whose `code` is the API's stable snake_case code (docs/api.md, Errors) when payseal
 * answered, or one of the client's own codes when it did not (`timeout`, `network_error`,
 * `unexpected_response`, and `invalid_request` for input the client refuses before sending). Program against
 * `code`; `message` is for people. No message, stack or JSON form ever carries the bearer token: the client
 * builds messages from the method, the path and payseal's own message (which never holds a token), and scrubs
 * the token from them anyway in case a proxy in between echoes it.
 */

/** Codes payseal answers with (docs/api.md, Errors); `string & {}` keeps codes added later usable. */
export type PaysealApiErrorCode =
  | 'invalid_request'
  | 'unsupported_algorithm'
  | 'key_type_mismatch'
  | 'decryption_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'key_not_found'
  | 'key_version_not_found'
  | 'client_not_found'
  | 'method_not_allowed'
  | 'key_exists'
  | 'client_exists'
  | 'conflict'
  | 'key_exhausted'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

/** Codes the client raises itself, when payseal gave no usable answer. */
export type PaysealClientOwnCode = 'timeout' | 'network_error' | 'unexpected_response';

export type PaysealClientErrorCode = PaysealApiErrorCode | PaysealClientOwnCode | (string & {});

export interface PaysealClientErrorInit {
  readonly code: PaysealClientErrorCode;
  /** HTTP status of payseal's answer; null when there was none (timeout, network error, refused locally). */
  readonly status: number | null;
  readonly message: string;
  /** payseal's `X-Request-Id` for the failed attempt: quote it when reporting a problem. */
  readonly requestId?: string | undefined;
  /** What `Retry-After` asked for on the last attempt, in milliseconds. */
  readonly retryAfterMs?: number | undefined;
  /** How many HTTP attempts were made (1 + retries used). */
  readonly attempts?: number | undefined;
}

export class PaysealClientError extends Error {
  readonly code: PaysealClientErrorCode;
  readonly status: number | null;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;

  constructor(init: PaysealClientErrorInit) {
    super(init.message);
    this.name = 'PaysealClientError';
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts ?? 1;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, status: this.status, message: this.message, requestId: this.requestId, attempts: this.attempts };
  }
}

/** True for a PaysealClientError, optionally with one of these codes. */
export function isPaysealClientError(value: unknown, ...codes: PaysealClientErrorCode[]): value is PaysealClientError {
  return value instanceof PaysealClientError && (codes.length === 0 || codes.includes(value.code));
}

/** Removes every occurrence of `secret` from `text` (a token must never reach a message or a stack). */
export function _scrub(text: string, secret: string): string {
  return secret.length > 0 ? text.split(secret).join('[redacted]') : text;
}
