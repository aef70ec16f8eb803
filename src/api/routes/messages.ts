/**
 * POST /v1/messages/sign | verify | seal | open: payment messages as JOSE objects (API.md "Payment messages"),
 * plus payseal's detached-JWS extension on sign and verify (RFC 7797, the UK Open Banking `x-jws-signature`).
 * The routes parse, check the scopes the body names, and call runtime.messages (src/messages/service.ts).
 *
 * Scopes: sign needs sign:<key>; verify needs verify:<name of the JWS kid>, read from the header before any key
 * is looked up (a JWS whose kid cannot be read is answered `malformed` without touching a key); seal needs
 * sign:<sign_key> and encrypt:<encrypt_key>; open needs decrypt:<name of the JWE kid> and, once decrypted,
 * verify:<name of the inner JWS kid>, checked before that key is looked up or the jti consumed.
 */
import { decodeBase64Strict } from '../../crypto/index.ts';
import { peekKid } from '../../messages/kid.ts';
import { requireScopes } from '../middleware/auth.ts';
import { defineRoute, type AnyRouteDef } from '../route.ts';
import { detachedAnswer, messageOpenBody, messageSealBody, messageSignBody, messageVerifyBody, signedAnswer, verifyAnswer } from './_message-schemas.ts';
import { z } from 'zod';

/** The scope a compact JWS or JWE's kid calls for, or none when the kid cannot be read (the answer is then `malformed`). */
function kidScope(op: 'verify' | 'decrypt', compact: string): string[] {
  const kid = peekKid(compact);
  return kid === null ? [] : [`${op}:${kid.name}`];
}

const signRoute = defineRoute({
  method: 'post',
  path: '/v1/messages/sign',
  summary: 'Sign a payment message as a compact JWS over its JCS form (or, with detached: true, raw bytes as a detached JWS)',
  scopes: () => [],
  bodyScopes: (body) => [`sign:${body.key}`],
  scopesDoc: 'sign:{key}',
  body: messageSignBody,
  responses: {
    200: { description: 'the JWS and its kid, key_version, iat and jti', schema: signedAnswer },
    400: { description: 'invalid_request (also a message JCS cannot carry exactly: send amounts as strings), unsupported_algorithm, key_type_mismatch' },
    403: { description: 'forbidden (scope), key_reserved (the ledger key)' },
    404: { description: 'key_not_found' },
  },
  async handle({ body, actor, deps }) {
    const messages = deps.runtime.messages;
    if (body.detached === true) {
      const payload = decodeBase64Strict(body.payload as string, 'payload');
      return { json: await messages.signDetached({ key: body.key, payload, b64: body.b64, crit: body.crit, header: body.header, rsaPadding: body.rsa_padding }, actor) };
    }
    return { json: await messages.sign({ key: body.key, message: body.message, rsaPadding: body.rsa_padding }, actor) };
  },
});

const verifyRoute = defineRoute({
  method: 'post',
  path: '/v1/messages/verify',
  summary: 'Verify a payment-message JWS (or, with payload, a detached JWS over those bytes)',
  scopes: () => [],
  bodyScopes: (body) => kidScope('verify', body.jws),
  scopesDoc: 'verify:{name in the JWS kid}',
  body: messageVerifyBody,
  responses: {
    200: { description: 'the verdict; a message that does not verify is valid: false with a reason, not an error', schema: z.union([verifyAnswer, detachedAnswer]) },
    400: { description: 'invalid_request (a body field of the wrong type, max_age_seconds over 86400 with consume)' },
  },
  async handle({ body, deps }) {
    const options = { maxAgeSeconds: body.max_age_seconds, consume: body.consume };
    if (body.payload !== undefined) {
      const payload = decodeBase64Strict(body.payload, 'payload');
      return { json: await deps.runtime.messages.verifyDetached(body.jws, payload, { ...options, crit: body.crit }) };
    }
    return { json: await deps.runtime.messages.verify(body.jws, options) };
  },
});

const sealRoute = defineRoute({
  method: 'post',
  path: '/v1/messages/seal',
  summary: 'Sign a payment message, then encrypt the JWS as a compact JWE (dir, A128GCM/A256GCM)',
  scopes: () => [],
  bodyScopes: (body) => [`sign:${body.sign_key}`, `encrypt:${body.encrypt_key}`],
  scopesDoc: 'sign:{sign_key} and encrypt:{encrypt_key}',
  body: messageSealBody,
  responses: {
    200: { description: 'the sealed message', schema: z.object({ sealed: z.string() }) },
    400: { description: 'invalid_request, unsupported_algorithm, key_type_mismatch (sign_key must sign, encrypt_key must be AES-GCM)' },
    403: { description: 'forbidden (scope), key_reserved (the ledger key)' },
    404: { description: 'key_not_found' },
    409: { description: 'key_exhausted: the AES version reached its use bound and could not be rotated' },
  },
  async handle({ body, actor, deps }) {
    return { json: await deps.runtime.messages.seal({ signKey: body.sign_key, encryptKey: body.encrypt_key, message: body.message, rsaPadding: body.rsa_padding }, actor) };
  },
});

const openRoute = defineRoute({
  method: 'post',
  path: '/v1/messages/open',
  summary: 'Decrypt a sealed payment message and verify the JWS inside',
  scopes: () => [],
  bodyScopes: (body) => kidScope('decrypt', body.sealed),
  scopesDoc: 'decrypt:{name in the JWE kid} and verify:{name in the inner JWS kid}',
  body: messageOpenBody,
  responses: {
    200: { description: 'the messages/verify answer; a tampered or foreign sealed message is valid: false', schema: verifyAnswer },
    400: { description: 'invalid_request' },
  },
  async handle({ body, client, deps }) {
    const authorizeVerify = (name: string) => requireScopes(client, [`verify:${name}`]);
    return { json: await deps.runtime.messages.open(body.sealed, { maxAgeSeconds: body.max_age_seconds, consume: body.consume, authorizeVerify }) };
  },
});

export const messageRoutes: AnyRouteDef[] = [signRoute, verifyRoute, sealRoute, openRoute];
