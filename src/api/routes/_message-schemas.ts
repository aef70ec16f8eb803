/**
 * Request and answer shapes of the payment-message routes (routes/messages.ts), for parsing and for the OpenAPI
 * document. Values the core checks itself (the message's JSON, rsa_padding, max_age_seconds against the
 * consume window) are only typed here, so they fail with the core's codes and messages.
 */
import { z } from 'zod';
import { RSA_PADDINGS } from '../../crypto/index.ts';
import { base64Field, nameField } from './_schemas.ts';

/** At most this many critical extensions named by a caller (Open Banking uses three). */
const MAX_CRIT = 16;

const message = z.unknown().meta({
  description: 'the payment message: any JSON value, signed as its RFC 8785 (JCS) form. Send money amounts as strings ("10.00"): integers beyond 2^53-1 and non-finite numbers are refused',
});
const rsaPadding = z.string().nullable().optional().meta({ description: `one of ${RSA_PADDINGS.join(', ')}; RSA keys only; default pss (PS256), pkcs1v15 signs RS256` });
const critNames = z.array(z.string().min(1).max(256)).min(1).max(MAX_CRIT);
const maxAge = z.number().int().min(0).optional().meta({ description: 'refuse (expired) a message whose iat is older than this many seconds, beyond a 60 s clock-skew allowance' });
const consume = z.boolean().optional().meta({ description: 'record the jti, shared by every replica; a second consume of it answers replayed' });

/**
 * Extra protected header members. A member named __proto__ would be dropped silently by the record parser, so
 * the caller would get a header without the member it asked for: refused instead (checked on the raw input).
 */
const extraHeader = z.preprocess((value, ctx) => {
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
    ctx.addIssue({ code: 'custom', message: 'header members may not be named __proto__' });
  }
  return value;
}, z.record(z.string(), z.unknown()));

export const messageSignBody = z
  .strictObject({
    key: nameField,
    message: message.optional(),
    rsa_padding: rsaPadding,
    detached: z.boolean().optional().meta({ description: 'extension: sign `payload` (raw bytes) as a detached JWS, `<header>..<signature>` (RFC 7515 Appendix F)' }),
    payload: base64Field('detached only: the exact bytes to sign, e.g. an HTTP body').optional(),
    b64: z.boolean().optional().meta({ description: 'detached only: false signs the bytes unencoded (RFC 7797, b64 in crit); true or absent signs them base64url-encoded, with no b64 member' }),
    crit: critNames.optional().meta({ description: 'detached only: names of `header` members to mark critical (RFC 7515 §4.1.11)' }),
    header: extraHeader.optional().meta({ description: 'detached only: extra protected header members (e.g. Open Banking claims); alg, kid, b64, crit, iat and jti are payseal\'s' }),
  })
  .superRefine((b, ctx) => {
    if (b.detached === true) {
      if (b.payload === undefined) ctx.addIssue({ code: 'custom', path: ['payload'], message: 'a detached signature signs payload (base64 of the bytes)' });
      if (b.message !== undefined) ctx.addIssue({ code: 'custom', path: ['message'], message: 'a detached signature signs payload, not message' });
      return;
    }
    if (b.message === undefined) ctx.addIssue({ code: 'custom', path: ['message'], message: 'message is required' });
    for (const field of ['payload', 'b64', 'crit', 'header'] as const) {
      if (b[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} goes with detached: true` });
    }
  });

export const messageVerifyBody = z
  .strictObject({
    jws: z.string().min(1).meta({ description: 'the compact JWS; for a detached one (`<header>..<signature>`) give the signed bytes as payload' }),
    payload: base64Field('extension, detached JWS only: the signed bytes').optional(),
    crit: critNames.optional().meta({ description: 'detached only: critical extensions the caller understands and checks in the answer\'s header (b64 is always understood)' }),
    max_age_seconds: maxAge,
    consume,
  })
  .superRefine((b, ctx) => {
    if (b.crit !== undefined && b.payload === undefined) ctx.addIssue({ code: 'custom', path: ['crit'], message: 'crit goes with payload (a detached JWS); payment messages have no critical extensions' });
  });

export const messageSealBody = z.strictObject({
  sign_key: nameField,
  encrypt_key: nameField,
  message,
  rsa_padding: rsaPadding,
});

export const messageOpenBody = z.strictObject({
  sealed: z.string().min(1).meta({ description: 'the compact JWE from messages/seal' }),
  max_age_seconds: maxAge,
  consume,
});

export const signedAnswer = z.object({ jws: z.string(), kid: z.string(), key_version: z.number().int(), iat: z.number().int(), jti: z.string() });

const REASONS = ['bad_signature', 'malformed', 'unknown_key', 'key_version_revoked', 'below_min_version', 'expired', 'replayed'] as const;

export const verifyAnswer = z.object({
  valid: z.boolean(),
  reason: z.enum(REASONS).optional(),
  detail: z.string().optional().meta({ description: 'extension: a finer stable code for a false answer (docs/api.md)' }),
  kid: z.string().nullable(),
  key_version: z.number().int().nullable(),
  iat: z.number().int().nullable(),
  jti: z.string().nullable(),
  message: z.unknown().optional().meta({ description: 'only when valid' }),
});

export const detachedAnswer = verifyAnswer.omit({ message: true }).extend({
  b64: z.boolean().nullable().meta({ description: 'false when the bytes were signed unencoded (RFC 7797)' }),
  header: z.record(z.string(), z.unknown()).optional().meta({ description: 'the protected header, only when valid, to check the critical members named in crit' }),
});
