/**
 * RFC 8785 JSON Canonicalization Scheme (JCS), through the `canonicalize` package: object members sorted by
 * UTF-16 code units (§3.2.3), numbers in ECMAScript's shortest round-trip form (§3.2.2.3), no whitespace.
 * The payload of a payment-message JWS and each ledger entry's hash input are JCS, so two parties that hold the
 * same JSON value hash and sign the same bytes.
 */
import canonicalizeModule from 'canonicalize';
import { PaysealError } from '../errors.ts';

type Serialize = (input: unknown) => string | undefined;
// The package is CommonJS (`module.exports = serialize`) while its types declare an ES default export, so the
// default import is the function under Node's interop and `{ default }` to the type checker.
const canonicalize: Serialize =
  typeof canonicalizeModule === 'function' ? (canonicalizeModule as Serialize) : (canonicalizeModule as { default: Serialize }).default;

export function canonicalJson(value: unknown): string {
  let out: string | undefined;
  try {
    out = canonicalize(value);
  } catch (e) {
    // NaN/Infinity cannot be expressed in JSON; a RangeError is a value nested deeper than the stack allows.
    const why = e instanceof RangeError ? 'is nested too deeply' : 'contains a value JSON cannot express';
    throw new PaysealError('invalid_request', `message ${why}`);
  }
  if (out === undefined) throw new PaysealError('invalid_request', 'message must be a JSON value');
  return out;
}
