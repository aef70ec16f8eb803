/**
 * Extension: RFC 9421 HTTP Message Signatures. `POST /v1/http-signatures/sign` (sign:<key>) signs the request or
 * response a caller describes and answers the Signature-Input / Signature (and Content-Digest) fields to send;
 * `POST /v1/http-signatures/verify` (verify:<key>) checks a received one against the key the caller names and
 * its policy. The key is named in the body, so the scope is read from it. The work is src/httpsig.
 */
import { z } from 'zod';
import { HTTP_SIGNATURE_ALGS, decodeBase64Strict } from '../../crypto/index.ts';
import { DIGEST_ALGORITHMS, policySchema, signHttpMessage, verifyHttpMessage, type HttpMessageInput } from '../../httpsig/index.ts';
import { isName } from '../../grammar.ts';
import { defineRoute, type AnyRouteDef } from '../route.ts';
import { base64Field, nameField } from './_schemas.ts';

const messageSchema = z
  .strictObject({
    method: z.string().max(32).optional().meta({ description: 'a request: its method' }),
    target_uri: z.string().max(8192).optional().meta({ description: 'a request: its full target URI, https://host/path?query' }),
    status: z.number().int().optional().meta({ description: 'a response: its status code' }),
    headers: z.record(z.string(), z.union([z.string(), z.array(z.string()).max(100)])).optional().meta({ description: 'field name → value, or its lines in order' }),
    body: base64Field('the content, for Content-Digest (RFC 9530)').optional(),
  })
  .meta({ description: 'an HTTP request or response, as the signature covers it' });

const signSchema = z.strictObject({
  key: nameField,
  message: messageSchema,
  request: messageSchema.optional().meta({ description: 'for a response: the request it answers (;req components)' }),
  components: z.array(z.string().max(200)).max(64).optional().meta({ description: 'component identifiers to cover; default @method @target-uri (request) or @status (response), content-type, content-digest' }),
  label: z.string().max(64).optional(),
  created: z.number().int().min(0).optional(),
  expires_in_seconds: z.number().int().min(1).max(86_400 * 366).optional(),
  nonce: z.union([z.string().min(1).max(256), z.literal(true)]).optional().meta({ description: 'a nonce, or true for a random one' }),
  tag: z.string().min(1).max(256).optional(),
  algorithm: z.enum(HTTP_SIGNATURE_ALGS).optional().meta({ description: 'RSA keys: rsa-pss-sha512 (default) or rsa-v1_5-sha256' }),
  include_alg: z.boolean().optional(),
  digest_algorithms: z.array(z.enum(DIGEST_ALGORITHMS)).min(1).max(2).optional(),
});

const verifySchema = z.strictObject({
  key: nameField,
  message: messageSchema,
  request: messageSchema.optional(),
  label: z.string().max(64).optional(),
  policy: policySchema.optional(),
});

/** The scope names the body's key; a body without a usable name is refused by validation after this. */
const keyScope = (op: 'sign' | 'verify') => (_params: unknown, body?: unknown) => {
  const key = (body as { key?: unknown } | undefined)?.key;
  return [`${op}:${isName(key) ? key : '{key}'}`];
};

function messageOf(m: z.infer<typeof messageSchema>, where: string): HttpMessageInput {
  const { body, ...rest } = m;
  return body === undefined ? rest : { ...rest, body: decodeBase64Strict(body, `${where}.body`) };
}

const signResult = z.object({
  label: z.string(),
  keyid: z.string(),
  key_version: z.number().int(),
  alg: z.string(),
  covered_components: z.array(z.string()),
  created: z.number().int(),
  expires: z.number().int().optional(),
  nonce: z.string().optional(),
  signature_input: z.string(),
  signature: z.string(),
  headers: z.record(z.string(), z.string()),
});

const verifyResult = z.object({
  valid: z.boolean(),
  reason: z.string().optional(),
  detail: z.string().optional(),
  label: z.string().nullable(),
  keyid: z.string().nullable(),
  key_version: z.number().int().nullable(),
  alg: z.string().nullable(),
  covered_components: z.array(z.string()).nullable(),
  created: z.number().int().nullable(),
  expires: z.number().int().nullable(),
  tag: z.string().nullable(),
  content_digest: z.string().nullable(),
  nonce_consumed: z.boolean(),
});

export const httpSignatureRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'post',
    path: '/v1/http-signatures/sign',
    summary: 'Extension: sign an HTTP request or response (RFC 9421) with the signing version of a key',
    scopes: keyScope('sign'),
    body: signSchema,
    responses: {
      200: { description: 'the fields to add to the message', schema: signResult },
      400: { description: 'invalid_request, unsupported_algorithm (a key type RFC 9421 has no algorithm for), key_type_mismatch, key_verify_only' },
      404: { description: 'key_not_found' },
    },
    async handle({ body, deps }) {
      const { message, request, ...options } = body;
      const json = await signHttpMessage(deps.runtime.keys, {
        ...options,
        message: messageOf(message, 'message'),
        ...(request ? { request: messageOf(request, 'request') } : {}),
      });
      return { json };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/http-signatures/verify',
    summary: 'Extension: verify an HTTP message signature (RFC 9421) against a key and its policy',
    scopes: keyScope('verify'),
    body: verifySchema,
    responses: {
      200: { description: 'valid, or valid: false with a reason', schema: verifyResult },
      400: { description: 'invalid_request, key_type_mismatch' },
      404: { description: 'key_not_found' },
      503: { description: 'unavailable: the policy requires a nonce and the replay store is not available' },
    },
    async handle({ body, deps }) {
      const { message, request, ...rest } = body;
      const json = await verifyHttpMessage(
        deps.runtime.keys,
        { ...rest, message: messageOf(message, 'message'), ...(request ? { request: messageOf(request, 'request') } : {}) },
        { replay: deps.runtime.replay },
      );
      return { json };
    },
  }),
];
