/**
 * A payment message as bytes: its RFC 8785 (JCS) canonical UTF-8 form, the payload of every message JWS.
 *
 * JCS serializes numbers as IEEE-754 doubles (RFC 8785 §3.2.2.3), so an integer beyond 2^53 - 1 is silently
 * rounded and two parties would sign different amounts than they meant: such integers, and NaN/Infinity
 * (not JSON at all), are refused with invalid_request. Money amounts belong in strings ("10.00").
 * Strings and member names must be well-formed Unicode: §3.2.2.2 requires an error for lone surrogates.
 * Only plain JSON values are accepted (no toJSON, getters, class instances, undefined, bigint), so what is
 * signed is exactly the value the caller holds, not whatever a toJSON chose to return.
 *
 * On verify, a payload counts only if it is already canonical: payload bytes = JCS(JSON.parse(payload)).
 * That rejects duplicate member names, unsorted members, whitespace and re-spelled numbers, so one message
 * has exactly one signed form.
 */
import { canonicalJson } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';

// In /u mode a well-formed surrogate pair is one code point, so \p{Cs} matches only a lone surrogate.
const LONE_SURROGATE = /\p{Cs}/u;

function refuse(why: string): PaysealError {
  return new PaysealError('invalid_request', `message ${why}`);
}

/** Throws invalid_request unless `value` is plain JSON that JCS represents exactly. Iterative: no stack limit. */
function assertExactJson(value: unknown): void {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) throw refuse('contains a string with a lone surrogate (RFC 8785 §3.2.2.2)');
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw refuse('contains a non-finite number; JSON has no NaN or Infinity');
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        throw refuse('contains an integer beyond 2^53-1, which JCS cannot represent exactly; send money amounts as strings, e.g. "10.00"');
      }
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!Object.hasOwn(v, i)) throw refuse('contains an array with a hole');
        pending.push(v[i]);
      }
      continue;
    }
    if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw refuse('contains a value that is not plain JSON');
      for (const name of Object.keys(v)) {
        if (LONE_SURROGATE.test(name)) throw refuse('contains a member name with a lone surrogate (RFC 8785 §3.2.2.2)');
        const desc = Object.getOwnPropertyDescriptor(v, name) as PropertyDescriptor;
        if (!('value' in desc)) throw refuse('contains an accessor property');
        pending.push(desc.value);
      }
      if (Object.getOwnPropertySymbols(v).length > 0) throw refuse('contains a symbol-keyed member');
      continue;
    }
    throw refuse(`contains a ${typeof v}, which JSON cannot express`);
  }
}

/** JCS bytes of a message (RFC 8785), or invalid_request saying what JCS cannot carry exactly. */
export function canonicalMessageBytes(message: unknown): Buffer {
  assertExactJson(message);
  return Buffer.from(canonicalJson(message), 'utf8');
}

export type CanonicalPayload = { readonly ok: true; readonly message: unknown } | { readonly ok: false };

/** The message a JWS payload carries, when the payload is exactly the JCS form of some JSON value. */
export function readCanonicalPayload(payload: Uint8Array): CanonicalPayload {
  let message: unknown;
  try {
    message = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payload));
    return Buffer.from(payload).equals(canonicalMessageBytes(message)) ? { ok: true, message } : { ok: false };
  } catch {
    // Not UTF-8, not JSON, or a value JCS cannot carry exactly: not the canonical form of anything.
    return { ok: false };
  }
}
