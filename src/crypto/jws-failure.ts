/**
 * Why a JWS was not accepted: the fine failure codes of the codec and the API.md `reason` each maps to.
 * JwsError is an invalid_request PaysealError, so one that escapes a handler is a 400, never a 500.
 */
import { PaysealError } from '../errors.ts';

/** Why a JWS was not accepted. API.md's `reason` is jwsReasonOf(failure); the failure itself is finer. */
export type JwsFailure =
  | 'not_compact'
  | 'bad_base64url'
  | 'header_not_json'
  | 'duplicate_header_member'
  | 'header_member_invalid'
  | 'crit_invalid'
  | 'crit_unknown'
  | 'b64_invalid'
  | 'b64_not_critical'
  | 'payload_not_detached'
  | 'alg_refused'
  | 'alg_unsupported'
  | 'alg_key_mismatch'
  | 'signature_invalid';

export type JwsReason = 'malformed' | 'bad_signature';

const SIGNATURE_FAILURES: ReadonlySet<JwsFailure> = new Set(['alg_refused', 'alg_unsupported', 'alg_key_mismatch', 'signature_invalid']);

/** A failure that no valid signature of the key could cure is bad_signature; one of shape is malformed. */
export function jwsReasonOf(failure: JwsFailure): JwsReason {
  return SIGNATURE_FAILURES.has(failure) ? 'bad_signature' : 'malformed';
}

/** A JWS that cannot be accepted. An invalid_request PaysealError, so if it escapes a handler it is a 400. */
export class JwsError extends PaysealError {
  readonly failure: JwsFailure;
  readonly reason: JwsReason;
  constructor(failure: JwsFailure, message: string) {
    super('invalid_request', `JWS ${message}`);
    this.failure = failure;
    this.reason = jwsReasonOf(failure);
  }
}
