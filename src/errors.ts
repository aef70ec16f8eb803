/**
 * The one error type of payseal and its stable codes.
 *
 * Every failure a caller can see is a PaysealError with a snake_case code from ERROR_CODES; the HTTP status
 * is derived from the code in exactly one place (httpStatusOf). Messages are for people: they name keys,
 * versions and byte lengths, never key material, KEKs or tokens. Tests assert on `code`, never on `message`.
 */

/** Code → HTTP status: the one list of codes (ErrorCode is its keys). */
const STATUS_OF_CODE = {
  invalid_request: 400,
  unsupported_algorithm: 400,
  key_type_mismatch: 400,
  decryption_failed: 400,
  // An imported key (a partner's public key) was asked to sign or be rotated: it only verifies.
  key_verify_only: 400,
  unauthorized: 401,
  forbidden: 403,
  // The ledger key (payseal-ledger) signs ledger checkpoints only; no caller may sign with it.
  key_reserved: 403,
  not_found: 404,
  key_not_found: 404,
  key_version_not_found: 404,
  client_not_found: 404,
  method_not_allowed: 405,
  key_exists: 409,
  client_exists: 409,
  conflict: 409,
  // The newest version of an AES key reached its use bound (NIST SP 800-38D §8.3) and could not be rotated.
  key_exhausted: 409,
  // A stored private half failed to unwrap under the KEK that wrapped it: the row was altered or damaged
  // (tamper evidence; logged at error level with key and version). Retrying does not help; rotate the key.
  key_corrupt: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  // This replica no longer holds the KEK the fleet wraps with (a KEK rotation retired its KEK): restart it with the new one.
  kek_retired: 503,
  // Start-up and command-line failures; they never reach an HTTP caller, the status is nominal.
  config_invalid: 500,
  kek_missing: 500,
  kek_mismatch: 500,
  // An administrative command found no store where it looked (the CLI never creates one; exit 2).
  store_not_found: 500,
} as const;

export type ErrorCode = keyof typeof STATUS_OF_CODE;

/** The same table with a null prototype, so a lookup never hits an inherited property. */
const STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze(Object.assign(Object.create(null) as Record<ErrorCode, number>, STATUS_OF_CODE));

export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(Object.keys(STATUS) as ErrorCode[]);

export class PaysealError extends Error {
  readonly code: ErrorCode;
  /** Extra, non-secret facts for the caller (for example `retry_after` seconds). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PaysealError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return httpStatusOf(this.code);
  }

  /** The API's error body: `{"error": {"code", "message"}}`. */
  toBody(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export function isPaysealError(e: unknown): e is PaysealError {
  return e instanceof PaysealError;
}
